// The five metrics views, built once from grouped sums any metrics store answers (the D1 rollups
// or the Analytics Engine SQL API): each asks a few aggregations at once and shapes them into its
// series (every step bucket of the window, zero-filled), totals and breakdown.
import type { z } from '@hono/zod-openapi'
import type {
	AggregateRow,
	Aggregation,
	GroupKey,
	MetricsReader,
	MetricsScope,
} from '../../../observability/metric-views/query'
import type { MetricKind } from '../../../observability/metrics'
import type { LatencyRow, MetricsAnswer, MetricView } from './schemas'

/** Rows a breakdown lists at most. */
export const BREAKDOWN_LIMIT = 50

type Read = (aggregation: Aggregation) => Promise<AggregateRow[]>

/** What a view builds; the envelope (view, source, tenant, window) is the same for all. */
type Body<V extends MetricView> = Pick<
	Extract<MetricsAnswer, { view: V }>,
	'series' | 'totals' | 'breakdown'
>

const NONE: AggregateRow = {
	t: 0,
	kind: '',
	agent: '',
	dim: '',
	outcome: '',
	count: 0,
	errors: 0,
	failures: 0,
	durationMs: 0,
	inputTokens: 0,
	outputTokens: 0,
	costUsd: 0,
	costKnown: 0,
	queueWaitMs: 0,
	bytes: 0,
	value: 0,
	p50Ms: null,
	p95Ms: null,
}

/** Rows by the values of `keys`; a group no row has reads as zeros. */
function indexed(rows: readonly AggregateRow[], keys: readonly GroupKey[]) {
	const key = (values: readonly (string | number)[]) => values.join('\u0000')
	const map = new Map(rows.map((r) => [key(keys.map((k) => r[k])), r]))
	return (...values: (string | number)[]): AggregateRow => map.get(key(values)) ?? NONE
}

/** Sums every field but `t` over the series. */
function totalsOf<P extends { t: number }>(series: readonly P[]): Omit<P, 't'> {
	const totals: Record<string, number> = {}
	for (const point of series) {
		for (const [field, value] of Object.entries(point)) {
			if (field !== 't') totals[field] = (totals[field] ?? 0) + (value as number)
		}
	}
	return totals as Omit<P, 't'>
}

const sumOf = (
	rows: readonly AggregateRow[],
	kind: MetricKind,
	field: 'count' | 'errors' | 'value',
) => rows.reduce((n, r) => (r.kind === kind ? n + r[field] : n), 0)

/** Largest first; ties by name, so both stores list alike. */
const largestFirst = <R>(rows: R[], size: (r: R) => number, name: (r: R) => string): R[] =>
	rows.sort((a, b) => size(b) - size(a) || name(a).localeCompare(name(b)))

async function overview(read: Read, times: number[]): Promise<Body<'overview'>> {
	const [byTimeKind, runs, lanes, byAgentKind] = await Promise.all([
		read({
			kinds: ['request', 'run', 'model_call', 'tool', 'delivery', 'webhook'],
			by: ['t', 'kind'],
		}),
		read({ kinds: ['run'], by: ['kind'], percentiles: true }),
		read({ kinds: ['lane'], by: ['dim'] }),
		read({ kinds: ['run', 'model_call'], by: ['agent', 'kind'] }),
	])
	const at = indexed(byTimeKind, ['t', 'kind'])
	const series = times.map((t) => {
		const model = at(t, 'model_call')
		return {
			t,
			requests: at(t, 'request').count,
			errors: at(t, 'request').errors,
			runs: at(t, 'run').count,
			runsFailed: at(t, 'run').errors,
			modelCalls: model.count,
			inputTokens: model.inputTokens,
			outputTokens: model.outputTokens,
			costUsd: model.costUsd,
			toolRuns: at(t, 'tool').count,
			toolFailures: at(t, 'tool').errors,
		}
	})
	const sums = totalsOf(series)
	const lane = indexed(lanes, ['dim'])
	const agent = indexed(byAgentKind, ['agent', 'kind'])
	const agents = [...new Set(byAgentKind.map((r) => r.agent))].map((id) => ({
		agent: id,
		runs: agent(id, 'run').count,
		runsFailed: agent(id, 'run').errors,
		costUsd: agent(id, 'model_call').costUsd,
	}))
	return {
		series,
		totals: {
			...sums,
			errorRate: sums.requests > 0 ? sums.errors / sums.requests : null,
			failovers: sumOf(byTimeKind, 'model_call', 'value'),
			deliveriesFailed: sumOf(byTimeKind, 'delivery', 'errors'),
			webhooks: sumOf(byTimeKind, 'webhook', 'count'),
			laneRecoveries: lane('recovered').count,
			laneCompactions: lane('compacted').count,
			stuckRuns: lane('stuck').count,
			turnP50Ms: runs[0]?.p50Ms ?? null,
			turnP95Ms: runs[0]?.p95Ms ?? null,
		},
		breakdown: largestFirst(
			agents,
			(a) => a.runs,
			(a) => a.agent,
		).slice(0, BREAKDOWN_LIMIT),
	}
}

const LATENCY_KINDS = ['request', 'run', 'model_call'] as const

