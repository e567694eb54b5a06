// Agents of the caller's tenant: list, read, create, replace, delete, and the version history.
// Every write is validated (zod, then every secret it names must be the tenant's to use and every
// URL it chooses must pass the SSRF guard), versioned in `agent_versions`, audited with the secret
// names and URLs it changed, and drops the agent from this isolate's cache.
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { AgentConfig, Slug } from '../../agents/config'
import { invalidateAgent } from '../../agents/lookup'
import { outboundIssues, secretReferences, urlReferences } from '../../agents/outbound'
import {
	type Agent,
	createAgentRow,
	deleteAgentRow,
	getAgent,
	listAgents,
	listAgentVersions,
	updateAgentRow,
} from '../../agents/store'
import { database } from '../../db/client'
import { tenantSecretNames } from '../../db/secrets'
import { getTenant } from '../../db/tenants'
import { canonicalJson } from '../../security/audit'
import { secret } from '../../security/env'
import { sharedSecrets } from '../../security/secrets'
import { tenantUrlRules } from '../../security/ssrf'
import { actorOf } from '../../security/subject'
import { audit } from '../audit'
import type { GatewayEnv } from '../context'
import { fieldProblem } from '../errors'
import { jsonBody } from '../middleware/body'
import {
	authedErrors,
	bearerAuth,
	conflictResponse,
	createRouter,
	json,
	notFoundResponse,
	ProblemSchema,
} from '../openapi'
import { PROBLEM_CONTENT_TYPE, ProblemError } from '../problem'
import { applyHeartbeat, disarmHeartbeat, hasHeartbeat, planHeartbeat } from './agent-heartbeat'

const AgentView = z
	.object({
		id: z.string(),
		tenantId: z.string(),
		name: z.string(),
		version: z.number().int(),
		config: AgentConfig,
		createdAt: z.string(),
		updatedAt: z.string(),
		/** The heartbeat webhook's signing secret (`whsec_…`): only in the answer that generated it. */
		heartbeatSigningSecret: z.string().optional(),
	})
	.openapi('Agent')

const AgentParams = z.object({ agentId: Slug })

const Name = z.string().trim().min(1).max(100)

const CreateAgent = z
	.object({ id: Slug, name: Name, config: AgentConfig })
	.strict()
	.openapi('CreateAgent')

const ReplaceAgent = z
	.object({
		name: Name,
		config: AgentConfig,
		/** Optimistic concurrency, like `If-Match: "<version>"`. */
		expectedVersion: z.number().int().min(1).optional(),
	})
	.strict()
	.openapi('ReplaceAgent')

const view = (a: Agent, heartbeat: { signingSecret?: string } = {}): z.infer<typeof AgentView> => ({
	...(heartbeat.signingSecret !== undefined && { heartbeatSigningSecret: heartbeat.signingSecret }),
	id: a.id,
	tenantId: a.tenantId,
	name: a.name,
	version: a.version,
	config: a.config,
	createdAt: a.createdAt.toISOString(),
	updatedAt: a.updatedAt.toISOString(),
})

const preconditionFailed = {
	412: {
		description: 'The agent is at another version (precondition_failed)',
		content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
	},
} as const

const list = createRoute({
	method: 'get',
	path: '/v1/agents',
	tags: ['agents'],
	security: bearerAuth,
	summary: "List the tenant's agents",
	responses: {
		200: json(z.object({ agents: z.array(AgentView) }), 'Agents'),
		...authedErrors,
		...notFoundResponse,
	},
})

const read = createRoute({
	method: 'get',
	path: '/v1/agents/{agentId}',
	tags: ['agents'],
	security: bearerAuth,
	summary: 'Read an agent',
	request: { params: AgentParams },
	responses: { 200: json(AgentView, 'Agent'), ...authedErrors, ...notFoundResponse },
})

const create = createRoute({
	method: 'post',
	path: '/v1/agents',
	tags: ['agents'],
	security: bearerAuth,
	summary: 'Create an agent (version 1)',
	middleware: [jsonBody({ maxBytes: 262_144 })] as const,
	request: { body: { required: true, content: { 'application/json': { schema: CreateAgent } } } },
	responses: {
		201: json(AgentView, 'Created'),
		...authedErrors,
		...notFoundResponse,
		...conflictResponse,
	},
})

