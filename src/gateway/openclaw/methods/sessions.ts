// Sessions: list and describe (the tenant's D1 index), reset, delete, and subscriptions — to the
// session events of the connection (`sessions.subscribe`) and to one session's transcript.
import { z } from 'zod'
import { database } from '../../../db/client'
import { getSession, listSessions } from '../../../db/sessions'
import { laneName } from '../../../lanes/name'
import { unwrap } from '../../lane/client'
import { ProblemError } from '../../problem'
import { follow, forget, refollow, subscribeToSessions } from '../follows'
import { clawKey, parseClawKey } from '../keys'
import { allow, type Method, type MethodContext, method, openSession, sessionOf } from './context'
import { agentOf, defaultsFor, sessionDefaults, sessionRow } from './session-views'

const Key = z.string().min(1).max(300)
const Agent = z.string().min(1).max(64).optional()

/** A listing reads at most this many rows of the index (OpenClaw's `limit` has no bound). */
const MAX_LISTED = 200

const ListParams = z
	.object({
		agentId: Agent,
		limit: z.number().int().min(1).optional(),
		offset: z.number().int().min(0).max(10_000).optional(),
		activeMinutes: z.number().int().min(1).optional(),
		label: z.string().min(1).max(512).optional(),
		search: z.string().max(300).optional(),
		spawnedBy: z.string().min(1).max(300).optional(),
		archived: z.union([z.boolean(), z.literal('all')]).optional(),
	})
	.loose()

/**
 * The tenant's sessions, newest first, with the defaults of the agent they are listed for.
 * OpenClaw's filters are honoured where edgeclaw has the fact they filter on, and a filter for
 * something edgeclaw sessions never are — spawned by another session, archived — lists none.
 */
async function listing(ctx: MethodContext, p: z.infer<typeof ListParams>) {
	await allow(ctx, 'sessions:list', 'session')
	const limit = Math.min(p.limit ?? 50, MAX_LISTED)
	const offset = p.offset ?? 0
	const none = p.spawnedBy !== undefined || p.archived === true
	const filtered = p.activeMinutes !== undefined || p.label !== undefined || Boolean(p.search)
	const [indexed, defaults] = await Promise.all([
		none
			? []
			: listSessions(database(ctx.env.DB), {
					tenantId: ctx.principal.tenantId,
					agentId: p.agentId,
					// A filter reads the newest rows of a whole page, then keeps the matching ones.
					limit: offset + (filtered ? MAX_LISTED : limit),
				}),
		defaultsFor(ctx, p.agentId),
	])
	const since = p.activeMinutes === undefined ? 0 : ctx.now() - p.activeMinutes * 60_000
	const search = p.search?.trim().toLowerCase()
	const rows = indexed
		.filter((s) => s.updatedAt.getTime() >= since)
		.filter((s) => p.label === undefined || s.sessionKey === p.label)
		.filter((s) => !search || clawKey(s).toLowerCase().includes(search))
		.slice(offset, offset + limit)
	const agents = new Map<string, Awaited<ReturnType<typeof agentOf>>>()
	for (const id of new Set(rows.map((r) => r.agentId))) agents.set(id, await agentOf(ctx, id))
	return {
		ts: ctx.now(),
		count: rows.length,
		defaults,
		sessions: rows.map((s) => sessionRow(s, agents.get(s.agentId))),
	}
}

const list = method({ scope: 'operator.read', params: ListParams, handle: listing })

/**
 * Session events for this connection (see follows.ts for what edgeclaw can deliver). With the
 * listing's params it also answers the listing, as OpenClaw does.
 */
const subscribe = method({
	scope: 'operator.read',
	params: ListParams,
	async handle(ctx, p) {
		await allow(ctx, 'sessions:list', 'session')
		subscribeToSessions(ctx.kv)
		if (Object.keys(p).length === 0) return { subscribed: true }
		return { subscribed: true, list: await listing(ctx, p) }
	},
})

/** One session's row (`session: null` when it has never been used). */
const describe = method({
	scope: 'operator.read',
	params: z.object({ key: Key, agentId: Agent }).loose(),
	async handle(ctx, p) {
		const session = sessionOf(p.key, p.agentId)
		await allow(ctx, 'sessions:read', 'session', session.sessionKey)
		const ref = { tenantId: ctx.principal.tenantId, ...session }
		const [row, agent] = await Promise.all([
			getSession(database(ctx.env.DB), ref),
			agentOf(ctx, session.agentId),
		])
		return {
			session: row ? sessionRow(row, agent) : null,
			...(agent && { defaults: sessionDefaults(agent) }),
		}
	},
})

/**
 * A session named by `key` (or `reference.key`), `sessionId` or `label` — all the session key
 * here — if it exists.
 * OpenClaw's short ids and slug hints name nothing in edgeclaw, so they never resolve; a session
 * that does not exist is `{ok: false}` with `allowMissing`, NOT_FOUND otherwise.
 */
const resolve = method({
	scope: 'operator.read',
	params: z
		.object({
			key: Key.optional(),
			sessionId: Key.optional(),
			label: z.string().min(1).max(512).optional(),
			/** The Control UI's newer form: `{reference: {key, slug?}}`. */
			reference: z.object({ key: Key.optional() }).loose().optional(),
			agentId: Agent,
			allowMissing: z.boolean().optional(),
		})
		.loose(),
	async handle(ctx, p) {
		const name = p.key ?? p.reference?.key ?? p.sessionId ?? p.label
		const session = name === undefined ? undefined : parseClawKey(name)
		if (session) {
			const agentId = name?.startsWith('agent:') ? session.agentId : (p.agentId ?? session.agentId)
			await allow(ctx, 'sessions:read', 'session', session.sessionKey)
			const ref = { tenantId: ctx.principal.tenantId, agentId, sessionKey: session.sessionKey }
			if (await getSession(database(ctx.env.DB), ref)) {
				return { ok: true, key: clawKey(ref), agentId, displayName: ref.sessionKey }
			}
		}
		if (p.allowMissing) return { ok: false }
		throw new ProblemError('not_found', `no session matches ${name ?? 'the request'}`)
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

const subscribeMessages = method({
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

const unsubscribeMessages = method({
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
	'sessions.subscribe': subscribe,
	'sessions.describe': describe,
	'sessions.resolve': resolve,
	'sessions.messages.subscribe': subscribeMessages,
	'sessions.messages.unsubscribe': unsubscribeMessages,
}
