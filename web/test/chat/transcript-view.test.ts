// What the transcript shows: stored tool calls with their results and approvals, live runs only
// for what is not stored yet, sent messages before their run's answer.
import { describe, expect, it } from 'vitest'
import { type ChatState, chatReducer, initialChatState } from '../../src/chat/stream'
import { activeRun, argsText, transcriptItems } from '../../src/chat/transcript-view'
import type { LaneEvent, MessageView } from '../../src/chat/types'
import { feed, send, stored } from './fixtures'

let seq = 0
const event = (
	type: LaneEvent['type'],
	data: Record<string, unknown>,
	runId: string | null = 'r1',
): LaneEvent => ({
	seq: ++seq,
	ts: seq,
	type,
	runId,
	data,
})

function state(history: MessageView[], events: LaneEvent[]): ChatState {
	const base = chatReducer(initialChatState, { type: 'history', messages: history })
	return events.reduce((s, e) => chatReducer(s, { type: 'event', event: e }), base)
}

const kinds = (s: ChatState) => transcriptItems(s).map((i) => i.kind)

describe('transcriptItems', () => {
	it('pairs a stored tool call with its result and its approval', () => {
		seq = 0
		const s = state(
			[
				stored(1, 'user', [{ type: 'text', text: 'run ls' }]),
				stored(2, 'assistant', [
					{ type: 'text', text: 'Running it.' },
					{ type: 'tool-call', callId: 'c1', name: 'exec', args: '{"cmd":"ls"}' },
				]),
				stored(3, 'tool', [
					{ type: 'tool-result', callId: 'c1', name: 'exec', result: 'a b', isError: false },
				]),
				stored(4, 'assistant', [{ type: 'text', text: 'Done.' }]),
			],
			[event('approval.requested', { approvalId: 'a1', callId: 'c1', tool: 'exec', args: '{}' })],
		)
		const items = transcriptItems(s)
		expect(items.map((i) => i.kind)).toEqual(['user', 'assistant', 'tool', 'assistant'])
		expect(items[2]).toMatchObject({
			name: 'exec',
			args: '{\n  "cmd": "ls"\n}',
			result: { text: 'a b', isError: false },
			approval: { id: 'a1', status: 'pending' },
		})
	})

	it('hides a finished run once the stored transcript holds its answer', () => {
		seq = 0
		const events = [
			event('started', {}),
			event('delta', { text: 'hi' }),
			event('final', { output: 'hi' }),
		]
		expect(kinds(state([stored(1, 'user', [{ type: 'text', text: 'x' }])], events))).toEqual([
			'user',
			'assistant',
		])
		seq = 0
		const s = state(
			[
				stored(1, 'user', [{ type: 'text', text: 'x' }]),
				stored(2, 'assistant', [{ type: 'text', text: 'hi' }]),
			],
			[event('started', {}), event('delta', { text: 'hi' }), event('final', { output: 'hi' })],
		)
		expect(kinds(s)).toEqual(['user', 'assistant'])
		expect(transcriptItems(s)[1]).toMatchObject({ key: 'h2-0', streaming: false })
	})

	it('skips streamed steps the transcript already stored, shows the rest as streaming', () => {
		seq = 0
		const s = state(
			[
				stored(2, 'assistant', [
					{ type: 'text', text: 'Looking.' },
					{ type: 'tool-call', callId: 'c1', name: 'search', args: '{}' },
				]),
				stored(3, 'tool', [{ type: 'tool-result', callId: 'c1', name: 'search', result: 'r' }]),
			],
			[
				event('started', {}),
				event('delta', { text: 'Looking.' }),
				event('tool', { phase: 'call', name: 'search', callId: 'c1', data: { args: {} } }),
				event('tool', {
					phase: 'result',
					name: 'search',
					callId: 'c1',
					data: { ok: true, result: 'r' },
				}),
				event('delta', { text: 'So far' }),
			],
		)
		const items = transcriptItems(s)
		expect(items.map((i) => i.kind)).toEqual(['assistant', 'tool', 'assistant', 'run'])
		expect(items[2]).toMatchObject({ text: 'So far', streaming: true })
		expect(items.filter((i) => i.kind === 'tool')).toHaveLength(1)
	})

	it('puts a sent message before its run, and one still sending at the end', () => {
		seq = 0
		let s = state([], [event('queued', { mode: 'followup' }, 'r1')])
		s = send(send(s, 'l1', 'l1', 'r1'), 'l2', 'l2')
		expect(transcriptItems(s).map((i) => i.key)).toEqual(['out-l1', 'run-r1', 'out-l2'])
	})

	it('shows an approval whose tool call is not on screen with its run', () => {
		seq = 0
		const s = state(
			[],
			[
				event('started', {}),
				event('approval.requested', { approvalId: 'a1', callId: 'c9', tool: 'exec' }),
			],
		)
		expect(kinds(s)).toEqual(['approval', 'run'])
	})
})

