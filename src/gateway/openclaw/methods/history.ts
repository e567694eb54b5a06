// Reading a session's transcript: `chat.history` (the TUI's and the CLI's) and `chat.startup` (the
// Control UI's first read of a chat: the same answer). Besides the messages the answer carries what clients render around
// them: `sessionInfo` (the session's row), `defaults` (its agent's model) and `inFlightRun`.
import { z } from 'zod'
import { database } from '../../../db/client'
import { getSession } from '../../../db/sessions'
import { laneName } from '../../../lanes/name'
import type { MessageView } from '../../../lanes/types'
import { type LaneHandle, unwrap } from '../../lane/client'
import { follow, subscribedToSessions, subscribeToSessions } from '../follows'
import { clawKey } from '../keys'
import { type Method, type MethodContext, method, openSession, trackedRun } from './context'
import { sessionDefaults, sessionRow } from './session-views'

const Key = z.string().min(1).max(300)
const Agent = z.string().min(1).max(64).optional()

const HistoryParams = z
	.object({
		sessionKey: Key,
		agentId: Agent,
		limit: z.number().int().min(1).max(1_000).optional(),
		inputRunIds: z.array(z.string().min(1).max(256)).min(1).max(50).optional(),
	})
	.loose()

/** A JSON object from a tool call's argument text (what OpenClaw's `toolCall.arguments` holds). */
function argumentsOf(text: string): Record<string, unknown> {
	try {
		const value = JSON.parse(text) as unknown
		return typeof value === 'object' && value !== null && !Array.isArray(value)
			? (value as Record<string, unknown>)
			: { value }
	} catch {
		return { raw: text }
	}
}

/**
 * One stored message as OpenClaw's transcript messages: text and tool calls as the assistant's
 * content blocks (`text`, `toolCall`), each tool result its own `toolResult` message. Each carries
 * OpenClaw's identity (`__openclaw`: id, seq, the run by the client's name for it, and on a user
 * message the send's idempotency key) so a client matches it to what it sent and streamed.
 */
function historyMessages(m: MessageView, runName: (laneRunId: string) => string) {
	const run = m.runId ? runName(m.runId) : undefined
	const identity = (id: string) => ({
		id,
		seq: m.seq,
		...(run && { runId: run }),
		...(run && m.role === 'user' && { idempotencyKey: `${run}:user` }),
	})
	const meta = { timestamp: m.createdAt, ...(m.kind === 'summary' && { summary: true }) }
	const results = m.content.filter((part) => part.type === 'tool-result')
	if (results.length > 0) {
		return results.map((r, i) => {
			const id = results.length === 1 ? m.id : `${m.id}:${i}`
			return {
				role: 'toolResult',
				toolCallId: r.callId,
				toolName: r.name,
				content: [{ type: 'text', text: r.result }],
				isError: r.isError === true,
				id,
				...meta,
				__openclaw: identity(id),
			}
		})
	}
	const content = m.content.map((part) =>
		part.type === 'tool-call'
			? { type: 'toolCall', id: part.callId, name: part.name, arguments: argumentsOf(part.args) }
			: { type: 'text', text: part.type === 'text' ? part.text : '' },
	)
	const role = m.role === 'tool' ? 'toolResult' : m.role
	return [{ role, content, id: m.id, ...meta, __openclaw: identity(m.id) }]
}

/**
 * What became of the messages this connection sent (`inputRunIds`, the client's run names):
 * `pending` while the message waits in the session's queue, `consumed` once it is in the
 * transcript (by that message's id). Runs this connection did not start are not known by the
 * client's name here, so they are left out, as OpenClaw leaves out ids it has no record of.
 */
