// followRun against a fake lane: filtering by run, the terminal event, reconnects from the last
// seq after the stream breaks off, a deleted session, giving up, and cancellation.
import { describe, expect, it } from 'vitest'
import { followRun, isTerminal } from '../../../src/gateway/lane/run-events'
import { ProblemError } from '../../../src/gateway/problem'
import type { LaneEvent } from '../../../src/lanes/types'
import { ev, fakeLane } from '../../fakes/lane-events'

const collect = async (it: AsyncIterable<LaneEvent>) => {
	const out: LaneEvent[] = []
	for await (const e of it) out.push(e)
	return out
}

const noSleep = async () => {}

describe('followRun', () => {
	it("yields the run's events only, and stops at its terminal event", async () => {
		const { lane, urls } = fakeLane([
			[
				ev(4, 'queued', 'other'),
				ev(5, 'queued', 'r1'),
				ev(6, 'started', 'r1'),
				ev(7, 'delta', 'other', { text: 'x' }),
				ev(8, 'delta', 'r1', { text: 'echo: ' }),
				ev(9, 'delta', 'r1', { text: 'hi' }),
				ev(10, 'final', 'r1', { output: 'echo: hi' }),
				ev(11, 'queued', 'r1'),
			],
		])
		const events = await collect(followRun({ lane, runId: 'r1', after: 3 }))
		expect(events.map((e) => e.seq)).toEqual([5, 6, 8, 9, 10])
		expect(urls).toEqual(['https://lane/events?after=3'])
	})

	it('reopens from the last seq seen when the stream breaks off, retrying errors included', async () => {
		const { lane, urls } = fakeLane([
			[ev(1, 'queued', 'r1'), ev(2, 'started', 'r1'), ev(3, 'delta', 'other')],
			[ev(4, 'error', 'r1', { code: 'lane_restarted', retrying: true })],
			[ev(5, 'started', 'r1'), ev(6, 'cancelled', 'r1', { reason: 'cancelled' })],
		])
		const events = await collect(followRun({ lane, runId: 'r1', after: 0, sleep: noSleep }))
		expect(events.map((e) => e.type)).toEqual([
			'queued',
			'started',
			'error',
			'started',
			'cancelled',
		])
		expect(urls).toEqual([
			'https://lane/events?after=0',
			'https://lane/events?after=3',
			'https://lane/events?after=4',
		])
	})

	it('throws not_found when the session is deleted', async () => {
		const { lane } = fakeLane([[ev(1, 'queued', 'r1')], 404])
		const error = await collect(followRun({ lane, runId: 'r1', after: 0, sleep: noSleep })).catch(
			(e: unknown) => e,
		)
		expect(error).toBeInstanceOf(ProblemError)
		expect((error as ProblemError).code).toBe('not_found')
	})

	it('gives up with lane_unavailable after the reconnects it may make without progress', async () => {
		const { lane, urls } = fakeLane([[ev(1, 'queued', 'r1')], [], [], 500])
		const error = await collect(
			followRun({ lane, runId: 'r1', after: 0, sleep: noSleep, maxReconnects: 2 }),
		).catch((e: unknown) => e)
		expect((error as ProblemError).code).toBe('lane_unavailable')
		expect(urls).toHaveLength(3)
	})

	it('ends quietly and cancels the upstream stream when aborted', async () => {
		const { lane, cancelled } = fakeLane([{ events: [], hang: true }])
		const abort = new AbortController()
		const events = followRun({ lane, runId: 'r1', after: 0, signal: abort.signal })
		const next = events.next()
		setTimeout(() => abort.abort(), 20)
		expect(await next).toEqual({ done: true, value: undefined })
		expect(cancelled()).toBe(1)
	})

	it('knows which events end a run', () => {
		expect(isTerminal(ev(1, 'final', 'r'))).toBe(true)
		expect(isTerminal(ev(1, 'cancelled', 'r'))).toBe(true)
		expect(isTerminal(ev(1, 'error', 'r', { retrying: false }))).toBe(true)
		expect(isTerminal(ev(1, 'error', 'r', { retrying: true }))).toBe(false)
		expect(isTerminal(ev(1, 'delta', 'r'))).toBe(false)
	})
})
