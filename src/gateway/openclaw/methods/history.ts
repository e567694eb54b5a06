// Reading a session's transcript: `chat.history` (the TUI's and the CLI's) and `chat.startup` (the
// Control UI's first read of a chat: the same answer). Besides the messages the answer carries what clients render around
// them: `sessionInfo` (the session's row), `defaults` (its agent's model) and `inFlightRun`.
import { z } from 'zod'
import { database } from '../../../db/client'
import { getSession } from '../../../db/sessions'
import type { MessageView } from '../../../lanes/types'
import { unwrap } from '../../lane/client'
import { follow, subscribedToSessions, subscribeToSessions } from '../follows'
import { clawKey } from '../keys'
import { type Method, type MethodContext, method, openSession } from './context'
import { sessionDefaults, sessionRow } from './session-views'

const Key = z.string().min(1).max(300)
const Agent = z.string().min(1).max(64).optional()

const HistoryParams = z
	.object({
		sessionKey: Key,
		agentId: Agent,
		limit: z.number().int().min(1).max(1_000).optional(),
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
 * content blocks (`text`, `toolCall`), each tool result its own `toolResult` message.
 */
function historyMessages(m: MessageView): Record<string, unknown>[] {
	const meta = { timestamp: m.createdAt, ...(m.kind === 'summary' && { summary: true }) }
	const results = m.content.filter((part) => part.type === 'tool-result')
	if (results.length > 0) {
		return results.map((r, i) => ({
			role: 'toolResult',
			toolCallId: r.callId,
			toolName: r.name,
			content: [{ type: 'text', text: r.result }],
			isError: r.isError === true,
			id: results.length === 1 ? m.id : `${m.id}:${i}`,
			...meta,
		}))
	}
	const content = m.content.map((part) =>
		part.type === 'tool-call'
			? { type: 'toolCall', id: part.callId, name: part.name, arguments: argumentsOf(part.args) }
			: { type: 'text', text: part.type === 'text' ? part.text : '' },
	)
	return [{ role: m.role === 'tool' ? 'toolResult' : m.role, content, id: m.id, ...meta }]
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
	const messages: unknown[] = []
	let after = 0
	let seen = 0
	while (messages.length < limit) {
		const page = unwrap(await lane.stub.listMessages(after, 500))
		for (const m of page.messages) {
			if (m.compacted) continue
			if (seen++ < skip) continue
			messages.push(...historyMessages(m))
		}
		if (page.next === null) break
		after = page.next
	}
	const active = info.value.activeRunId
	return {
		...around,
		messages: messages.slice(0, limit),
		totalMessages: info.value.messages.active,
		hasMore: skip > 0,
		// The run answering now: its name for this client, and its text so far if this connection
		// has been streaming it (the rest arrives as `chat` deltas).
		...(active && {
			inFlightRun: {
				runId: ctx.kv.get<string>(`alias:${active}`) ?? active,
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
