// Authorization of every /v1 route: each route declares the action it performs and the resource it
// touches (below); the policy engine decides — system policies (tenant isolation, roles) plus the
// tenant's own, deny wins, default deny. A route missing from this table is denied. API keys with
// scopes are further limited to the actions their scopes name. Denials are 403 and audited.
import type { Context, MiddlewareHandler } from 'hono'
import { PatternRouter } from 'hono/router/pattern-router'
import { database } from '../db/client'
import { tenantPolicies } from '../db/policies'
import { decideAccess } from '../security/decide'
import type { AccessRequest, Decision } from '../security/policy'
import { audit } from './audit'
import type { GatewayEnv, Principal } from './context'
import { ProblemError } from './problem'

export interface RouteRule {
	action: string
	/** Resource kind and the path parameter naming it (e.g. agent ← agentId). */
	resource: string
	param?: string
}

/** Every /v1 route: method, path (OpenAPI style), action, resource. */
export const ROUTE_RULES: [string, string, RouteRule][] = [
	// Who is calling and what it may do: every principal, in its own tenant.
	['GET', '/v1/me', { action: 'me:read', resource: 'principal' }],
	['GET', '/v1/tenants', { action: 'tenants:list', resource: 'tenant' }],
	['POST', '/v1/tenants', { action: 'tenants:create', resource: 'tenant' }],
	[
		'GET',
		'/v1/tenants/{tenantId}',
		{ action: 'tenants:read', resource: 'tenant', param: 'tenantId' },
	],
	[
		'PATCH',
		'/v1/tenants/{tenantId}',
		{ action: 'tenants:update', resource: 'tenant', param: 'tenantId' },
	],
	[
		'POST',
		'/v1/tenants/{tenantId}/disable',
		{ action: 'tenants:disable', resource: 'tenant', param: 'tenantId' },
	],
	[
		'POST',
		'/v1/tenants/{tenantId}/enable',
		{ action: 'tenants:enable', resource: 'tenant', param: 'tenantId' },
	],
	[
		'DELETE',
		'/v1/tenants/{tenantId}',
		{ action: 'tenants:delete', resource: 'tenant', param: 'tenantId' },
	],
	['GET', '/v1/agents', { action: 'agents:list', resource: 'agent' }],
	['POST', '/v1/agents', { action: 'agents:create', resource: 'agent' }],
	['GET', '/v1/agents/{agentId}', { action: 'agents:read', resource: 'agent', param: 'agentId' }],
	['PUT', '/v1/agents/{agentId}', { action: 'agents:update', resource: 'agent', param: 'agentId' }],
	[
		'DELETE',
		'/v1/agents/{agentId}',
		{ action: 'agents:delete', resource: 'agent', param: 'agentId' },
	],
	[
		'GET',
		'/v1/agents/{agentId}/versions',
		{ action: 'agents:read', resource: 'agent', param: 'agentId' },
	],
	// Agent memory (src/automation/memory/): reading it is like reading transcripts; writing pinned
	// memory changes what the agent is told, like its config.
	[
		'GET',
		'/v1/agents/{agentId}/memory',
		{ action: 'memory:read', resource: 'memory', param: 'agentId' },
	],
	[
		'GET',
		'/v1/agents/{agentId}/memory/{memoryId}',
		{ action: 'memory:read', resource: 'memory', param: 'agentId' },
	],
	[
		'POST',
		'/v1/agents/{agentId}/memory',
		{ action: 'memory:write', resource: 'memory', param: 'agentId' },
	],
	[
		'DELETE',
		'/v1/agents/{agentId}/memory/{memoryId}',
		{ action: 'memory:write', resource: 'memory', param: 'agentId' },
	],
	['GET', '/v1/admin/providers', { action: 'providers:read', resource: 'provider' }],
	['POST', '/v1/admin/providers/enable', { action: 'providers:enable', resource: 'provider' }],
	['POST', '/v1/admin/providers/reset', { action: 'providers:reset', resource: 'provider' }],
	['GET', '/v1/provider-health', { action: 'provider-health:read', resource: 'provider-health' }],
	[
		'POST',
		'/v1/provider-health/reset',
		{ action: 'provider-health:reset', resource: 'provider-health' },
	],
	['GET', '/v1/admin/security', { action: 'security:read', resource: 'security' }],
	['POST', '/v1/admin/secrets/rotate', { action: 'secrets:rotate', resource: 'secret' }],
	['GET', '/v1/secrets', { action: 'secrets:list', resource: 'secret' }],
	['PUT', '/v1/secrets/{name}', { action: 'secrets:write', resource: 'secret', param: 'name' }],
	['DELETE', '/v1/secrets/{name}', { action: 'secrets:delete', resource: 'secret', param: 'name' }],
	['GET', '/v1/channels', { action: 'channels:list', resource: 'channel' }],
	['POST', '/v1/channels', { action: 'channels:create', resource: 'channel' }],
	[
		'GET',
		'/v1/channels/{channelId}',
		{ action: 'channels:read', resource: 'channel', param: 'channelId' },
	],
	[
		'PUT',
		'/v1/channels/{channelId}',
		{ action: 'channels:update', resource: 'channel', param: 'channelId' },
	],
	[
		'DELETE',
		'/v1/channels/{channelId}',
		{ action: 'channels:delete', resource: 'channel', param: 'channelId' },
	],
	[
		'POST',
		'/v1/channels/{channelId}/register',
		{ action: 'channels:register', resource: 'channel', param: 'channelId' },
	],
	[
		'GET',
		'/v1/channels/{channelId}/pairing',
		{ action: 'channels:read', resource: 'channel', param: 'channelId' },
	],
	[
		'POST',
		'/v1/channels/{channelId}/pairing/{code}/approve',
		{ action: 'channels:pair', resource: 'channel', param: 'channelId' },
	],
	[
		'DELETE',
		'/v1/channels/{channelId}/allowlist/{senderId}',
		{ action: 'channels:pair', resource: 'channel', param: 'channelId' },
	],
	[
		'GET',
		'/v1/channels/{channelId}/deliveries',
		{ action: 'channels:read', resource: 'channel', param: 'channelId' },
	],
	// Schedules (docs/automation.md): operators write and run them, everyone reads them.
	['GET', '/v1/schedules', { action: 'schedules:list', resource: 'schedule' }],
	['POST', '/v1/schedules', { action: 'schedules:create', resource: 'schedule' }],
	[
		'GET',
		'/v1/schedules/{scheduleId}',
		{ action: 'schedules:read', resource: 'schedule', param: 'scheduleId' },
	],
	[
		'PATCH',
		'/v1/schedules/{scheduleId}',
		{ action: 'schedules:update', resource: 'schedule', param: 'scheduleId' },
	],
	[
		'DELETE',
		'/v1/schedules/{scheduleId}',
		{ action: 'schedules:delete', resource: 'schedule', param: 'scheduleId' },
	],
	[
		'GET',
		'/v1/schedules/{scheduleId}/runs',
		{ action: 'schedules:read', resource: 'schedule', param: 'scheduleId' },
	],
	[
		'POST',
		'/v1/schedules/{scheduleId}/run',
		{ action: 'schedules:run', resource: 'schedule', param: 'scheduleId' },
	],
	['GET', '/v1/usage', { action: 'usage:read', resource: 'usage' }],
	['GET', '/v1/metrics/{view}', { action: 'metrics:read', resource: 'metrics', param: 'view' }],
	// Every tenant's metrics at once (the answer names tenant "*").
	[
		'GET',
		'/v1/admin/metrics/{view}',
		{ action: 'platform-metrics:read', resource: 'metrics', param: 'view' },
	],
	['GET', '/v1/alerts', { action: 'alerts:read', resource: 'alert' }],
	['GET', '/v1/sessions', { action: 'sessions:list', resource: 'session' }],
	[
		'GET',
		'/v1/sessions/{sessionKey}',
		{ action: 'sessions:read', resource: 'session', param: 'sessionKey' },
	],
	[
		'DELETE',
		'/v1/sessions/{sessionKey}',
		{ action: 'sessions:delete', resource: 'session', param: 'sessionKey' },
	],
	[
		'POST',
		'/v1/sessions/{sessionKey}/reset',
		{ action: 'sessions:reset', resource: 'session', param: 'sessionKey' },
	],
	[
		'GET',
		'/v1/sessions/{sessionKey}/export',
		{ action: 'sessions:export', resource: 'session', param: 'sessionKey' },
	],
	[
		'GET',
		'/v1/sessions/{sessionKey}/messages',
		{ action: 'sessions:read', resource: 'session', param: 'sessionKey' },
	],
	[
		'POST',
		'/v1/sessions/{sessionKey}/messages',
		{ action: 'sessions:send', resource: 'session', param: 'sessionKey' },
	],
	[
		'GET',
		'/v1/sessions/{sessionKey}/runs/{runId}',
		{ action: 'sessions:read', resource: 'session', param: 'sessionKey' },
	],
	[
		'GET',
		'/v1/sessions/{sessionKey}/runs/{runId}/trace',
		{ action: 'sessions:read', resource: 'session', param: 'sessionKey' },
	],
	[
		'POST',
		'/v1/sessions/{sessionKey}/runs/{runId}/cancel',
		{ action: 'sessions:cancel', resource: 'session', param: 'sessionKey' },
	],
	[
		'GET',
		'/v1/sessions/{sessionKey}/events',
		{ action: 'sessions:stream', resource: 'session', param: 'sessionKey' },
	],
	[
		'GET',
		'/v1/sessions/{sessionKey}/ws',
		{ action: 'sessions:stream', resource: 'session', param: 'sessionKey' },
	],
	// A single-use ticket for the event stream: what streaming itself takes.
	[
		'POST',
		'/v1/sessions/{sessionKey}/events/ticket',
		{ action: 'sessions:stream', resource: 'session', param: 'sessionKey' },
	],
	[
		'GET',
		'/v1/sessions/{sessionKey}/approvals',
		{ action: 'sessions:read', resource: 'session', param: 'sessionKey' },
	],
	[
		'POST',
		'/v1/sessions/{sessionKey}/approvals/{approvalId}',
		{ action: 'sessions:approve', resource: 'session', param: 'sessionKey' },
	],
	[
		'GET',
		'/v1/sessions/{sessionKey}/deliveries',
		{ action: 'sessions:read', resource: 'session', param: 'sessionKey' },
	],
	// Pending approvals across the tenant's sessions (each session's own route is sessions:read too).
	['GET', '/v1/approvals', { action: 'sessions:read', resource: 'session' }],
	['GET', '/v1/tool-executions', { action: 'tools:read', resource: 'tool' }],
	['GET', '/v1/keys', { action: 'keys:list', resource: 'key' }],
	['POST', '/v1/keys', { action: 'keys:create', resource: 'key' }],
	['DELETE', '/v1/keys/{keyId}', { action: 'keys:revoke', resource: 'key', param: 'keyId' }],
	['POST', '/v1/keys/{keyId}/rotate', { action: 'keys:rotate', resource: 'key', param: 'keyId' }],
	['GET', '/v1/policies', { action: 'policies:list', resource: 'policy' }],
	['POST', '/v1/policies', { action: 'policies:create', resource: 'policy' }],
	[
		'DELETE',
		'/v1/policies/{policyId}',
		{ action: 'policies:delete', resource: 'policy', param: 'policyId' },
	],
	['GET', '/v1/audit', { action: 'audit:read', resource: 'audit' }],
	['GET', '/v1/audit/verify', { action: 'audit:verify', resource: 'audit' }],
	['GET', '/v1/audit/checkpoints', { action: 'audit:read', resource: 'audit' }],
	['POST', '/v1/audit/checkpoints', { action: 'audit:checkpoint', resource: 'audit' }],
	['GET', '/v1/audit/public-key', { action: 'audit:read', resource: 'audit' }],
	// The platform chain (_platform): failed authentications without a tenant, tenant creation.
	['GET', '/v1/admin/audit', { action: 'platform-audit:read', resource: 'audit' }],
	['GET', '/v1/admin/audit/verify', { action: 'platform-audit:verify', resource: 'audit' }],
	['GET', '/v1/admin/audit/checkpoints', { action: 'platform-audit:read', resource: 'audit' }],
	[
		'POST',
		'/v1/admin/audit/checkpoints',
		{ action: 'platform-audit:checkpoint', resource: 'audit' },
	],
	// Lanes across tenants that are stuck or have runs queued (the sessions index).
	['GET', '/v1/admin/lanes', { action: 'platform-lanes:read', resource: 'lane' }],
	// A lane back to an earlier point in time (Durable Object point-in-time recovery).
	['POST', '/v1/admin/lanes/restore', { action: 'platform-lanes:restore', resource: 'lane' }],
	// OpenAI-compatible routes name their session and agent in the body or a model id, not the
	// path: the handlers authorise the concrete resource again once they know it (authorizeRule).
	['POST', '/v1/chat/completions', { action: 'sessions:send', resource: 'session' }],
	// An embedding spends tokens of the agent's model without a session: an action of its own.
	['POST', '/v1/embeddings', { action: 'agents:embed', resource: 'agent' }],
	['POST', '/v1/responses', { action: 'sessions:send', resource: 'session' }],
	['GET', '/v1/responses/{response_id}', { action: 'sessions:read', resource: 'session' }],
	[
		'POST',
		'/v1/responses/{response_id}/cancel',
		{ action: 'sessions:cancel', resource: 'session' },
	],
	['GET', '/v1/models', { action: 'agents:list', resource: 'agent' }],
	['GET', '/v1/models/{model}', { action: 'agents:read', resource: 'agent' }],
	['GET', '/v1/models/{owner}/{model}', { action: 'agents:read', resource: 'agent' }],
]

