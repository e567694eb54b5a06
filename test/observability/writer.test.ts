// The metrics writer on its own: the Analytics Engine budget, a binding that throws, the rollups
// beside it, prices, and the writes a stateless Worker's requests hand each other.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { HandedWrites } from '../../src/db/paced-writes'
import { Logger } from '../../src/observability/logger'
import {
	MAX_POINTS_PER_INVOCATION,
	type MetricPoint,
	MetricsWriter,
	type RequestPoint,
} from '../../src/observability/metrics'
import { costOf, LIST_PRICES, priceOf } from '../../src/observability/prices'
import { bucketOf, RollupBuffer, type RollupRow, rollupOf } from '../../src/observability/rollups'
import { NO_PLACE_METRICS, placeMetrics } from '../../src/observability/writers'
import { captureLogs, silentLogger } from '../fakes/logs'
import { recordMetrics } from '../fakes/metrics'
import { admin, eventually, send } from '../helpers'

const request = (status = 200): RequestPoint => ({
	kind: 'request',
	tenant: 't1',
	method: 'GET',
	route: '/v1/agents',
	status,
	latencyMs: 12,
})

function writerWith(dataset: { writeDataPoint(p: AnalyticsEngineDataPoint): void }) {
	const clock = { now: 1_000_000 }
	const rollups: MetricPoint[] = []
	const logs = captureLogs()
	const writer = new MetricsWriter({
		dataset,
		rollups: { add: (p) => rollups.push(p) },
		logger: new Logger({}, { sink: logs.sink }),
		now: () => clock.now,
	})
	return { writer, clock, rollups, logs }
}

describe('MetricsWriter', () => {
	it('drops points beyond the budget from Analytics Engine only, and says how many', () => {
		const written: AnalyticsEngineDataPoint[] = []
		const { writer, clock, rollups, logs } = writerWith({ writeDataPoint: (p) => written.push(p) })
		for (let i = 0; i < MAX_POINTS_PER_INVOCATION + 10; i++) writer.write(request())
		expect(written).toHaveLength(MAX_POINTS_PER_INVOCATION)
		expect(rollups).toHaveLength(MAX_POINTS_PER_INVOCATION + 10)
		// The next window refills the budget and reports what the last one dropped.
		clock.now += 1_000
		writer.write(request())
		expect(written).toHaveLength(MAX_POINTS_PER_INVOCATION + 1)
		expect(logs.entries()).toContainEqual(
			expect.objectContaining({ msg: 'metrics.dropped', points: 10 }),
		)
	})

	it('gives each invocation a budget of its own, over the same rollups', () => {
		const written: AnalyticsEngineDataPoint[] = []
		const { writer, rollups } = writerWith({ writeDataPoint: (p) => written.push(p) })
		const first = writer.forInvocation()
		const second = writer.forInvocation()
		for (let i = 0; i < MAX_POINTS_PER_INVOCATION; i++) first.write(request())
		first.write(request())
		second.write(request())
		expect(written).toHaveLength(MAX_POINTS_PER_INVOCATION + 1)
		expect(rollups).toHaveLength(MAX_POINTS_PER_INVOCATION + 2)
	})

	it("counts a cancelled run but keeps its duration out of the percentiles' histogram", () => {
		const run = (outcome: 'succeeded' | 'cancelled', durationMs: number): MetricPoint => ({
			kind: 'run',
			tenant: 't1',
			agent: 'main',
			outcome,
			model: 'offline:echo',
			mode: 'queue',
			durationMs,
			queueWaitMs: 40,
			steps: 1,
			toolCalls: 0,
			inputTokens: 0,
			outputTokens: 0,
			queueDepth: 0,
			attempt: 1,
		})
		const ran = rollupOf(run('succeeded', 800), 0)
		expect(ran.count).toBe(1)
		expect(ran.hist.reduce((n, c) => n + c, 0)).toBe(1)
		expect(ran.hist[bucketOf(800)]).toBe(1)
		const cancelled = rollupOf(run('cancelled', 0), 0)
		expect(cancelled.count).toBe(1)
		expect(cancelled.hist.every((c) => c === 0)).toBe(true)
	})

	it('never throws when the binding does: the point still reaches the rollups', () => {
		const { writer, rollups, logs } = writerWith({
			writeDataPoint: () => {
				throw new Error('binding down')
			},
		})
		expect(() => writer.write(request(503))).not.toThrow()
		expect(rollups).toEqual([request(503)])
		expect(logs.entries()).toContainEqual(
			expect.objectContaining({ msg: 'metrics.write_failed', kind: 'request' }),
		)
	})
})

describe('RollupBuffer', () => {
	it('adds points of one key into one row and writes them in one batch', async () => {
		const writes: RollupRow[][] = []
		const buffer = new RollupBuffer({
			write: async (rows) => {
				writes.push(rows)
			},
			intervalMs: 60_000,
			waitUntil: () => {},
			logger: silentLogger(),
		})
		const at = Date.UTC(2026, 0, 1, 12, 0, 30)
		buffer.add(request(), at)
		buffer.add({ ...request(), latencyMs: 300 }, at + 10_000)
		buffer.add(request(500), at)
		await buffer.settled()
		expect(writes).toHaveLength(1)
		const rows = writes[0] ?? []
		expect(rows).toHaveLength(2)
		expect(rows[0]).toMatchObject({
			tenantId: 't1',
			minute: Date.UTC(2026, 0, 1, 12, 0),
			kind: 'request',
			dim: 'GET /v1/agents',
			outcome: '2xx',
			count: 2,
			errors: 0,
			durationMs: 312,
		})
		expect(rows[1]).toMatchObject({ outcome: '5xx', count: 1, errors: 1 })
	})
})

