// The stream reducer's events: seq order, each applied once — duplicates, replays after a
// reconnect and out-of-order arrival included — the final answer, failures and restarts.
import { describe, expect, it } from 'vitest'
import { type ChatState, chatReducer, initialChatState, MAX_HELD } from '../../src/chat/stream'
import { transcriptItems } from '../../src/chat/transcript-view'
import type { LaneEvent } from '../../src/chat/types'
import { ev, feed, run, TURN, texts } from './fixtures'

describe('chatReducer: events', () => {
	it('folds a turn in order: queued, running, streamed text, final', () => {
		const streaming = feed(TURN.slice(0, 5))
		expect(run(streaming)?.status).toBe('running')
		expect(texts(streaming)).toEqual(['echo: hello'])
		const done = feed(TURN)
		expect(run(done)?.status).toBe('succeeded')
		expect(done.lastSeq).toBe(6)
	})

	it('ignores an event whose seq was applied already', () => {
		const once = feed(TURN.slice(0, 4))
		const twice = feed([TURN[3] as LaneEvent, TURN[2] as LaneEvent], once)
		expect(texts(twice)).toEqual(['echo: hel'])
		expect(twice).toBe(once)
	})

	it('takes a replay after a reconnect without gaps or duplicates', () => {
		let state = feed(TURN.slice(0, 4))
		state = chatReducer(state, { type: 'connected' })
		// A replay that starts earlier than asked (or an old socket's late frames) changes nothing.
		state = feed(TURN, state)
		expect(texts(state)).toEqual(['echo: hello'])
		expect(state.lastSeq).toBe(6)
	})

	it('holds an event that arrives past a gap until the gap fills, then applies both in order', () => {
		let state = feed([TURN[0], TURN[1], TURN[2]] as LaneEvent[])
		state = feed([TURN[4] as LaneEvent], state)
		expect(state.lastSeq).toBe(3)
		expect(state.held.map((e) => e.seq)).toEqual([5])
		expect(texts(state)).toEqual(['echo: '])
		state = feed([TURN[3] as LaneEvent], state)
		expect(state.held).toEqual([])
		expect(state.lastSeq).toBe(5)
		expect(texts(state)).toEqual(['echo: hello'])
	})

	it('lets the first event after a (re)connect skip ahead (history the server pruned)', () => {
		const state = chatReducer(chatReducer(initialChatState, { type: 'connected' }), {
			type: 'event',
			event: ev(40, 'delta', { text: 'late' }),
		})
		expect(state.lastSeq).toBe(40)
		expect(texts(state)).toEqual(['late'])
	})

	it('drops held events on reconnect: the replay brings them again', () => {
		let state = feed([TURN[0], TURN[1], TURN[4]] as LaneEvent[])
		expect(state.held).toHaveLength(1)
		state = chatReducer(state, { type: 'connected' })
		expect(state.held).toEqual([])
		state = feed(TURN, state)
		expect(texts(state)).toEqual(['echo: hello'])
	})

	it('gives up on a gap that holds too many events and applies them in order', () => {
		let state = feed([ev(1, 'started')])
		const later = Array.from({ length: MAX_HELD + 1 }, (_, i) => ev(i + 3, 'delta', { text: 'x' }))
		state = feed(later, state)
		expect(state.held).toEqual([])
		expect(state.lastSeq).toBe(MAX_HELD + 3)
		expect(texts(state)[0]).toHaveLength(MAX_HELD + 1)
	})

	it('ignores frames that are not events', () => {
		const junk = [
			{ type: 'error', message: 'read-only' },
			{ seq: 'x', type: 'delta', data: {} },
			null,
		]
		const state = junk.reduce<ChatState>(
			(s, e) => chatReducer(s, { type: 'event', event: e as unknown as LaneEvent }),
			initialChatState,
		)
		expect(state).toBe(initialChatState)
	})

	it('replaces what the last step streamed with the final answer, keeping earlier steps', () => {
		const state = feed([
			ev(1, 'started', { attempt: 1 }),
			ev(2, 'delta', { text: 'Let me look.' }),
			ev(3, 'tool', { phase: 'call', name: 'search', callId: 'c1', data: { args: { q: 'x' } } }),
			ev(4, 'tool', {
				phase: 'result',
				name: 'search',
				callId: 'c1',
				data: { ok: true, result: 'found' },
			}),
			ev(5, 'delta', { text: 'Found it (draft' }),
			ev(6, 'final', { output: 'Found it.' }),
		])
		const parts = run(state)?.parts
		expect(parts?.map((p) => p.kind)).toEqual(['text', 'tool', 'text'])
		expect(texts(state)).toEqual(['Let me look.', 'Found it.'])
		expect(parts?.[1]).toMatchObject({
			name: 'search',
			args: { q: 'x' },
			result: { ok: true, text: 'found' },
		})
	})

	it('records failures, cancellations and a lane restart', () => {
		const failed = feed([
			ev(1, 'started'),
			ev(2, 'error', { code: 'model_error', message: 'boom', retrying: false }),
		])
		expect(run(failed)).toMatchObject({
			status: 'failed',
			error: { code: 'model_error', message: 'boom' },
		})
		const cancelled = feed([ev(1, 'started'), ev(2, 'cancelled', { reason: 'interrupted' })])
		expect(run(cancelled)).toMatchObject({ status: 'cancelled', cancelReason: 'interrupted' })
		const restarted = feed([
			ev(1, 'started', { attempt: 1 }),
			ev(2, 'delta', { text: 'half' }),
			ev(3, 'error', { code: 'lane_restarted', message: 'again', retrying: true }),
		])
		expect(run(restarted)).toMatchObject({ status: 'queued', retrying: true })
		const again = feed([ev(4, 'started', { attempt: 2 })], restarted)
		expect(run(again)).toMatchObject({ status: 'running', retrying: false, parts: [] })
	})

	it('asks for the stored transcript again when it changed, not on every delta', () => {
		const versions = TURN.map((_, i) => feed(TURN.slice(0, i + 1)).transcriptVersion)
		expect(versions).toEqual([0, 1, 1, 1, 1, 2])
		expect(feed([ev(1, 'compacted', { folded: 3, compactions: 1 })]).transcriptVersion).toBe(1)
	})
})

describe('chatReducer: a session opened mid-run', () => {
	const opened = (): ChatState =>
		chatReducer(initialChatState, {
			type: 'init',
			lastSeq: 4,
			activeRunId: 'r1',
			history: [],
			earlier: [],
			approvals: [],
		})
	const shown = (s: ChatState) =>
		transcriptItems(s).map((i) =>
			i.kind === 'run' ? `run ${i.run.status}` : `${i.kind} ${'text' in i ? i.text : ''}`,
		)

	it('shows "Working…" and no tail of the answer until final replaces it', () => {
		// Deltas 3 and 4 ("echo: ", "hel") came before the page opened and are not replayed.
		const midway = feed(TURN.slice(4, 5), opened())
		expect(texts(midway)).toEqual(['lo'])
		expect(shown(midway)).toEqual(['run running'])
		const done = feed(TURN.slice(4), opened())
		expect(shown(done)).toEqual(['assistant echo: hello'])
	})

	it('shows the text again once the run starts over: every event of that attempt is seen', () => {
		const restarted = feed(
			[
				ev(5, 'delta', { text: 'lo' }),
				ev(6, 'started', { attempt: 2 }),
				ev(7, 'delta', { text: 'ab' }),
			],
			opened(),
		)
		expect(shown(restarted)).toEqual(['assistant ab', 'run running'])
	})
})
