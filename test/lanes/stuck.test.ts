// Stuck runs: a run whose turn never comes back from the stop at its deadline (its closing write
// fails) stays `running` and keeps the lane busy; past the grace the alarm reports it once (event,
// metric, index) and fails it as soon as the lane can write — or a restart's recovery does.
import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import type { AgentRunner } from '../../src/agents/runner'
import { agentRuntime } from '../../src/agents/runtime'
import { HEARTBEAT_MS } from '../../src/lanes/lane'
import { STUCK_GRACE_MS } from '../../src/lanes/stuck'
import { Logger } from '../../src/observability/logger'
import { type LaneHarness, laneOver } from '../fakes/lane-host'
import { captureLogs, silentLogger } from '../fakes/logs'
import { STATE_WAIT_MS } from '../timeouts'
import { objectOf } from './outbox-setup'

/** A runner whose first turn never answers and ignores its stop; later turns are the offline model's. */
function hangsFirst(): AgentRunner {
	const real = agentRuntime(env, silentLogger())
	let turns = 0
	return {
		runTurn: (input, io) => (turns++ === 0 ? new Promise(() => {}) : real.runTurn(input, io)),
		summarize: (messages, signal, agent) => real.summarize(messages, signal, agent),
	}
}

function submit(h: LaneHarness, text: string): string {
	const submitted = h.lane.submit(h.request(text))
	if (!submitted.ok) throw new Error(submitted.error.message)
	return submitted.value.run.runId
}

async function running(h: LaneHarness, runId: string): Promise<number> {
	await expect.poll(() => h.store.runs.get(runId)?.status).toBe('running')
	return h.store.runs.get(runId)?.deadlineAt as number
}

/** The lane's own points (stuck, unstuck) as `event:value`. */
const lanePoints = (h: LaneHarness) =>
	h.points.flatMap((p) => (p.kind === 'lane' ? [`${p.event}:${p.value}`] : []))

/** Moves the clock to `at` and wakes the lane as its alarm would. */
async function alarmAt(h: LaneHarness, at: number): Promise<void> {
	h.clock.now = at
	await h.lane.alarm()
}

/**
 * A lane whose first run hangs and whose writes that finish a run fail (storage full) until
 * `finish.mockRestore()`; returns once the run's turn was lost at its deadline.
 */
async function lostTurn(state: DurableObjectState) {
	const logs = captureLogs()
	const h = laneOver(state, undefined, {
		runner: hangsFirst(),
		logger: new Logger({}, { sink: logs.sink }),
	})
	const lostId = submit(h, 'hang')
	const deadline = await running(h, lostId)
	const finish = vi.spyOn(h.store.runs, 'finish').mockImplementation(() => {
		throw new Error('SQLITE_FULL: database or disk is full')
	})
	await alarmAt(h, deadline)
	await expect.poll(() => logs.entries().map((e) => e.msg)).toContain('lane.turn_lost')
	return { h, lostId, deadline, finish }
}

