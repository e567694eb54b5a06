// Gateway-wide reads: `status`, `health`, `models.list`, `agents.list`.
import { z } from 'zod'
import { targetOf } from '../../../agents/models/targets'
import { listAgents } from '../../../agents/store'
import { database } from '../../../db/client'
import { checkReadiness } from '../../readiness'
import { VERSION } from '../../routes/health'
import { followedLanes } from '../follows'
import { DEFAULT_AGENT } from '../keys'
import { PROTOCOL_VERSION } from '../protocol'
import { allow, type Method, type MethodContext, method } from './context'

const Empty = z.object({}).loose()

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

const models = method({
	scope: 'operator.read',
	params: Empty,
	async handle(ctx) {
		const rows = await tenantAgents(ctx)
		const seen = new Map<string, Record<string, unknown>>()
		for (const a of rows) {
			for (const ref of [a.config.model.primary, ...a.config.model.fallbacks]) {
				if (seen.has(ref)) continue
				const t = targetOf(a.config, ref)
				seen.set(ref, {
					id: ref,
					name: t.modelId,
					provider: t.kind,
					contextWindow: t.contextWindow,
					available: true,
					supportsTools: true,
					input: ['text'],
				})
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