const replace = createRoute({
	method: 'put',
	path: '/v1/agents/{agentId}',
	tags: ['agents'],
	security: bearerAuth,
	summary:
		"Replace an agent's name and config (version + 1); `If-Match` for optimistic concurrency",
	middleware: [jsonBody({ maxBytes: 262_144 })] as const,
	request: {
		params: AgentParams,
		headers: z.object({ 'if-match': z.string().max(40).optional() }),
		body: { required: true, content: { 'application/json': { schema: ReplaceAgent } } },
	},
	responses: {
		200: json(AgentView, 'Replaced'),
		...authedErrors,
		...notFoundResponse,
		...preconditionFailed,
	},
})

const remove = createRoute({
	method: 'delete',
	path: '/v1/agents/{agentId}',
	tags: ['agents'],
	security: bearerAuth,
	summary: 'Delete an agent (its sessions keep their history; new messages get 404)',
	request: { params: AgentParams },
	responses: { 204: { description: 'Deleted' }, ...authedErrors, ...notFoundResponse },
})

const versions = createRoute({
	method: 'get',
	path: '/v1/agents/{agentId}/versions',
	tags: ['agents'],
	security: bearerAuth,
	summary: "An agent's versions, newest first (up to 100)",
	request: { params: AgentParams },
	responses: {
		200: json(
			z.object({
				versions: z.array(
					z.object({
						version: z.number().int(),
						name: z.string(),
						config: z.unknown(),
						actor: z.string(),
						createdAt: z.string(),
					}),
				),
			}),
			'Versions',
		),
		...authedErrors,
		...notFoundResponse,
	},
})

/**
 * Refused at save, not when a message runs: a secret the tenant may not use here (not its own, an
 * EDGECLAW_* name, a shared one toward a custom URL) or a URL the SSRF guard refuses is a 400 with
 * the field's path.
 */
async function checkOutbound(
	c: Context<GatewayEnv>,
	tenantId: string,
	config: AgentConfig,
): Promise<void> {
	const tenantSecrets =
		secretReferences(config).length > 0
			? await tenantSecretNames(database(c.env.DB), tenantId)
			: new Set<string>()
	const issues = outboundIssues(config, {
		tenantSecrets,
		shared: sharedSecrets(c.env.EDGECLAW_SHARED_SECRETS),
		deploymentHas: (name) => secret(c.env, name) !== undefined,
		urlRules: tenantUrlRules(c.env),
	})
	if (issues.length === 0) return
	throw fieldProblem(
		issues.map((i) => ({ path: `config.${i.path}`, message: i.message })),
		'json',
	)
}

/** `path=NAME` for every secret a config names, sorted: the audit trail of where keys go. */
const secretList = (config: AgentConfig | undefined): string[] =>
	config ? [...new Set(secretReferences(config).map((r) => `${r.path}=${r.name}`))].sort() : []

const urlList = (config: AgentConfig | undefined): string[] =>
	config ? [...new Set(urlReferences(config).map((r) => `${r.path}=${r.url}`))].sort() : []

/** Secret names and URLs before → after, for whichever of the two changed (names, never values). */
function outboundChanges(
	before: AgentConfig | undefined,
	after: AgentConfig | undefined,
): Record<string, { before: string[]; after: string[] }> {
	const out: Record<string, { before: string[]; after: string[] }> = {}
	const pairs: [string, string[], string[]][] = [
		['secretNames', secretList(before), secretList(after)],
		['urls', urlList(before), urlList(after)],
	]
	for (const [key, was, now] of pairs) {
		if (canonicalJson(was) !== canonicalJson(now)) out[key] = { before: was, after: now }
	}
	return out
}

/** `If-Match: "3"` (or `W/"3"`, or `3`) → 3; anything else is a 400. */
function ifMatchVersion(header: string | undefined): number | undefined {
	if (header === undefined) return undefined
	const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim())
	if (!m) throw new ProblemError('bad_request', 'If-Match must be the agent version, e.g. "3".')
	return Number(m[1])
}

const record = (
	c: Context<GatewayEnv>,
	action: string,
	agentId: string,
	data: Record<string, unknown>,
): Promise<void> => audit(c, { action, target: `agent:${agentId}`, outcome: 'success', data })

/** Top-level config keys whose value differs (a key on one side only counts); sorted. */
const changedKeys = (before: Partial<AgentConfig>, after: Partial<AgentConfig>): string[] => {
	const keys = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof AgentConfig>
	return [...keys].filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k])).sort()
}

