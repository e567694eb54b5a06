// GET /v1/metrics/{view} from the D1 rollups (no SQL API configured): every view's numbers from
// known rollup rows — p50/p95 from the summed histograms, step buckets, the agent filter —, one
// tenant never seeing another's points, and the platform admin's view across tenants.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { database } from '../../src/db/client'
import { addMetricRollups } from '../../src/db/metrics'
import type { MetricPoint } from '../../src/observability/metrics'
import { rollupOf } from '../../src/observability/rollups'
import { admin, problem } from '../helpers'
import { as, key, tenant } from '../security/helpers'

/** A past, hour-aligned minute: nothing the tests' own requests measure lands in the window. */
const T0 = Date.UTC(2026, 0, 5, 10, 0)
const MIN = 60_000
const WINDOW = `from=${T0}&to=${T0 + 10 * MIN}&step=300`

const request = (tenantId: string, status: number, latencyMs: number): MetricPoint => ({
	kind: 'request',
	tenant: tenantId,
	method: 'GET',
	route: '/v1/agents',
	status,
	latencyMs,
})

const run = (
	agent: string,
	outcome: 'succeeded' | 'failed',
	durationMs: number,
	tenantId = 'mx-a',
): MetricPoint => ({
	kind: 'run',
	tenant: tenantId,
	agent,
	outcome,
	model: 'anthropic:claude',
	mode: 'followup',
	durationMs,
	queueWaitMs: 10,
	steps: 1,
	toolCalls: 0,
	inputTokens: 0,
	outputTokens: 0,
	queueDepth: 0,
	attempt: 1,
})

const modelCall = (
	agent: string,
	outcome: string,
	latencyMs: number,
	extra: { inputTokens?: number; outputTokens?: number; costUsd?: number; failover?: boolean } = {},
): MetricPoint => ({
	kind: 'model_call',
	tenant: 'mx-a',
	agent,
	model: 'anthropic:claude',
	provider: 'anthropic',
	outcome,
	latencyMs,
	inputTokens: extra.inputTokens ?? 0,
	outputTokens: extra.outputTokens ?? 0,
	...(extra.costUsd === undefined ? {} : { costUsd: extra.costUsd }),
	failover: extra.failover ?? false,
})

const tool = (
	name: string,
	outcome: string,
	durationMs: number,
	queueWaitMs: number,
	bytes: number,
): MetricPoint => ({
	kind: 'tool',
	tenant: 'mx-a',
	agent: 'main',
	tool: name,
	placement: 'lane',
	outcome,
	durationMs,
	queueWaitMs,
	bytes,
})

const lane = (event: 'recovered' | 'compacted' | 'stuck'): MetricPoint => ({
	kind: 'lane',
	tenant: 'mx-a',
	agent: 'main',
	event,
	value: 1,
})

/** Each point at its minute after T0. */
const POINTS: [number, MetricPoint][] = [
	[0, request('mx-a', 200, 20)],
	[0, request('mx-a', 200, 20)],
	[0, request('mx-a', 200, 20)],
	[1, request('mx-a', 503, 300)],
	[6, request('mx-a', 404, 5)],
	[6, request('mx-a', 404, 5)],
	[2, run('main', 'succeeded', 800)],
	[2, run('main', 'failed', 4_000)],
	[7, run('helper', 'succeeded', 1_500)],
	[2, modelCall('main', 'ok', 700, { inputTokens: 100, outputTokens: 50, costUsd: 0.01 })],
	[2, modelCall('main', 'rate_limit', 100)],
	[7, modelCall('helper', 'ok', 1_200, { inputTokens: 30, outputTokens: 20, failover: true })],
	[3, tool('web_fetch', 'ok', 200, 50, 1_000)],
	[8, tool('web_fetch', 'timeout', 30_000, 150, 0)],
	[3, tool('exec', 'ok', 40, 0, 10)],
	[4, lane('recovered')],
	[4, lane('compacted')],
	[9, lane('compacted')],
	[9, lane('stuck')],
	[
		5,
		{
			kind: 'delivery',
			tenant: 'mx-a',
			agent: 'main',
			channel: 'tg',
			channelKind: 'telegram',
			outcome: 'failed',
			latencyMs: 90,
			attempts: 3,
			bytes: 10,
		},
	],
	[
		5,
		{
			kind: 'delivery',
			tenant: 'mx-a',
			agent: 'main',
			channel: 'tg',
			channelKind: 'telegram',
			outcome: 'sent',
			latencyMs: 40,
			attempts: 1,
			bytes: 10,
		},
	],
	[
		5,
		{
			kind: 'webhook',
			tenant: 'mx-a',
			channel: 'tg',
			channelKind: 'telegram',
			outcome: 'accepted',
			status: 200,
			latencyMs: 12,
		},
	],
	// Another tenant's points, in the same minutes.
	[0, request('mx-b', 500, 1_000)],
	[0, request('mx-b', 500, 1_000)],
	[2, run('main', 'failed', 100, 'mx-b')],
	// Outside the window (before and at its end).
	[-1, request('mx-a', 200, 20)],
	[10, request('mx-a', 200, 20)],
]

