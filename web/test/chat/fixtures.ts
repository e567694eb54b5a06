// Events and stored messages as the gateway sends them, for the chat's tests.
import { type ChatState, chatReducer, initialChatState } from '../../src/chat/stream'
import type { LaneEvent, LaneEventType, MessagePart, MessageView } from '../../src/chat/types'

export const ev = (
	seq: number,
	type: LaneEventType,
	data: Record<string, unknown> = {},
	runId: string | null = 'r1',
): LaneEvent => ({
	seq,
	ts: 1_000 + seq,
	type,
	runId,
	data,
})

export const feed = (events: LaneEvent[], state: ChatState = initialChatState): ChatState =>
	events.reduce((s, event) => chatReducer(s, { type: 'event', event }), state)

export const run = (state: ChatState, runId = 'r1') => state.runs.find((r) => r.runId === runId)

export const texts = (state: ChatState, runId = 'r1') =>
	run(state, runId)?.parts.flatMap((p) => (p.kind === 'text' ? [p.text] : [])) ?? []

/** One turn of an echo model: queued, started, three deltas, final. */
export const TURN = [
	ev(1, 'queued', { messageId: 'm1', mode: 'followup' }),
	ev(2, 'started', { attempt: 1, deadline: 9_999 }),
	ev(3, 'delta', { text: 'echo: ' }),
	ev(4, 'delta', { text: 'hel' }),
	ev(5, 'delta', { text: 'lo' }),
	ev(6, 'final', {
		output: 'echo: hello',
		usage: { inputTokens: 1, outputTokens: 2 },
		model: 'offline:echo',
	}),
]

/** A stored message; `content` may be plain text. */
export const stored = (
	seq: number,
	role: MessageView['role'],
	content: string | MessagePart[],
	runId: string | null = 'r1',
): MessageView => ({
	seq,
	id: `m${seq}`,
	runId,
	role,
	kind: 'message',
	content: typeof content === 'string' ? [{ type: 'text', text: content }] : content,
	tokens: 1,
	compacted: false,
	createdAt: seq,
})

/** The user sends `text`; with `runId`, the gateway took it as that run's own message. */
export function send(state: ChatState, localId: string, text: string, runId?: string): ChatState {
	const message = {
		...{ localId, text, mode: 'followup' as const, idempotencyKey: localId },
		...{ runId: null, state: 'sending' as const, error: null },
	}
	const sending = chatReducer(state, { type: 'send', message })
	if (!runId) return sending
	const disposition = 'queued'
	return chatReducer(sending, { type: 'accepted', localId, runId, status: 'queued', disposition })
}
