// The stream reducer beyond plain events: approvals (from events and from the gateway's answers),
// reset, the outbox of messages being sent, and the stored transcript's windows.
import { describe, expect, it } from 'vitest'
import {
	type ChatAction,
	type ChatState,
	chatReducer,
	initialChatState,
} from '../../src/chat/stream'
import { transcriptItems } from '../../src/chat/transcript-view'
import { ev, feed, stored, TURN } from './fixtures'

describe('chatReducer: approvals', () => {
	const requested = ev(3, 'approval.requested', {
		approvalId: 'a1',
		callId: 'c1',
		tool: 'exec',
		sideEffect: 'external',
		args: '{"cmd":"ls"}',
		principals: ['key:k1'],
		deadline: 60_000,
	})

	it('shows a requested approval as pending, then its outcome', () => {
		const call = ev(2, 'tool', { phase: 'call', name: 'exec', callId: 'c1', data: {} })
		const pending = feed([ev(1, 'started'), call, requested])
		expect(pending.approvals).toEqual([
			expect.objectContaining({
				id: 'a1',
				callId: 'c1',
				tool: 'exec',
				args: '{"cmd":"ls"}',
				status: 'pending',
				deadlineAt: 60_000,
			}),
		])
		const resolved = (decision: string, by?: string) =>
			feed([ev(4, 'approval.resolved', { approvalId: 'a1', decision, by })], pending).approvals[0]
		expect(resolved('allow-always', 'key:k2')).toMatchObject({
			status: 'allowed',
			decision: 'allow-always',
			decidedBy: 'key:k2',
		})
		expect(resolved('deny', 'key:k2')).toMatchObject({ status: 'denied', decision: 'deny' })
		expect(resolved('expired')).toMatchObject({ status: 'expired', decision: 'expired' })
	})

	it('keeps a decision the POST answered with when the request event is replayed later', () => {
		const decided = chatReducer(initialChatState, {
			type: 'approval',
			choice: 'deny',
			approval: {
				id: 'a1',
				runId: 'r1',
				callId: 'c1',
				tool: 'exec',
				args: { cmd: 'ls' },
				principals: [],
				status: 'denied',
				decidedBy: 'key:k2',
				createdAt: 1,
				deadlineAt: 2,
				decidedAt: 2,
			},
		})
		const replayed = feed([requested], decided)
		expect(replayed.approvals).toHaveLength(1)
		expect(replayed.approvals[0]).toMatchObject({ status: 'denied', decision: 'deny' })
	})

	it('clears approvals, stored messages and finished runs on reset', () => {
		let state = chatReducer(initialChatState, {
			type: 'history',
			messages: [stored(1, 'user', 'hi')],
		})
		state = feed([...TURN, requested, ev(7, 'reset', {}, null)], state)
		expect(state).toMatchObject({ history: [], approvals: [], runs: [], earlier: [] })
		expect(state.transcriptVersion).toBeGreaterThan(0)
		// A page fetched before the reset arrives after it: its messages are gone, it is dropped.
		const stale = chatReducer(state, {
			type: 'history',
			messages: [stored(1, 'user', 'hi')],
			epoch: 0,
		})
		expect(stale.history).toEqual([])
		const fresh = chatReducer(state, {
			type: 'history',
			messages: [stored(9, 'user', 'new')],
			epoch: 1,
		})
		expect(fresh.history.map((m) => m.seq)).toEqual([9])
	})
})

