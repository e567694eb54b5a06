// Sessions: list (the tenant's D1 index), reset, delete, and transcript subscriptions.
import { z } from 'zod'
import { database } from '../../../db/client'
import { listSessions } from '../../../db/sessions'
import { laneName } from '../../../lanes/name'
import { unwrap } from '../../lane/client'
import { follow, forget, refollow } from '../follows'
import { clawKey } from '../keys'
import { allow, type Method, method, openSession } from './context'

const Key = z.string().min(1).max(300)
const Agent = z.string().min(1).max(64).optional()

const list = method({
	scope: 'operator.read',
	params: z
		.object({
			agentId: Agent,
			limit: z.number().int().min(1).max(200).optional(),
		})
		.loose(),
	async handle(ctx, p) {
		await allow(ctx, 'sessions:list', 'session')
		const rows = await listSessions(database(ctx.env.DB), {
			tenantId: ctx.principal.tenantId,
			agentId: p.agentId,
			limit: p.limit ?? 50,
		})
		return {
			ts: ctx.now(),
			count: rows.length,
			sessions: rows.map((s) => {
				const key = clawKey(s)
				return {
					key,
					sessionId: key,
					agentId: s.agentId,
					kind: 'direct',
					label: s.sessionKey,
					updatedAt: s.updatedAt.getTime(),
					createdAt: s.createdAt.getTime(),
					messageCount: s.messageCount,
					hasActiveRun: s.lastRunStatus === 'running' || s.lastRunStatus === 'queued',
				}
			}),
		}
	},
})

const reset = method({
	scope: 'operator.write',
	params: z
		.object({ key: Key, agentId: Agent, reason: z.enum(['new', 'reset']).optional() })
		.loose(),
	async handle(ctx, p) {
		const { lane } = await openSession(ctx, 'sessions:reset', p.key, p.agentId)
		const info = unwrap(await lane.stub.reset())
		ctx.audit('session.reset', `session:${lane.ref.agentId}/${lane.ref.sessionKey}`, {})
		return {
			ok: true,
			key: clawKey(lane.ref),
			entry: { sessionId: clawKey(lane.ref), updatedAt: info.updatedAt },
		}
	},
})

const remove = method({
	scope: 'operator.write',
	params: z.object({ key: Key, agentId: Agent }).loose(),
	async handle(ctx, p) {
		const { lane } = await openSession(ctx, 'sessions:delete', p.key, p.agentId)
		const result = await lane.stub.destroy()
		if (!result.ok && result.error.code !== 'not_found') unwrap(result)
		forget(ctx.kv, laneName(lane.ref))
		if (result.ok) {
			ctx.audit('session.deleted', `session:${lane.ref.agentId}/${lane.ref.sessionKey}`, {})
		}
		return { ok: true, key: clawKey(lane.ref), deleted: result.ok, archived: [] }
	},
})

const subscribe = method({
	scope: 'operator.read',
	params: z
		.object({ key: Key, agentId: Agent, includeApprovals: z.literal(true).optional() })
		.loose(),
	async handle(ctx, p) {
		const { lane } = await openSession(ctx, 'sessions:stream', p.key, p.agentId)
		await follow(ctx, lane, { messages: true })
		return { subscribed: true, key: clawKey(lane.ref) }
	},
})

const unsubscribe = method({
	scope: 'operator.read',
	params: z.object({ key: Key, agentId: Agent }).loose(),
	async handle(ctx, p) {
		const { lane } = await openSession(ctx, 'sessions:stream', p.key, p.agentId)
		// Runs this connection started keep streaming; only transcript messages stop.
		refollow(ctx.kv, laneName(lane.ref), { messages: false })
		return { subscribed: false, key: clawKey(lane.ref) }
	},
})

export const sessionMethods: Record<string, Method> = {
	'sessions.list': list,
	'sessions.reset': reset,
	'sessions.delete': remove,
	'sessions.messages.subscribe': subscribe,
	'sessions.messages.unsubscribe': unsubscribe,
}