async function latency(read: Read, times: number[]): Promise<Body<'latency'>> {
	const [byTimeKind, byKind, byKey] = await Promise.all([
		read({ kinds: LATENCY_KINDS, by: ['t', 'kind'], percentiles: true }),
		read({ kinds: LATENCY_KINDS, by: ['kind'], percentiles: true }),
		read({ kinds: LATENCY_KINDS, by: ['kind', 'dim'], percentiles: true, limit: BREAKDOWN_LIMIT }),
	])
	const percentiles = (row: (kind: string) => AggregateRow) => ({
		requestP50Ms: row('request').p50Ms,
		requestP95Ms: row('request').p95Ms,
		turnP50Ms: row('run').p50Ms,
		turnP95Ms: row('run').p95Ms,
		modelP50Ms: row('model_call').p50Ms,
		modelP95Ms: row('model_call').p95Ms,
	})
	const at = indexed(byTimeKind, ['t', 'kind'])
	const total = indexed(byKind, ['kind'])
	return {
		series: times.map((t) => ({ t, ...percentiles((kind) => at(t, kind)) })),
		totals: percentiles(total),
		breakdown: largestFirst(
			byKey.map((r) => ({
				kind: r.kind as z.infer<typeof LatencyRow>['kind'],
				key: r.dim,
				count: r.count,
				p50Ms: r.p50Ms,
				p95Ms: r.p95Ms,
			})),
			(r) => r.count,
			(r) => `${r.kind} ${r.key}`,
		),
	}
}

async function tokens(read: Read, times: number[]): Promise<Body<'tokens'>> {
	const [byTime, byAgentModel] = await Promise.all([
		read({ kinds: ['model_call'], by: ['t'] }),
		read({ kinds: ['model_call'], by: ['agent', 'dim'], limit: BREAKDOWN_LIMIT }),
	])
	const at = indexed(byTime, ['t'])
	const series = times.map((t) => ({
		t,
		inputTokens: at(t).inputTokens,
		outputTokens: at(t).outputTokens,
		costUsd: at(t).costUsd,
	}))
	return {
		series,
		totals: totalsOf(series),
		breakdown: largestFirst(
			byAgentModel.map((r) => ({
				agent: r.agent,
				model: r.dim,
				calls: r.count,
				errors: r.errors,
				inputTokens: r.inputTokens,
				outputTokens: r.outputTokens,
				costUsd: r.costUsd,
				costComplete: r.costKnown >= r.count,
			})),
			(r) => r.calls,
			(r) => `${r.agent} ${r.model}`,
		),
	}
}

async function tools(read: Read, times: number[]): Promise<Body<'tools'>> {
	const [byTime, byTool] = await Promise.all([
		read({ kinds: ['tool'], by: ['t'] }),
		read({ kinds: ['tool'], by: ['dim'], percentiles: true, limit: BREAKDOWN_LIMIT }),
	])
	const at = indexed(byTime, ['t'])
	const series = times.map((t) => ({ t, runs: at(t).count, failures: at(t).errors }))
	return {
		series,
		totals: totalsOf(series),
		breakdown: largestFirst(
			byTool.map((r) => ({
				tool: r.dim,
				runs: r.count,
				failures: r.errors,
				p50Ms: r.p50Ms,
				p95Ms: r.p95Ms,
				queueWaitMs: r.count > 0 ? r.queueWaitMs / r.count : null,
				bytes: r.bytes,
			})),
			(r) => r.runs,
			(r) => r.tool,
		),
	}
}

const FAILING_KINDS = ['request', 'run', 'model_call', 'tool', 'delivery'] as const

async function errors(read: Read, times: number[]): Promise<Body<'errors'>> {
	const [byTimeKind, top] = await Promise.all([
		read({ kinds: FAILING_KINDS, by: ['t', 'kind'] }),
		read({
			kinds: [...FAILING_KINDS, 'webhook', 'lane'],
			by: ['kind', 'dim', 'outcome'],
			failuresOnly: true,
			limit: BREAKDOWN_LIMIT,
		}),
	])
	const at = indexed(byTimeKind, ['t', 'kind'])
	const series = times.map((t) => {
		const requests = at(t, 'request')
		return {
			t,
			requests4xx: requests.failures - requests.errors,
			requests5xx: requests.errors,
			runsFailed: at(t, 'run').errors,
			modelFailures: at(t, 'model_call').errors,
			toolFailures: at(t, 'tool').errors,
			deliveriesFailed: at(t, 'delivery').errors,
		}
	})
	return {
		series,
		totals: totalsOf(series),
		breakdown: largestFirst(
			top.map((r) => ({ kind: r.kind, key: r.dim, outcome: r.outcome, count: r.failures })),
			(r) => r.count,
			(r) => `${r.kind} ${r.key} ${r.outcome}`,
		),
	}
}

const VIEWS: { [V in MetricView]: (read: Read, times: number[]) => Promise<Body<V>> } = {
	overview,
	latency,
	tokens,
	tools,
	errors,
}

/** Durations to the microsecond: interpolation leaves float noise (4624.999999999999). */
const toMicros = (ms: number | null): number | null =>
	ms === null ? null : Math.round(ms * 1_000) / 1_000

/** One view of the scope, from the reader; `tenant` is what the answer names (`*` for all). */
export async function metricsView(
	view: MetricView,
	reader: MetricsReader,
	scope: MetricsScope,
	tenant: string,
): Promise<MetricsAnswer> {
	const times: number[] = []
	for (let t = scope.from; t < scope.to; t += scope.stepMs) times.push(t)
	const read: Read = async (aggregation) =>
		(await reader.aggregate(scope, aggregation)).map((row) => ({
			...row,
			p50Ms: toMicros(row.p50Ms),
			p95Ms: toMicros(row.p95Ms),
		}))
	const body = await VIEWS[view](read, times)
	return {
		view,
		source: reader.source,
		tenant,
		agent: scope.agent,
		from: scope.from,
		to: scope.to,
		stepSeconds: scope.stepMs / 1_000,
		...body,
	} as MetricsAnswer
}