/** The table as a router, built on the first lookup (compiling it is startup work no route needs). */
let router: PatternRouter<RouteRule> | undefined
function rules(): PatternRouter<RouteRule> {
	if (router) return router
	router = new PatternRouter<RouteRule>()
	for (const [method, path, rule] of ROUTE_RULES) {
		router.add(method, path.replace(/\{(\w+)\}/g, ':$1'), rule)
		if (method === 'GET') router.add('HEAD', path.replace(/\{(\w+)\}/g, ':$1'), rule)
	}
	return router
}

/** The rule of a request and its path parameters, or undefined when the route declares none. */
export function ruleFor(
	method: string,
	path: string,
): { rule: RouteRule; params: Record<string, string> } | undefined {
	const [matches] = rules().match(method, path)
	const first = matches[0]
	if (!first) return undefined
	const [rule, params] = first as unknown as [RouteRule, Record<string, string>]
	return { rule, params }
}

export function accessRequest(
	p: Principal,
	rule: RouteRule,
	params: Record<string, string>,
	context: AccessRequest['context'],
): AccessRequest {
	const id = rule.param ? (params[rule.param] ?? '*') : '*'
	return {
		subject: { id: p.id, role: p.role, tenant: p.tenantId, kind: p.kind, scopes: p.scopes },
		resource: `tenant:${p.tenantId}/${rule.resource}:${id}`,
		resourceTenant: p.tenantId,
		action: rule.action,
		context,
	}
}