describe('stuck runs', () => {
	it('a hung runner is failed by the stop at its deadline and is never counted stuck', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const h = laneOver(state, undefined, { runner: hangsFirst() })
			const runId = submit(h, 'hang')
			const deadline = await running(h, runId)
			await alarmAt(h, deadline)
			const run = await h.lane.wait(runId, STATE_WAIT_MS)
			expect(run).toMatchObject({ status: 'failed', error: { code: 'deadline_exceeded' } })
			await alarmAt(h, deadline + STUCK_GRACE_MS)
			expect(lanePoints(h)).toEqual([])
			expect(h.events.map((e) => e.type)).not.toContain('stuck')
		})
	})

	it('a run whose end cannot be written is reported once, stays stuck, and is failed when the lane can write', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const { h, lostId: stuckId, deadline, finish } = await lostTurn(state)
			const behindId = submit(h, 'behind')
			expect(h.indexed.at(-1)).toMatchObject({ queuedRuns: 1, stuckSince: null })
			expect(h.store.runs.get(stuckId)?.status).toBe('running')
			// The next look is ahead, never at the passed deadline (which would fire again at once).
			expect(h.alarms.at(-1)).toBeGreaterThan(deadline)

			await alarmAt(h, deadline + STUCK_GRACE_MS - 1)
			expect(lanePoints(h)).toEqual([])

			const foundAt = deadline + STUCK_GRACE_MS
			await alarmAt(h, foundAt)
			expect(lanePoints(h)).toEqual([`stuck:${STUCK_GRACE_MS}`])
			expect(h.events.filter((e) => e.type === 'stuck')).toEqual([
				expect.objectContaining({
					runId: stuckId,
					data: { deadline, lateMs: STUCK_GRACE_MS },
				}),
			])
			expect(h.indexed.at(-1)).toMatchObject({ queuedRuns: 1, stuckSince: foundAt })
			expect(h.store.runs.get(stuckId)?.status).toBe('running')
			expect(h.store.runs.get(behindId)?.status).toBe('queued')

			// Still stuck on the next heartbeat: tried again, not reported again.
			await alarmAt(h, foundAt + HEARTBEAT_MS)
			expect(lanePoints(h)).toEqual([`stuck:${STUCK_GRACE_MS}`])
			expect(h.store.runs.get(stuckId)?.status).toBe('running')

			finish.mockRestore()
			await alarmAt(h, foundAt + 2 * HEARTBEAT_MS)
			expect(h.store.runs.get(stuckId)).toMatchObject({
				status: 'failed',
				error: { code: 'deadline_exceeded' },
			})
			expect(lanePoints(h)).toEqual([`stuck:${STUCK_GRACE_MS}`, 'unstuck:1'])
			expect(h.indexed.at(-1)).toMatchObject({ stuckSince: null })
			// The lane let go of it: the message behind it runs.
			const behind = await h.lane.wait(behindId, STATE_WAIT_MS)
			expect(behind).toMatchObject({ status: 'succeeded', output: 'echo: behind' })
			expect(h.indexed.at(-1)).toMatchObject({ queuedRuns: 0, stuckSince: null })
		})
	})

	it('a stuck run whose record cannot be stored still reaches the sessions index, and leaves it once failed', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const { h, lostId: stuckId, deadline, finish } = await lostTurn(state)
			const meta = vi.spyOn(h.store, 'setMeta').mockImplementation(() => {
				throw new Error('SQLITE_FULL: database or disk is full')
			})
			const foundAt = deadline + STUCK_GRACE_MS
			await alarmAt(h, foundAt)
			expect(lanePoints(h)).toEqual([`stuck:${STUCK_GRACE_MS}`])
			expect(h.events.map((e) => e.type)).not.toContain('stuck')
			expect(h.indexed.at(-1)).toMatchObject({ stuckSince: foundAt })
			// Reported once, still in the index on the next look.
			await alarmAt(h, foundAt + HEARTBEAT_MS)
			expect(lanePoints(h)).toEqual([`stuck:${STUCK_GRACE_MS}`])
			expect(h.indexed.at(-1)).toMatchObject({ stuckSince: foundAt })

			meta.mockRestore()
			finish.mockRestore()
			await alarmAt(h, foundAt + 2 * HEARTBEAT_MS)
			expect(h.store.runs.get(stuckId)?.status).toBe('failed')
			expect(h.indexed.at(-1)).toMatchObject({ stuckSince: null })
			// Its one run point, as a failure past its deadline.
			expect(h.points.filter((p) => p.kind === 'run' && p.outcome === 'failed')).toEqual([
				expect.objectContaining({ code: 'deadline_exceeded' }),
			])
		})
	})

	it('a reset lets go of a run whose end could not be written', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const { h, finish } = await lostTurn(state)
			finish.mockRestore()
			expect((await h.lane.reset()).ok).toBe(true)
			const after = await h.lane.wait(submit(h, 'after the reset'), STATE_WAIT_MS)
			expect(after).toMatchObject({ status: 'succeeded', output: 'echo: after the reset' })
		})
	})

	it('a restart resolves a stuck run: recovery fails it and the lane reports it unstuck', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const { h, lostId: stuckId, deadline } = await lostTurn(state)
			await alarmAt(h, deadline + STUCK_GRACE_MS)
			expect(lanePoints(h)).toEqual([`stuck:${STUCK_GRACE_MS}`])

			// A new object over the same storage (its own store, whose writes work).
			const after = laneOver(state, undefined, { clock: { now: deadline + STUCK_GRACE_MS + 1 } })
			after.lane.recover()
			expect(after.store.runs.get(stuckId)).toMatchObject({
				status: 'failed',
				error: { code: 'deadline_exceeded' },
			})
			expect(lanePoints(after)).toEqual(['unstuck:1'])
			// Nothing is left to report: the next alarm finds no stuck run.
			await alarmAt(after, deadline + 2 * STUCK_GRACE_MS)
			expect(lanePoints(after)).toEqual(['unstuck:1'])
		})
	})
})