describe('chatReducer: transcript and outbox', () => {
	const send: ChatAction = {
		type: 'send',
		message: {
			localId: 'l1',
			text: 'hello',
			mode: 'followup',
			idempotencyKey: 'k',
			runId: null,
			state: 'sending',
			error: null,
		},
	}

	it('keeps a sent message until the stored transcript holds it', () => {
		let state = chatReducer(initialChatState, send)
		state = chatReducer(state, {
			type: 'accepted',
			localId: 'l1',
			runId: 'r1',
			status: 'queued',
			disposition: 'queued',
		})
		expect(state.outgoing).toMatchObject([{ state: 'sent', runId: 'r1' }])
		state = chatReducer(state, { type: 'history', messages: [stored(1, 'user', 'hello', 'other')] })
		expect(state.outgoing).toHaveLength(1)
		state = chatReducer(state, { type: 'history', messages: [stored(2, 'user', 'hello', 'r1')] })
		expect(state.outgoing).toEqual([])
	})

	it('knows the run that carries a sent message before its first event, unless it is over', () => {
		const queued = chatReducer(chatReducer(initialChatState, send), {
			type: 'accepted',
			localId: 'l1',
			runId: 'r1',
			status: 'queued',
			disposition: 'queued',
		})
		expect(queued.runs).toMatchObject([{ runId: 'r1', status: 'queued' }])
		const replayedOld = chatReducer(chatReducer(initialChatState, send), {
			type: 'accepted',
			localId: 'l1',
			runId: 'r0',
			status: 'succeeded',
			disposition: 'queued',
		})
		expect(replayedOld.runs).toEqual([])
	})

	it('keeps a failed send for a retry with the same idempotency key', () => {
		let state = chatReducer(initialChatState, send)
		state = chatReducer(state, { type: 'send-failed', localId: 'l1', error: new Error('offline') })
		expect(state.outgoing[0]).toMatchObject({ state: 'failed', idempotencyKey: 'k' })
		state = chatReducer(state, { type: 'resend', localId: 'l1' })
		expect(state.outgoing[0]).toMatchObject({ state: 'sending', error: null, idempotencyKey: 'k' })
		expect(chatReducer(state, { type: 'dismiss', localId: 'l1' }).outgoing).toEqual([])
	})

	it('merges stored messages by seq and prepends only older ones when loading earlier', () => {
		let state = chatReducer(initialChatState, {
			type: 'init',
			lastSeq: 9,
			activeRunId: 'r9',
			history: [stored(5, 'user', 'five'), stored(6, 'assistant', 'six')],
			earlier: [
				{ after: 0, limit: 2 },
				{ after: 2, limit: 2 },
			],
			approvals: [],
		})
		expect(state.runs).toMatchObject([{ runId: 'r9', status: 'running' }])
		expect(state.lastSeq).toBe(9)
		state = chatReducer(state, {
			type: 'history',
			messages: [stored(6, 'assistant', 'six'), stored(7, 'user', 'seven')],
		})
		expect(state.history.map((m) => m.seq)).toEqual([5, 6, 7])
		state = chatReducer(state, {
			type: 'earlier',
			messages: [stored(3, 'user', 'three'), stored(4, 'user', 'four'), stored(5, 'user', 'dup')],
		})
		expect(state.history.map((m) => m.seq)).toEqual([3, 4, 5, 6, 7])
		expect(state.history[2]?.content).toEqual([{ type: 'text', text: 'five' }])
		expect(state.earlier).toEqual([{ after: 0, limit: 2 }])
	})
})

describe('chatReducer: steered messages', () => {
	const send = (localId: string, text: string): ChatAction => ({
		type: 'send',
		message: {
			localId,
			text,
			mode: 'steer',
			idempotencyKey: localId,
			runId: null,
			state: 'sending',
			error: null,
		},
	})
	const steered = (localId: string): ChatAction => ({
		type: 'accepted',
		localId,
		runId: 'r1',
		status: 'running',
		disposition: 'steered',
	})
	const running = feed([ev(1, 'queued', { messageId: 'm1' }), ev(2, 'started', { attempt: 1 })])
	const userTexts = (state: ChatState) =>
		transcriptItems(state).flatMap((i) =>
			i.kind === 'user' ? [i.text] : i.kind === 'outgoing' ? [i.message.text] : [],
		)

	it('settles a steer the run took once the run stored it', () => {
		let state = chatReducer(chatReducer(running, send('l1', 'also this')), steered('l1'))
		state = feed([ev(3, 'steered', { messageId: 'm2' })], state)
		state = chatReducer(state, {
			type: 'history',
			messages: [stored(1, 'user', 'also this', 'r1')],
		})
		expect(state.outgoing).toEqual([])
	})

	it('follows a steer the run never took into the run it was requeued as, and shows it once', () => {
		let state = chatReducer(chatReducer(running, send('l1', 'also this')), steered('l1'))
		state = feed(
			[
				ev(3, 'steered', { messageId: 'm2' }),
				ev(4, 'final', { output: 'done' }),
				ev(5, 'queued', { mode: 'followup', steeredFrom: 'r1', messages: 1 }, 'r2'),
			],
			state,
		)
		expect(state.outgoing).toMatchObject([{ runId: 'r2', steeredInto: 'r1' }])
		state = chatReducer(state, {
			type: 'history',
			messages: [stored(1, 'user', 'first', 'r1'), stored(3, 'user', 'also this', 'r2')],
		})
		expect(state.outgoing).toEqual([])
		expect(userTexts(state)).toEqual(['first', 'also this'])
	})

	it('follows the requeue when the answer to the POST comes after it', () => {
		let state = chatReducer(running, send('l1', 'late'))
		state = feed([ev(3, 'queued', { steeredFrom: 'r1', messages: 1 }, 'r2')], state)
		state = chatReducer(state, steered('l1'))
		expect(state.outgoing).toMatchObject([{ state: 'sent', runId: 'r2', steeredInto: 'r1' }])
	})

	it('lets one stored message settle one sent message, not every one with its text', () => {
		let state = chatReducer(chatReducer(running, send('l1', 'ok')), steered('l1'))
		state = chatReducer(chatReducer(state, send('l2', 'ok')), steered('l2'))
		state = chatReducer(state, { type: 'history', messages: [stored(1, 'user', 'ok', 'r1')] })
		expect(state.outgoing.map((o) => o.localId)).toEqual(['l2'])
	})
})