let viewerA: string
let viewerB: string

beforeAll(async () => {
	await tenant('mx-a')
	await tenant('mx-b')
	viewerA = (await key('mx-a', 'viewer')).secret
	viewerB = (await key('mx-b', 'viewer')).secret
	await addMetricRollups(
		database(env.DB),
		POINTS.map(([minute, point]) => rollupOf(point, T0 + minute * MIN + 7_000)),
	)
})

async function view(
	secret: string,
	path: string,
): Promise<
	Record<string, unknown> & {
		series: Record<string, unknown>[]
		totals: Record<string, unknown>
		breakdown: Record<string, unknown>[]
	}
> {
	const res = await as(secret, path)
	expect(res.status, await res.clone().text()).toBe(200)
	return (await res.json()) as never
}

describe('GET /v1/metrics/{view} from D1', () => {
	it('answers the overview: series per step, totals, lane health, agents, the source', async () => {
		const body = await view(viewerA, `/v1/metrics/overview?${WINDOW}`)
		expect(body).toMatchObject({
			view: 'overview',
			source: 'd1',
			tenant: 'mx-a',
			agent: null,
			from: T0,
			to: T0 + 10 * MIN,
			stepSeconds: 300,
		})
		expect(body.series).toEqual([
			{
				t: T0,
				requests: 4,
				errors: 1,
				runs: 2,
				runsFailed: 1,
				modelCalls: 2,
				inputTokens: 100,
				outputTokens: 50,
				costUsd: 0.01,
				toolRuns: 2,
				toolFailures: 0,
			},
			{
				t: T0 + 5 * MIN,
				requests: 2,
				errors: 0,
				runs: 1,
				runsFailed: 0,
				modelCalls: 1,
				inputTokens: 30,
				outputTokens: 20,
				costUsd: 0,
				toolRuns: 1,
				toolFailures: 1,
			},
		])
		expect(body.totals).toEqual({
			requests: 6,
			errors: 1,
			runs: 3,
			runsFailed: 1,
			modelCalls: 3,
			inputTokens: 130,
			outputTokens: 70,
			costUsd: 0.01,
			toolRuns: 3,
			toolFailures: 1,
			errorRate: 1 / 6,
			failovers: 1,
			deliveriesFailed: 1,
			webhooks: 1,
			laneRecoveries: 1,
			laneCompactions: 2,
			stuckRuns: 1,
			// Runs of 800, 4,000 and 1,500 ms: buckets ≤1,000, ≤5,000, ≤2,500, interpolated inside.
			turnP50Ms: 1_750,
			turnP95Ms: 4_625,
		})
		expect(body.breakdown).toEqual([
			{ agent: 'main', runs: 2, runsFailed: 1, costUsd: 0.01 },
			{ agent: 'helper', runs: 1, runsFailed: 0, costUsd: 0 },
		])
	})

	it('answers latency percentiles per step, over the window and per route or model', async () => {
		const body = await view(viewerA, `/v1/metrics/latency?${WINDOW}`)
		const [first, second] = body.series
		// Requests 20, 20, 20, 300 ms: three in the ≤25 bucket, one in ≤500.
		expect(first).toMatchObject({ t: T0, requestP50Ms: 10 + 15 * (2 / 3), turnP50Ms: 1_000 })
		expect(second).toMatchObject({
			t: T0 + 5 * MIN,
			requestP50Ms: 5,
			requestP95Ms: 9.5,
			turnP50Ms: 1_000 + 1_500 * 0.5,
		})
		expect(body.totals).toMatchObject({ turnP50Ms: 1_750, turnP95Ms: 4_625 })
		expect(body.totals.modelP50Ms).toBeCloseTo(500 + 500 * 0.5)
		expect(body.breakdown).toEqual([
			expect.objectContaining({ kind: 'request', key: 'GET /v1/agents', count: 6 }),
			expect.objectContaining({ kind: 'model_call', key: 'anthropic:claude', count: 3 }),
			expect.objectContaining({ kind: 'run', key: 'anthropic:claude', count: 3 }),
		])
	})

	it('answers tokens and cost by agent and model, saying when a price was missing', async () => {
		const body = await view(viewerA, `/v1/metrics/tokens?${WINDOW}`)
		expect(body.totals).toEqual({ inputTokens: 130, outputTokens: 70, costUsd: 0.01 })
		expect(body.series.map((p) => p.inputTokens)).toEqual([100, 30])
		expect(body.breakdown).toEqual([
			{
				agent: 'main',
				model: 'anthropic:claude',
				calls: 2,
				errors: 1,
				inputTokens: 100,
				outputTokens: 50,
				costUsd: 0.01,
				costComplete: false,
			},
			{
				agent: 'helper',
				model: 'anthropic:claude',
				calls: 1,
				errors: 0,
				inputTokens: 30,
				outputTokens: 20,
				costUsd: 0,
				costComplete: false,
			},
		])
	})

	it('answers tool runs, failures, percentiles, mean queue wait and bytes per tool', async () => {
		const body = await view(viewerA, `/v1/metrics/tools?${WINDOW}`)
		expect(body.series).toEqual([
			{ t: T0, runs: 2, failures: 0 },
			{ t: T0 + 5 * MIN, runs: 1, failures: 1 },
		])
		expect(body.totals).toEqual({ runs: 3, failures: 1 })
		expect(body.breakdown).toEqual([
			{
				tool: 'web_fetch',
				runs: 2,
				failures: 1,
				p50Ms: 250,
				p95Ms: 28_000,
				queueWaitMs: 100,
				bytes: 1_000,
			},
			{
				tool: 'exec',
				runs: 1,
				failures: 0,
				p50Ms: 25 + 25 * 0.5,
				p95Ms: 25 + 25 * 0.95,
				queueWaitMs: 0,
				bytes: 10,
			},
		])
	})

	it('answers failures by kind over time and the most frequent ones', async () => {
		const body = await view(viewerA, `/v1/metrics/errors?${WINDOW}`)
		expect(body.series).toEqual([
			{
				t: T0,
				requests4xx: 0,
				requests5xx: 1,
				runsFailed: 1,
				modelFailures: 1,
				toolFailures: 0,
				deliveriesFailed: 0,
			},
			{
				t: T0 + 5 * MIN,
				requests4xx: 2,
				requests5xx: 0,
				runsFailed: 0,
				modelFailures: 0,
				toolFailures: 1,
				deliveriesFailed: 1,
			},
		])
		expect(body.breakdown).toEqual([
			{ kind: 'request', key: 'GET /v1/agents', outcome: '4xx', count: 2 },
			{ kind: 'delivery', key: 'tg', outcome: 'failed', count: 1 },
			{ kind: 'lane', key: 'stuck', outcome: 'stuck', count: 1 },
			{ kind: 'model_call', key: 'anthropic:claude', outcome: 'rate_limit', count: 1 },
			{ kind: 'request', key: 'GET /v1/agents', outcome: '5xx', count: 1 },
			{ kind: 'run', key: 'anthropic:claude', outcome: 'failed', count: 1 },
			{ kind: 'tool', key: 'web_fetch', outcome: 'timeout', count: 1 },
		])
	})

	it('filters by agent, and buckets by the step asked (one minute: ten points)', async () => {
		const body = await view(
			viewerA,
			`/v1/metrics/overview?from=${T0}&to=${T0 + 10 * MIN}&step=60&agent=main`,
		)
		expect(body.agent).toBe('main')
		expect(body.series).toHaveLength(10)
		expect(body.series.map((p) => p.runs)).toEqual([0, 0, 2, 0, 0, 0, 0, 0, 0, 0])
		expect(body.totals).toMatchObject({
			runs: 2,
			requests: 0,
			modelCalls: 2,
			failovers: 0,
			laneCompactions: 2,
		})
		expect(body.breakdown).toEqual([{ agent: 'main', runs: 2, runsFailed: 1, costUsd: 0.01 }])
	})

	it('widens the window to whole steps and takes ISO times', async () => {
		const from = new Date(T0 + 2 * MIN).toISOString()
		const to = new Date(T0 + 6 * MIN).toISOString()
		const body = await view(viewerA, `/v1/metrics/tools?from=${from}&to=${to}&step=300`)
		expect(body).toMatchObject({ from: T0, to: T0 + 10 * MIN, stepSeconds: 300 })
		expect(body.totals).toEqual({ runs: 3, failures: 1 })
	})

	it("never shows one tenant another's points", async () => {
		const b = await view(viewerB, `/v1/metrics/overview?${WINDOW}`)
		expect(b).toMatchObject({ tenant: 'mx-b' })
		expect(b.totals).toMatchObject({ requests: 2, errors: 2, runs: 1, runsFailed: 1, toolRuns: 0 })
		const a = await view(viewerA, `/v1/metrics/errors?${WINDOW}`)
		expect(a.totals).toMatchObject({ requests5xx: 1 })
		// A key names its own tenant only; the admin's route is the platform's.
		const other = await as(viewerA, `/v1/metrics/overview?${WINDOW}`, {
			headers: { 'x-edgeclaw-tenant': 'mx-b' },
		})
		expect(other.status).toBe(403)
		const across = await as(viewerA, `/v1/admin/metrics/overview?${WINDOW}`)
		expect(across.status).toBe(403)
		expect((await problem(across)).code).toBe('forbidden')
	})

	it("gives the platform admin every tenant's points as tenant *, and one tenant's on the tenant route", async () => {
		const res = await admin(`/v1/admin/metrics/overview?${WINDOW}`)
		expect(res.status).toBe(200)
		const all = (await res.json()) as { tenant: string; totals: Record<string, unknown> }
		expect(all.tenant).toBe('*')
		expect(all.totals).toMatchObject({ requests: 8, errors: 3, runs: 4, runsFailed: 2 })
		const one = await admin(`/v1/metrics/overview?${WINDOW}`, {
			headers: { 'x-edgeclaw-tenant': 'mx-b' },
		})
		expect(await one.json()).toMatchObject({ tenant: 'mx-b', totals: { requests: 2 } })
	})

	it('answers an empty window with zeros and null percentiles', async () => {
		const body = await view(
			viewerA,
			`/v1/metrics/latency?from=${T0 - 60 * MIN}&to=${T0 - 30 * MIN}`,
		)
		expect(body.series).toHaveLength(30)
		expect(body.totals).toEqual({
			requestP50Ms: null,
			requestP95Ms: null,
			turnP50Ms: null,
			turnP95Ms: null,
			modelP50Ms: null,
			modelP95Ms: null,
		})
		expect(body.breakdown).toEqual([])
	})
})