async function inputReceipts(
	ctx: MethodContext,
	lane: LaneHandle,
	runIds: readonly string[],
	userMessageOf: (laneRunId: string) => string | undefined,
) {
	const name = laneName(lane.ref)
	const receipts: Record<string, unknown>[] = []
	for (const runId of runIds) {
		const tracked = trackedRun(ctx, runId)
		if (!tracked || tracked.lane !== name) continue
		const run = await lane.stub.getRun(tracked.runId)
		if (!run.ok) continue
		const waiting = run.value.status === 'queued' || run.value.pendingInput > 0
		const message = userMessageOf(tracked.runId)
		receipts.push(
			waiting || !message
				? { runId, state: 'pending' }
				: { runId, state: 'consumed', consumedByEventId: message },
		)
	}
	return {
		inputReceipts: receipts,
		inputConsumptions: receipts
			.filter((r) => r.state === 'consumed')
			.map((r) => ({ runId: r.runId, consumedByEventId: r.consumedByEventId })),
	}
}

/** The newest `limit` active messages of a session, with what a chat view renders around them. */
async function readHistory(ctx: MethodContext, p: z.infer<typeof HistoryParams>) {
	const { lane } = await openSession(ctx, 'sessions:read', p.sessionKey, p.agentId)
	// A connection subscribed to session events hears this session from now on (see follows.ts).
	if (subscribedToSessions(ctx.kv)) await follow(ctx, lane)
	const key = clawKey(lane.ref)
	const [info, row] = await Promise.all([
		lane.stub.info(),
		getSession(database(ctx.env.DB), lane.ref),
	])
	const around = {
		sessionKey: key,
		sessionId: key,
		defaults: sessionDefaults(lane.agent),
		...(row && { sessionInfo: sessionRow(row, lane.agent) }),
	}
	if (!info.ok) return { ...around, messages: [], totalMessages: 0, hasMore: false }
	const limit = p.limit ?? 200
	// The newest `limit` active messages: skip ahead by the count, then page forward.
	const skip = Math.max(0, info.value.messages.active - limit)
	const runName = (id: string) => ctx.kv.get<string>(`alias:${id}`) ?? id
	const messages: unknown[] = []
	// The user message each run brought, for the receipts of what this client sent.
	const userMessages = new Map<string, string>()
	let after = 0
	let seen = 0
	while (messages.length < limit) {
		const page = unwrap(await lane.stub.listMessages(after, 500))
		for (const m of page.messages) {
			if (m.compacted) continue
			if (m.role === 'user' && m.runId && !userMessages.has(m.runId)) {
				userMessages.set(m.runId, m.id)
			}
			if (seen++ < skip) continue
			messages.push(...historyMessages(m, runName))
		}
		if (page.next === null) break
		after = page.next
	}
	const active = info.value.activeRunId
	return {
		...around,
		messages: messages.slice(0, limit),
		...(p.inputRunIds &&
			(await inputReceipts(ctx, lane, p.inputRunIds, (id) => userMessages.get(id)))),
		totalMessages: info.value.messages.active,
		hasMore: skip > 0,
		// The run answering now: its name for this client, and its text so far if this connection
		// has been streaming it (the rest arrives as `chat` deltas).
		...(active && {
			inFlightRun: {
				runId: runName(active),
				text: ctx.runs.get(active)?.text ?? '',
			},
		}),
	}
}

const history = method({
	scope: 'operator.read',
	params: HistoryParams,
	handle: readHistory,
})

/**
 * The Control UI's first read of a chat. With a `sessionKey` it is `chat.history`; OpenClaw's
 * other form (find the session by `shortId`/`slugHint`) has nothing to find here, since edgeclaw's
 * session keys are the names, so it answers that the session was not resolved.
 */
const startup = method({
	scope: 'operator.read',
	params: HistoryParams.partial({ sessionKey: true }),
	async handle(ctx, p) {
		if (p.sessionKey !== undefined) return readHistory(ctx, { ...p, sessionKey: p.sessionKey })
		// As in OpenClaw, the resolving form subscribes the connection to session events.
		subscribeToSessions(ctx.kv)
		return { resolution: { ok: false } }
	},
})

export const historyMethods: Record<string, Method> = {
	'chat.history': history,
	'chat.startup': startup,
}
