// What a lane measures beyond a plain run, on a lane over a Durable Object's real SQLite with a
// recording sink: each try of the outbox, runs that end in the queue, a compaction, and a run that
// recovery gives up on.
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { MetricPoint } from '../../src/observability/metrics'
import { agentOf, fakeSink, type LaneHarness, laneOver, route } from '../fakes/lane-host'
import { answered, objectOf } from '../lanes/outbox-setup'
import { STATE_WAIT_MS } from '../timeouts'

/** Runs `fn` on a new lane whose points are recorded. */
function measuredLane(
	fn: (
		h: LaneHarness,
		points: MetricPoint[],
		s: ReturnType<typeof fakeSink>,
		state: DurableObjectState,
	) => Promise<void>,
): Promise<void> {
	return runInDurableObject(objectOf(), async (_i, state) => {
		const points: MetricPoint[] = []
		const s = fakeSink(4096)
		const h = laneOver(state, s.sink, { metrics: { write: (p) => points.push(p) } })
		await fn(h, points, s, state)
	})
}

const of = <K extends MetricPoint['kind']>(points: MetricPoint[], kind: K) =>
	points.filter((p): p is Extract<MetricPoint, { kind: K }> => p.kind === kind)

describe('delivery points', () => {
	it('one per try: a retry, then sent; a permanent refusal is one failed point', async () => {
		await measuredLane(async (h, points, s) => {
			let tries = 0
			s.answer = () => (++tries === 1 ? { ok: false, error: 'HTTP 503' } : { ok: true })
			await answered(h, 'hello')
			const base = {
				kind: 'delivery',
				tenant: 'default',
				agent: 'main',
				channel: 'tg-a',
				channelKind: 'telegram',
				latencyMs: expect.any(Number),
				bytes: 'echo: hello'.length,
			}
			expect(of(points, 'delivery')).toEqual([
				{ ...base, outcome: 'retry', attempts: 1 },
				{ ...base, outcome: 'sent', attempts: 2 },
			])
			s.answer = () => ({ ok: false, error: 'chat not found', permanent: true })
			await answered(h, 'again', route('b'))
			expect(of(points, 'delivery').slice(2)).toEqual([
				{ ...base, channel: 'tg-b', bytes: 'echo: again'.length, outcome: 'failed', attempts: 1 },
			])
		})
	})
})

describe('runs that end in the queue', () => {
	it('have one point each, cancelled there or dropped by a reset; the stopped run its own', async () => {
		await measuredLane(async (h, points) => {
			// An uncapped lane starts its head at once: the slow run is running when submit returns.
			const slow = h.lane.submit(h.request('/slow 60000 long'))
			const queued = h.lane.submit(h.request('queued'))
			// The first run queued behind the stopped one starts as it stops; the second is dropped.
			h.lane.submit(h.request('next'))
			const dropped = h.lane.submit(h.request('dropped'))
			if (!slow.ok || !queued.ok || !dropped.ok) throw new Error('not taken')
			await h.lane.cancel(queued.value.run.runId)
			await h.lane.reset()
			const runs = of(points, 'run').slice(0, 3)
			expect(runs.map((r) => [r.outcome, r.code, r.attempt])).toEqual([
				['cancelled', 'cancelled', 0],
				['cancelled', 'reset', 1],
				['cancelled', 'reset', 0],
			])
			for (const r of [runs[0], runs[2]]) {
				expect(r).toMatchObject({ durationMs: 0, steps: 0, toolCalls: 0, queueDepth: 0 })
			}
			// Nothing waited behind the slow run when it started.
			expect(runs[1]).toMatchObject({ queueDepth: 0, model: 'offline:echo' })
		})
	})
})

describe('lane points', () => {
	it('a compaction is one point with the messages it folded', async () => {
		await measuredLane(async (h, points) => {
			const agent = agentOf({ limits: { maxMessages: 10, contextBudgetTokens: 1_000 } })
			for (let i = 0; i < 8; i++) {
				const sent = h.lane.submit(h.request(`turn ${i}`, undefined, { agent }))
				if (!sent.ok) throw new Error(sent.error.message)
				await h.lane.wait(sent.value.run.runId, STATE_WAIT_MS)
			}
			const compacted = of(points, 'lane')
			expect(compacted).toEqual([
				{
					kind: 'lane',
					tenant: 'default',
					agent: 'main',
					event: 'compacted',
					value: expect.toSatisfy((n: number) => n > 0),
				},
			])
			expect(of(points, 'run')).toHaveLength(8)
		})
	})

	it('a run recovery gives up on is one failed point, with no steps', async () => {
		await measuredLane(async (h, _points, s, state) => {
			h.store.migrate()
			const runId = crypto.randomUUID()
			const now = h.clock.now
			state.storage.transactionSync(() => {
				h.store.runs.insert({
					id: runId,
					mode: 'followup',
					input: [],
					agent: agentOf(),
					idempotencyKey: undefined,
					createdAt: now - 1_000,
					gateLimit: null,
					head: false,
					subject: null,
					reply: null,
				})
				// Cut off twice: the second restart is its last.
				h.store.runs.markRunning(runId, now - 500, now + 60_000)
				h.store.runs.requeueAtHead(runId)
				h.store.runs.markRunning(runId, now - 200, now + 60_000)
			})
			const restarted: MetricPoint[] = []
			laneOver(state, s.sink, {
				metrics: { write: (p) => restarted.push(p) },
				clock: h.clock,
			}).lane.recover()
			expect(restarted).toEqual([
				expect.objectContaining({
					kind: 'run',
					outcome: 'failed',
					code: 'lane_restarted',
					attempt: 2,
					steps: 0,
					durationMs: 200,
					queueWaitMs: 800,
				}),
			])
		})
	})
})