/** Decides one request through the shared procedure, the tenant's policies read from D1. */
export function decide(env: Env, request: AccessRequest): Promise<Decision> {
	return decideAccess(request, (tenantId) => tenantPolicies(database(env.DB), tenantId))
}

/**
 * Every action of a route that the caller may perform on the tenant's resources (any id), each
 * decided like a request to that route — scopes, system and tenant policies (read once: the
 * policy cache shares one load among concurrent misses). What a client shows; the routes still decide each request.
 */
export async function allowedActions(env: Env, principal: Principal): Promise<string[]> {
	const checks = ROUTE_RULES.map(async ([method, , rule]) => {
		const request = accessRequest(principal, rule, {}, { method })
		return (await decide(env, request)).effect === 'allow' ? rule.action : undefined
	})
	const allowed = new Set((await Promise.all(checks)).filter((a) => a !== undefined))
	return [...allowed].sort()
}

/**
 * The ids among `ids` on which the caller may perform `rule` (e.g. the sessions an aggregate list
 * may show), each decided like a request naming it.
 */
export async function allowedIds(
	env: Env,
	principal: Principal,
	rule: RouteRule,
	ids: readonly string[],
	method = 'GET',
): Promise<Set<string>> {
	const param = rule.param ?? 'id'
	const checks = ids.map(async (id) => {
		const request = accessRequest(principal, { ...rule, param }, { [param]: id }, { method })
		return (await decide(env, request)).effect === 'allow' ? id : undefined
	})
	return new Set((await Promise.all(checks)).filter((id) => id !== undefined))
}