describe('transcriptItems: approvals loaded with the session', () => {
	it('shows pending ones even without their call, decided ones only beside it', () => {
		const view = (id: string, callId: string, status: 'pending' | 'allowed') => ({
			id,
			runId: 'r0',
			callId,
			tool: 'exec',
			args: {},
			principals: [],
			status,
			decidedBy: null,
			createdAt: 1,
			deadlineAt: 2,
			decidedAt: null,
		})
		const s = chatReducer(initialChatState, {
			type: 'init',
			lastSeq: 0,
			activeRunId: null,
			history: [
				stored(1, 'assistant', [{ type: 'tool-call', callId: 'c1', name: 'exec', args: '{}' }]),
			],
			earlier: [],
			approvals: [
				view('a1', 'c1', 'allowed'),
				view('a2', 'c2', 'allowed'),
				view('a3', 'c3', 'pending'),
			],
		})
		const items = transcriptItems(s)
		expect(items.map((i) => i.key)).toEqual(['tool-c1', 'approval-a3'])
		expect(items[0]).toMatchObject({ approval: { id: 'a1', status: 'allowed' } })
	})
})

describe('activeRun', () => {
	it('is the running run, else the newest queued one', () => {
		seq = 0
		const s = state([], [event('queued', {}, 'r1'), event('queued', {}, 'r2')])
		expect(activeRun(s)?.runId).toBe('r2')
		expect(
			activeRun(state([], [event('started', {}, 'r1'), event('queued', {}, 'r2')]))?.runId,
		).toBe('r1')
		expect(activeRun(initialChatState)).toBeNull()
	})
})

describe('argsText', () => {
	it('indents JSON and leaves other text alone', () => {
		expect(argsText('{"a":1}')).toBe('{\n  "a": 1\n}')
		expect(argsText('not json…')).toBe('not json…')
		expect(argsText(undefined)).toBe('')
	})
})

describe('transcriptItems: order across runs', () => {
	/** A run queued, started and streaming `text`. */
	const streamed = (runId: string, text: string) => [
		event('queued', { messageId: `m-${runId}`, mode: 'followup' }, runId),
		event('started', { attempt: 1 }, runId),
		event('delta', { text }, runId),
	]

	it('stop, then send again: the stopped run stays above the next message and its answer', () => {
		seq = 0
		let s = send(initialChatState, 'l1', 'first', 'r1')
		s = feed(
			[...streamed('r1', 'half an ans'), event('cancelled', { reason: 'cancelled' }, 'r1')],
			s,
		)
		s = chatReducer(s, { type: 'history', messages: [stored(1, 'user', 'first', 'r1')] })
		s = send(s, 'l2', 'second', 'r2')
		s = feed([...streamed('r2', 'the answer'), event('final', { output: 'the answer' }, 'r2')], s)
		s = chatReducer(s, {
			type: 'history',
			messages: [stored(2, 'user', 'second', 'r2'), stored(3, 'assistant', 'the answer', 'r2')],
		})
		const shown = transcriptItems(s).map((i) =>
			i.kind === 'run' ? `run ${i.run.status}` : `${i.kind} ${'text' in i ? i.text : ''}`,
		)
		expect(shown).toEqual([
			'user first',
			'assistant half an ans',
			'run cancelled',
			'user second',
			'assistant the answer',
		])
	})

	it('a failed run stays beside its message; a run with nothing stored yet comes last', () => {
		seq = 0
		const s = state(
			[stored(1, 'user', 'one', 'r1'), stored(2, 'user', 'two', 'r2')],
			[
				event('started', {}, 'r1'),
				event('error', { code: 'model_error', message: 'boom' }, 'r1'),
				event('started', {}, 'r3'),
			],
		)
		expect(transcriptItems(s).map((i) => i.key)).toEqual(['h1', 'run-r1', 'h2', 'run-r3'])
	})

	it("marks each finished run's last answer, where its trace is linked", () => {
		seq = 0
		const s = state(
			[
				stored(1, 'user', 'one', 'r1'),
				stored(2, 'assistant', 'thinking', 'r1'),
				stored(3, 'assistant', 'done', 'r1'),
				stored(4, 'user', 'two', 'r2'),
			],
			[event('started', {}, 'r2'), event('delta', { text: 'partly' }, 'r2')],
		)
		const marked = (st: ChatState) =>
			transcriptItems(st).flatMap((i) =>
				i.kind === 'assistant' && i.endsRun ? [`${i.runId} ${i.text}`] : [],
			)
		// r2 is still streaming: nothing to trace yet.
		expect(marked(s)).toEqual(['r1 done'])
		const finished = feed([event('final', { output: 'partly there' }, 'r2')], s)
		expect(marked(finished)).toEqual(['r1 done', 'r2 partly there'])
	})
})
