// Provider health and token usage: what the failover layer currently believes (cooling and
// disabled auth profiles, open circuit breakers) per health scope — the platform admin sees and
// resets any scope, a tenant its own —, and the tenant's token usage per day against its budget.
// Profiles are named by secret NAME only.
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { Slug } from '../../agents/config'
import { type HealthScope, tenantScope } from '../../agents/models/health'
import { healthBackend } from '../../agents/runtime'
import { database } from '../../db/client'
import { tenantLimits } from '../../db/tenants'
import { usageRows, utcDay } from '../../db/usage'
import { audit } from '../audit'
import type { GatewayEnv } from '../context'
import { jsonBody } from '../middleware/body'
import { authedErrors, bearerAuth, createRouter, json, notFoundResponse } from '../openapi'
import { ProblemError } from '../problem'

const Profile = z.object({
	key: z.string(),
	failures: z.number().int(),
	cooldownUntil: z.number().nullable(),
	disabled: z.object({ reason: z.string(), at: z.number(), message: z.string() }).nullable(),
	lastError: z.string().nullable(),
})

const Breaker = z.object({
	key: z.string(),
	state: z.enum(['closed', 'open', 'half-open']),
	failures: z.number().int(),
	trips: z.number().int(),
	openUntil: z.number(),
})

const ProviderHealth = z
	.object({
		scope: z.string().openapi({ description: '`shared`, or `tenant:<id>`' }),
		at: z.number(),
		profiles: z.array(Profile),
		breakers: z.array(Breaker),
	})
	.openapi('ProviderHealth')

/** `shared` (the deployment's shared keys) or a tenant id (that tenant's own keys). */
const Scope = z
	.union([z.literal('shared'), Slug])
	.default('shared')
	.openapi({ description: '`shared` (keys the platform shares) or a tenant id (its own keys)' })

const ResetBody = z
	.object({
		kind: z.enum(['profile', 'breaker']),
		key: z.string().min(3).max(700),
	})
	.strict()

const health = createRoute({
	method: 'get',
	path: '/v1/admin/providers',
	tags: ['providers'],
	security: bearerAuth,
	summary: 'Auth profiles in cooldown or disabled, and circuit breakers, of one health scope',
	request: { query: z.object({ scope: Scope }) },
	responses: { 200: json(ProviderHealth, 'Provider health'), ...authedErrors },
})

const enable = createRoute({
	method: 'post',
	path: '/v1/admin/providers/enable',
	tags: ['providers'],
	security: bearerAuth,
	summary: 'Re-enable an auth profile that was disabled (401/403/billing) or is cooling down',
	middleware: [jsonBody({ maxBytes: 4_096 })] as const,
	request: {
		body: {
			required: true,
			content: {
				'application/json': {
					schema: z.object({ key: z.string().min(3).max(700), scope: Scope }).strict(),
				},
			},
		},
	},
	responses: {
		200: json(z.object({ key: z.string(), enabled: z.literal(true) }), 'Re-enabled'),
		...authedErrors,
		...notFoundResponse,
	},
})

const Reset = z.object({
	scope: z.string(),
	kind: z.string(),
	key: z.string(),
	reset: z.literal(true),
})

const adminReset = createRoute({
	method: 'post',
	path: '/v1/admin/providers/reset',
	tags: ['providers'],
	security: bearerAuth,
	summary: "Close a circuit breaker or clear a profile's cooldown or disable, in any scope",
	middleware: [jsonBody({ maxBytes: 4_096 })] as const,
	request: {
		body: {
			required: true,
			content: { 'application/json': { schema: ResetBody.extend({ scope: Scope }).strict() } },
		},
	},
	responses: { 200: json(Reset, 'Reset'), ...authedErrors, ...notFoundResponse },
})

const tenantHealth = createRoute({
	method: 'get',
	path: '/v1/provider-health',
	tags: ['providers'],
	security: bearerAuth,
	summary: "The tenant's own provider health, and the shared state of the keys it may use",
	responses: {
		200: json(
			z.object({ tenant: ProviderHealth, shared: ProviderHealth }).openapi('TenantProviderHealth'),
			'Provider health',
		),
		...authedErrors,
	},
})

const tenantReset = createRoute({
	method: 'post',
	path: '/v1/provider-health/reset',
	tags: ['providers'],
	security: bearerAuth,
	summary: "Close one of the tenant's breakers or clear one of its profiles (its own state only)",
	middleware: [jsonBody({ maxBytes: 4_096 })] as const,
	request: { body: { required: true, content: { 'application/json': { schema: ResetBody } } } },
	responses: { 200: json(Reset, 'Reset'), ...authedErrors, ...notFoundResponse },
})