describe('HandedWrites (the rollups of a stateless Worker)', () => {
	function handed() {
		const clock = { now: 0 }
		const writes: number[][] = []
		const sleeps: { ms: number; wake: () => void }[] = []
		const w = new HandedWrites<number[]>({
			write: async (pending) => {
				writes.push(pending)
			},
			intervalMs: 5_000,
			failed: () => {},
			now: () => clock.now,
			sleep: (ms) => new Promise<void>((wake) => sleeps.push({ ms, wake })),
		})
		const put = (n: number) => w.put((pending = []) => [...pending, n])
		return { w, clock, writes, sleeps, put }
	}

	it('gives the next write to one request, which writes what every request added by then', async () => {
		const { w, clock, writes, sleeps, put } = handed()
		expect(w.take()).toBeUndefined()
		put(1)
		clock.now = 1_000
		const first = w.take()
		expect(first).toBeInstanceOf(Promise)
		// The interval since the last write (or the start) is waited out under that request.
		expect(sleeps.map((s) => s.ms)).toEqual([4_000])
		put(2)
		expect(w.take()).toBeUndefined()
		expect(writes).toEqual([])
		sleeps[0]?.wake()
		await first
		expect(writes).toEqual([[1, 2]])
		// Nothing pending: nothing to take; the next put starts another round.
		expect(w.take()).toBeUndefined()
		put(3)
		clock.now = 12_000
		const second = w.take()
		expect(sleeps.at(-1)?.ms).toBe(0)
		sleeps.at(-1)?.wake()
		await second
		expect(writes).toEqual([[1, 2], [3]])
	})

	it('hands the write on when the request that took it never made it', async () => {
		const { w, clock, writes, sleeps, put } = handed()
		put(1)
		clock.now = 5_000
		// This request's invocation ends before its timer fires: its sleep never wakes.
		expect(w.take()).toBeInstanceOf(Promise)
		put(2)
		clock.now = 5_000 + 2 * 5_000 - 1
		expect(w.take()).toBeUndefined()
		clock.now += 1
		const again = w.take()
		expect(again).toBeInstanceOf(Promise)
		sleeps.at(-1)?.wake()
		await again
		expect(writes).toEqual([[1, 2]])
		expect(sleeps).toHaveLength(2)
	})
})

describe('prices', () => {
	it('prices a dated snapshot as its model, never a variant, and offline at zero', () => {
		expect(priceOf('anthropic:claude-sonnet-4-5-20250929')).toEqual(
			LIST_PRICES['claude-sonnet-4-5'],
		)
		expect(priceOf('gpt:gpt-4o-mini-2024-07-18')).toEqual(LIST_PRICES['gpt-4o-mini'])
		expect(priceOf('openai:gpt-4o-latest')).toEqual(LIST_PRICES['gpt-4o'])
		expect(priceOf('openai:o3-pro')).toBeUndefined()
		expect(priceOf('openai:constructor')).toBeUndefined()
		expect(priceOf('workers-ai:@cf/meta/llama-3.1-8b-instruct')).toBeUndefined()
		expect(priceOf('offline:echo')).toEqual({ input: 0, output: 0 })
	})

	it("takes the agent's own price first", () => {
		const own = { 'anthropic:claude-sonnet-4-5': { input: 1, output: 2 } }
		expect(priceOf('anthropic:claude-sonnet-4-5', own)).toEqual({ input: 1, output: 2 })
		expect(costOf(priceOf('anthropic:claude-sonnet-4-5', own), 1_000_000, 500_000)).toBe(2)
		expect(costOf(undefined, 10, 10)).toBeUndefined()
	})
})

describe('EDGECLAW_TELEMETRY=off', () => {
	it('writes no point and no rollup anywhere, and usage is still counted', async () => {
		const metrics = recordMetrics()
		expect(placeMetrics(env, { logger: silentLogger(), waitUntil: () => {} })).not.toBe(
			NO_PLACE_METRICS,
		)
		Object.assign(env, { EDGECLAW_TELEMETRY: 'off' })
		expect(placeMetrics(env, { logger: silentLogger(), waitUntil: () => {} })).toBe(
			NO_PLACE_METRICS,
		)
		expect((await admin('/v1/agents')).status).toBe(200)
		const { run } = await send('telemetry-off', { content: 'quiet', wait: true })
		expect(run.output).toBe('echo: quiet')
		const usage = await eventually(
			async () =>
				(await env.DB.prepare("SELECT calls FROM usage_daily WHERE tenant_id = 'default'").first<{
					calls: number
				}>()) ?? undefined,
		)
		expect(usage.calls).toBe(1)
		expect(metrics.points).toEqual([])
		const rows = await env.DB.prepare('SELECT count(*) AS n FROM metrics_minute').first<{
			n: number
		}>()
		expect(rows?.n).toBe(0)
	})
})
