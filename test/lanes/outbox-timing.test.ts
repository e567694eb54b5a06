// The outbox against time: a send that hangs is aborted and retried, a platform's "retry now"
// still backs off, the alarm is not moved up for every message sent, "typing…" refreshes (and
// survives a hung call, and pauses for an approval), and a deleted session's waiting drain stops.
import { describe, expect, it } from 'vitest'
import { SEND_TIMEOUT_MS } from '../../src/lanes/outbox'
import { TYPING_EVERY_MS, TYPING_TIMEOUT_MS } from '../../src/lanes/typing'
import { type LaneHarness, route } from '../fakes/lane-host'
import { STATE_WAIT_MS } from '../timeouts'
import { answered, deliveries, GUARDED, inLane } from './outbox-setup'

/** The one-shot timer of `ms` still armed (the test fires it instead of waiting). */
function armed(h: LaneHarness, ms: number) {
	const timers = h.timeouts.filter((t) => t.ms === ms && !t.cleared)
	expect(timers).toHaveLength(1)
	return timers[0] as (typeof timers)[number]
}

/** Starts a run that goes on until cancelled; its id. */
function longRun(h: LaneHarness, more: Parameters<LaneHarness['request']>[2] = {}): string {
	const submitted = h.lane.submit({ ...h.request('/slow 600000 x', route('a')), ...more })
	if (!submitted.ok) throw new Error(submitted.error.message)
	return submitted.value.run.runId
}

describe('sending', () => {
	it('a send that hangs past the timeout has its request aborted and is tried again', async () => {
		await inLane(async (h, s) => {
			s.answer = (d) => (d.attempt === 1 ? new Promise(() => {}) : { ok: true })
			h.lane.submit(h.request('hello', route('a')))
			await expect.poll(() => s.calls.length).toBe(1)
			const first = s.calls[0]?.signal
			expect(first?.aborted).toBe(false)
			armed(h, SEND_TIMEOUT_MS).fire()
			await h.settled()
			expect(first?.aborted).toBe(true)
			expect(s.calls.map((c) => c.attempt)).toEqual([1, 2])
			expect(s.calls[1]?.signal?.aborted).toBe(false)
			expect(deliveries(h)).toEqual([
				expect.objectContaining({ status: 'sent', attempts: 2, error: null }),
			])
		})
	})

	it('a 429 asking to retry at once (Retry-After: 0, a date past) still waits the backoff', async () => {
		await inLane(async (h, s) => {
			s.answer = (d) =>
				d.attempt < 3 ? { ok: false, error: 'HTTP 429', retryAfterMs: 0 } : { ok: true }
			await answered(h, 'hello')
			expect(h.sleeps).toEqual([1_000, 2_000])
			expect(s.calls.map((c) => c.attempt)).toEqual([1, 2, 3])
		})
	})

	it('while the drain sends, the alarm is not moved up for each message', async () => {
		await inLane(async (h, s) => {
			const started = h.clock.now
			await answered(h, '/long 12000')
			expect(s.calls.length).toBeGreaterThanOrEqual(3)
			// The clock stood still (no retry): every alarm set is a send's length away or more.
			expect(h.clock.now).toBe(started)
			const alarms = h.alarms.filter((at): at is number => at !== null)
			expect(alarms.length).toBeGreaterThan(0)
			expect(alarms.filter((at) => at < started + SEND_TIMEOUT_MS)).toEqual([])
		})
	})

	it('a deleted session’s drain, waiting out a retry, stops: the session created again sends at once', async () => {
		await inLane(async (h, s) => {
			s.answer = () => ({ ok: false, error: 'HTTP 502' })
			// The old drain's wait never ends by itself.
			h.stall = true
			h.lane.submit(h.request('before', route('a')))
			await expect.poll(() => h.sleeps).toEqual([1_000])
			expect((await h.lane.destroy()).ok).toBe(true)
			s.answer = () => ({ ok: true })
			h.lane.submit(h.request('after', route('b')))
			await expect.poll(() => s.calls.map((c) => c.text)).toEqual(['echo: before', 'echo: after'])
			await h.settled()
			expect(deliveries(h)).toEqual([expect.objectContaining({ status: 'sent', attempts: 1 })])
		})
	})
})

describe('typing', () => {
	it('is refreshed by its timer, and a hung call does not stop the refreshes', async () => {
		await inLane(async (h, s) => {
			let hang = true
			s.typed = () => (hang ? new Promise(() => {}) : Promise.resolve())
			const runId = longRun(h)
			await expect.poll(() => s.typing.length).toBe(1)
			const [refresh] = h.repeaters
			expect(refresh?.ms).toBe(TYPING_EVERY_MS)
			// The first call still hangs: a refresh now would pile up behind it.
			refresh?.fn()
			expect(s.typing).toHaveLength(1)
			hang = false
			armed(h, TYPING_TIMEOUT_MS).fire()
			await h.settled()
			refresh?.fn()
			await expect.poll(() => s.typing.length).toBe(2)
			await h.settled()
			refresh?.fn()
			await expect.poll(() => s.typing.length).toBe(3)
			expect(s.typing.every((r) => r.channelId === 'tg-a')).toBe(true)
			await h.lane.cancel(runId)
			expect(refresh?.stopped).toBe(true)
		})
	})

	it('pauses while the run waits for an approval, and resumes once it is decided', async () => {
		await inLane(async (h, s) => {
			const runId = longRun(h, {
				content: [{ type: 'text', text: '/tool time_now {}' }],
				agent: GUARDED,
			})
			await expect.poll(() => s.calls.map((c) => c.kind)).toEqual(['approval'])
			const typed = s.typing.length
			expect(typed).toBe(1)
			h.repeaters[0]?.fn()
			await h.settled()
			expect(s.typing).toHaveLength(typed)
			const approvalId = s.calls[0]?.approval?.id as string
			expect(h.lane.decideApproval(approvalId, 'deny', 'key:op').ok).toBe(true)
			// Resumed at once (the run may end right after, which stops the timer).
			await expect.poll(() => s.typing.length).toBe(typed + 1)
			await h.lane.wait(runId, STATE_WAIT_MS)
			expect(h.repeaters[0]?.stopped).toBe(true)
		})
	})
})