export const authorize = (): MiddlewareHandler<GatewayEnv> =>
	async function authorize(c, next) {
		const matched = ruleFor(c.req.method, c.req.path)
		// Unknown routes fall through to 404/405; a known route without a rule is denied.
		if (matched) await authorizeRule(c, matched.rule, matched.params)
		await next()
	}

/**
 * Decides one action on one resource for the caller; a denial is logged, audited and thrown as
 * 403. The middleware calls it per route; handlers call it again for a resource the path does
 * not name (the session of a chat completion, the agent behind a model id).
 */
export async function authorizeRule(
	c: Context<GatewayEnv>,
	rule: RouteRule,
	params: Record<string, string>,
): Promise<void> {
	const principal = c.get('principal')
	const request = accessRequest(principal, rule, params, { method: c.req.method })
	const decision = await decide(c.env, request)
	if (decision.effect === 'allow') return
	c.get('logger').warn('authz.denied', { action: request.action, policy: decision.policyId })
	await audit(
		c,
		{
			action: 'authz.denied',
			target: request.resource,
			outcome: 'deny',
			data: { action: request.action, policy: decision.policyId, role: principal.role },
		},
		{ wait: false },
	)
	throw new ProblemError('forbidden', `Not allowed to ${request.action}: ${decision.reason}.`, {
		extensions: { action: request.action, policy: decision.policyId },
	})
}

/**
 * /v1 routes that authenticate and authorise inside their own protocol: the OpenClaw gateway
 * socket checks its `connect` token and every method against these same policies
 * (src/gateway/openclaw/methods/context.ts).
 */
export const SELF_AUTHORISING: readonly string[] = ['GET /v1/gateway']

/**
 * Fails the gateway's build (its first request, and every gateway test) when a /v1 route has no
 * rule: no route is open by omission.
 */
export function assertEveryRouteHasARule(
	routes: readonly { method: string; path: string }[],
	selfAuthorising: readonly string[] = [],
): void {
	const missing = routes
		.filter((r) => r.path.startsWith('/v1/') && r.method !== 'ALL')
		.filter((r) => !selfAuthorising.includes(`${r.method} ${r.path}`))
		.filter((r) => !ruleFor(r.method, r.path.replace(/:(\w+)/g, 'x')))
		.map((r) => `${r.method} ${r.path}`)
	if (missing.length > 0)
		throw new Error(`routes without an authorization rule: ${missing.join(', ')}`)
}