export const agentRoutes = createRouter()
	.openapi(list, async (c) => {
		const { tenantId } = c.get('principal')
		const db = database(c.env.DB)
		const agents = await listAgents(db, tenantId)
		// An empty list is ambiguous; tell a missing tenant apart from one without agents.
		if (agents.length === 0 && !(await getTenant(db, tenantId))) {
			throw new ProblemError('not_found', `Tenant "${tenantId}" does not exist.`)
		}
		return c.json({ agents: agents.map((a) => view(a)) }, 200)
	})
	.openapi(read, async (c) => {
		const { tenantId } = c.get('principal')
		const { agentId } = c.req.valid('param')
		const agent = await getAgent(database(c.env.DB), tenantId, agentId)
		if (!agent) throw new ProblemError('not_found', `Agent "${agentId}" does not exist.`)
		return c.json(view(agent), 200)
	})
	.openapi(create, async (c) => {
		const { tenantId } = c.get('principal')
		const body = c.req.valid('json')
		await checkOutbound(c, tenantId, body.config)
		if (!(await getTenant(database(c.env.DB), tenantId))) {
			throw new ProblemError('not_found', `Tenant "${tenantId}" does not exist.`)
		}
		const beat = await planHeartbeat(c, body.id, body.config)
		const agent = await createAgentRow(
			c.env.DB,
			tenantId,
			body.id,
			body,
			actorOf(c.get('principal')),
		)
		if (!agent) throw new ProblemError('conflict', `Agent "${body.id}" already exists.`)
		invalidateAgent(tenantId, body.id)
		const heartbeat = await applyHeartbeat(c, body.id, beat)
		await record(c, 'agent.created', body.id, {
			version: 1,
			changed: changedKeys({}, body.config),
			...outboundChanges(undefined, body.config),
		})
		c.header('location', `/v1/agents/${body.id}`)
		return c.json(view(agent, heartbeat), 201)
	})
	.openapi(replace, async (c) => {
		const { tenantId } = c.get('principal')
		const { agentId } = c.req.valid('param')
		const body = c.req.valid('json')
		await checkOutbound(c, tenantId, body.config)
		const expected = ifMatchVersion(c.req.valid('header')['if-match']) ?? body.expectedVersion
		const beat = await planHeartbeat(c, agentId, body.config)
		const outcome = await updateAgentRow(
			c.env.DB,
			database(c.env.DB),
			tenantId,
			agentId,
			body,
			actorOf(c.get('principal')),
			expected,
		)
		invalidateAgent(tenantId, agentId)
		if (!outcome.ok) {
			if (outcome.reason === 'not_found') {
				throw new ProblemError('not_found', `Agent "${agentId}" does not exist.`)
			}
			throw new ProblemError(
				'precondition_failed',
				`Agent "${agentId}" is at version ${outcome.current?.version}, not ${expected}.`,
				{ extensions: { version: outcome.current?.version } },
			)
		}
		const heartbeat = await applyHeartbeat(c, agentId, beat)
		await record(c, 'agent.updated', agentId, {
			version: outcome.agent.version,
			changed: changedKeys(outcome.previous.config, body.config),
			...outboundChanges(outcome.previous.config, body.config),
		})
		c.header('etag', `"${outcome.agent.version}"`)
		return c.json(view(outcome.agent, heartbeat), 200)
	})
	.openapi(remove, async (c) => {
		const { tenantId } = c.get('principal')
		const { agentId } = c.req.valid('param')
		const beating = await hasHeartbeat(c, agentId)
		const version = await deleteAgentRow(c.env.DB, tenantId, agentId)
		invalidateAgent(tenantId, agentId)
		if (version === undefined) {
			throw new ProblemError('not_found', `Agent "${agentId}" does not exist.`)
		}
		// The heartbeat's schedule row went with the agent (foreign key); its timer goes now.
		if (beating) await disarmHeartbeat(c, agentId)
		await record(c, 'agent.deleted', agentId, { version, changed: [] })
		return c.body(null, 204)
	})
	.openapi(versions, async (c) => {
		const { tenantId } = c.get('principal')
		const { agentId } = c.req.valid('param')
		const db = database(c.env.DB)
		const rows = await listAgentVersions(db, tenantId, agentId)
		if (rows.length === 0 && !(await getAgent(db, tenantId, agentId))) {
			throw new ProblemError('not_found', `Agent "${agentId}" does not exist.`)
		}
		return c.json(
			{ versions: rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) },
			200,
		)
	})