/** A UTC day that exists: `2026-02-30` and `2026-13-45` have the shape but are refused. */
const Day = z
	.string()
	.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a UTC day, YYYY-MM-DD')
	.refine((d) => {
		const at = Date.parse(`${d}T00:00:00Z`)
		return !Number.isNaN(at) && new Date(at).toISOString().startsWith(d)
	}, 'must be a day of the calendar')

const usage = createRoute({
	method: 'get',
	path: '/v1/usage',
	tags: ['providers'],
	security: bearerAuth,
	summary: "The tenant's token usage per UTC day, agent and model, and its daily budget",
	request: { query: z.object({ from: Day.optional(), to: Day.optional() }) },
	responses: {
		200: json(
			z
				.object({
					tenantId: z.string(),
					from: z.string(),
					to: z.string(),
					dailyTokenBudget: z.number().int().nullable(),
					usedToday: z.number().int(),
					rows: z.array(
						z.object({
							day: z.string(),
							agentId: z.string(),
							model: z.string(),
							calls: z.number().int(),
							errors: z.number().int(),
							inputTokens: z.number().int(),
							outputTokens: z.number().int(),
							latencyMs: z.number().int(),
						}),
					),
				})
				.openapi('Usage'),
			'Usage',
		),
		...authedErrors,
		...notFoundResponse,
	},
})

const scopeOf = (scope: string): HealthScope => (scope === 'shared' ? 'shared' : tenantScope(scope))

/** One scope's state as the API shows it (cooldowns already over are shown as none). */
async function view(env: Env, scope: HealthScope) {
	const snapshot = await healthBackend(env, scope).snapshot()
	return {
		scope,
		at: snapshot.at,
		profiles: Object.entries(snapshot.profiles).map(([key, p]) => ({
			key,
			failures: p.failures,
			cooldownUntil: p.cooldownUntil > snapshot.at ? p.cooldownUntil : null,
			disabled: p.disabled,
			lastError: p.lastError ?? null,
		})),
		breakers: Object.entries(snapshot.breakers).map(([key, b]) => ({
			key,
			state: b.state,
			failures: b.failures,
			trips: b.trips,
			openUntil: b.openUntil,
		})),
	}
}

/** Resets one entry of a scope, audited; 404 when the scope keeps nothing under that key. */
async function reset(
	c: Context<GatewayEnv>,
	scope: HealthScope,
	kind: 'profile' | 'breaker',
	key: string,
) {
	if (!(await healthBackend(c.env, scope).reset(kind, key))) {
		throw new ProblemError('not_found', `No ${kind} "${key}" is kept in scope ${scope}.`)
	}
	c.get('logger').info('providers.reset', { scope, kind, key })
	await audit(c, {
		action: kind === 'profile' ? 'provider.profile_enabled' : 'provider.breaker_reset',
		target: `${kind}:${key}`,
		outcome: 'success',
		data: { scope },
	})
	return { scope, kind, key, reset: true as const }
}

export const providerRoutes = createRouter()
	.openapi(health, async (c) => {
		return c.json(await view(c.env, scopeOf(c.req.valid('query').scope)), 200)
	})
	.openapi(enable, async (c) => {
		const { key, scope } = c.req.valid('json')
		await reset(c, scopeOf(scope), 'profile', key)
		return c.json({ key, enabled: true as const }, 200)
	})
	.openapi(adminReset, async (c) => {
		const { key, kind, scope } = c.req.valid('json')
		return c.json(await reset(c, scopeOf(scope), kind, key), 200)
	})
	.openapi(tenantHealth, async (c) => {
		const { tenantId } = c.get('principal')
		const [tenant, shared] = await Promise.all([
			view(c.env, tenantScope(tenantId)),
			view(c.env, 'shared'),
		])
		return c.json({ tenant, shared }, 200)
	})
	.openapi(tenantReset, async (c) => {
		const { key, kind } = c.req.valid('json')
		const { tenantId } = c.get('principal')
		return c.json(await reset(c, tenantScope(tenantId), kind, key), 200)
	})
	.openapi(usage, async (c) => {
		const { tenantId } = c.get('principal')
		const query = c.req.valid('query')
		const db = database(c.env.DB)
		const limits = await tenantLimits(db, tenantId)
		if (!limits) throw new ProblemError('not_found', `Tenant "${tenantId}" does not exist.`)
		const today = utcDay(Date.now())
		const to = query.to ?? today
		const from = query.from ?? utcDay(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000)
		if (from > to) throw new ProblemError('bad_request', '"from" must not be after "to".')
		const rows = await usageRows(db, tenantId, from, to)
		const usedToday = rows
			.filter((r) => r.day === today)
			.reduce((n, r) => n + r.inputTokens + r.outputTokens, 0)
		return c.json(
			{
				tenantId,
				from,
				to,
				dailyTokenBudget: limits.dailyTokenBudget,
				usedToday,
				rows: rows.map(({ tenantId: _, ...r }) => r),
			},
			200,
		)
	})
