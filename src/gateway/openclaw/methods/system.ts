// Gateway-wide reads: `status`, `health`, `models.list`, `agents.list`.
import { z } from 'zod'
import { targetOf } from '../../../agents/models/targets'
import { listAgents } from '../../../agents/store'
import { database } from '../../../db/client'
import { ProblemError } from '../../problem'
import { checkReadiness } from '../../readiness'
import { VERSION } from '../../routes/health'
import { followedLanes } from '../follows'
import { DEFAULT_AGENT } from '../keys'
import { PROTOCOL_VERSION } from '../protocol'
import { allow, type Method, type MethodContext, method } from './context'

const Empty = z.object({}).loose()
const Agent = z.string().min(1).max(64).optional()

/** The caller's agents, if its policies let it list them. */
async function tenantAgents(ctx: MethodContext) {
	await allow(ctx, 'agents:list', 'agent')
	return listAgents(database(ctx.env.DB), ctx.principal.tenantId)
}

const status = method({
	scope: 'operator.read',
	params: Empty,
	async handle(ctx) {
		const follows = followedLanes(ctx.kv).length
		return {
			ok: true,
			version: VERSION,
			protocol: PROTOCOL_VERSION,
			runtime: 'cloudflare-workers',
			tenant: ctx.principal.tenantId,
			connection: {
				id: ctx.connId,
				connectedAt: ctx.connectedAt,
				uptimeMs: ctx.now() - ctx.connectedAt,
				scopes: ctx.scopes,
				followedSessions: follows,
			},
			ts: ctx.now(),
		}
	},
})

const health = method({
	scope: 'operator.read',
	params: Empty,
	async handle(ctx) {
		const started = ctx.now()
		const r = await checkReadiness(ctx.env)
		return {
			ok: r.ready,
			ts: ctx.now(),
			durationMs: ctx.now() - started,
			checks: r.checks,
			defaultAgentId: DEFAULT_AGENT,
		}
	},
})

const agents = method({
	scope: 'operator.read',
	params: Empty,
	async handle(ctx) {
		const rows = await tenantAgents(ctx)
		return {
			defaultId: rows.some((a) => a.id === DEFAULT_AGENT)
				? DEFAULT_AGENT
				: (rows[0]?.id ?? DEFAULT_AGENT),
			mainKey: 'main',
			scope: 'per-sender',
			agents: rows.map((a) => ({
				id: a.id,
				kind: 'agent',
				name: a.name,
				createdAt: a.createdAt.getTime(),
				model: { primary: a.config.model.primary, fallbacks: a.config.model.fallbacks },
			})),
		}
	},
})

/**
 * The models the tenant's agents answer with (`openclaw models list`, the TUI's model picker): each
 * once, as OpenClaw names it — provider id and model id — primary models tagged `default`. These
 * are all the models there are here (agents name their models; nothing is discovered), so every
 * `view` lists the same. Whether a provider key is set is not shown: keys are tenant secrets.
 */
const models = method({
	scope: 'operator.read',
	params: z
		.object({
			agentId: Agent,
			provider: z.string().min(1).max(64).optional(),
			view: z.enum(['default', 'configured', 'provider-config', 'all']).optional(),
		})
		.loose(),
	async handle(ctx, p) {
		const rows = (await tenantAgents(ctx)).filter((a) => !p.agentId || a.id === p.agentId)
		if (p.agentId && rows.length === 0) {
			throw new ProblemError('not_found', `Agent "${p.agentId}" does not exist.`)
		}
		const seen = new Map<string, Record<string, unknown> & { tags: string[] }>()
		for (const a of rows) {
			for (const ref of [a.config.model.primary, ...a.config.model.fallbacks]) {
				const t = targetOf(a.config, ref)
				const provider = ref.slice(0, ref.indexOf(':'))
				if (p.provider && provider !== p.provider) continue
				const entry = seen.get(ref) ?? {
					id: t.modelId,
					name: t.modelId,
					provider,
					contextWindow: t.contextWindow,
					supportsTools: true,
					input: ['text'],
					tags: [],
				}
				if (ref === a.config.model.primary && !entry.tags.includes('default')) {
					entry.tags.push('default')
				}
				seen.set(ref, entry)
			}
		}
		return { models: [...seen.values()] }
	},
})

export const systemMethods: Record<string, Method> = {
	status,
	health,
	'agents.list': agents,
	'models.list': models,
}
