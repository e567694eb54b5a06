// The Analytics Engine SQL API as a metrics store: each aggregation becomes one SELECT over the
// dataset (layout: BLOB/DOUBLE in ../metrics.ts), counts and sums weighted by `_sample_interval`,
// percentiles by `quantileWeighted`. Every value in the text is an integer or a checked id.
import { BLOB, DOUBLE } from '../metrics'
import {
	type AggregateRow,
	type Aggregation,
	assertInteger,
	assertSafeId,
	type GroupKey,
	MetricsQueryError,
	type MetricsReader,
	type MetricsScope,
} from './query'

/** The dataset the METRICS binding writes at wrangler.toml's top level (EDGECLAW_METRICS_DATASET). */
export const METRICS_DATASET = 'edgeclaw_metrics'

export const DEFAULT_SQL_TIMEOUT_MS = 10_000

const blob = (position: number) => `blob${position}`
const double = (position: number) => `double${position}`
const weighted = (position: number) => `SUM(_sample_interval * ${double(position)})`

const GROUP_COLUMNS: Record<Exclude<GroupKey, 't'>, string> = {
	kind: blob(BLOB.kind),
	agent: blob(BLOB.agent),
	dim: blob(BLOB.dim),
	outcome: blob(BLOB.outcome),
}

/** Aliases differ from the functions and columns they name (`count` is a function). */
const SUMS = [
	'SUM(_sample_interval) AS points',
	`${weighted(DOUBLE.error)} AS errors`,
	// A 4xx request is no error of the data model, but the errors view counts it as a failure.
	`SUM(_sample_interval * if(${blob(BLOB.kind)} = 'request' AND ${blob(BLOB.outcome)} = '4xx', 1, ${double(DOUBLE.error)})) AS failures`,
	`${weighted(DOUBLE.durationMs)} AS duration_ms`,
	`${weighted(DOUBLE.inputTokens)} AS input_tokens`,
	`${weighted(DOUBLE.outputTokens)} AS output_tokens`,
	`${weighted(DOUBLE.costUsd)} AS cost_usd`,
	`${weighted(DOUBLE.costKnown)} AS cost_known`,
	`${weighted(DOUBLE.queueWaitMs)} AS queue_wait_ms`,
	`${weighted(DOUBLE.bytes)} AS bytes_sum`,
	`${weighted(DOUBLE.value)} AS value_sum`,
]

/** A cancelled run's duration is no turn latency (pointFacts' `timed`): it weighs nothing. */
const TIMED_WEIGHT = `if(${blob(BLOB.kind)} = 'run' AND ${blob(BLOB.outcome)} = 'cancelled', 0, _sample_interval)`

const PERCENTILES = [
	`quantileWeighted(0.5, ${double(DOUBLE.durationMs)}, ${TIMED_WEIGHT}) AS p50_ms`,
	`quantileWeighted(0.95, ${double(DOUBLE.durationMs)}, ${TIMED_WEIGHT}) AS p95_ms`,
]

const quote = (value: string, what: string) => `'${assertSafeId(value, what)}'`

/** The SQL text of one aggregation. */
export function analyticsEngineSql(
	scope: MetricsScope,
	aggregation: Aggregation,
	dataset: string = METRICS_DATASET,
): string {
	const stepSeconds = assertInteger(scope.stepMs / 1_000, 'step')
	const groups = aggregation.by.map((key) =>
		key === 't'
			? `toUnixTimestamp(toStartOfInterval(timestamp, INTERVAL '${stepSeconds}' SECOND)) AS t`
			: `${GROUP_COLUMNS[key]} AS ${key}`,
	)
	const where = [
		`timestamp >= toDateTime(${assertInteger(Math.floor(scope.from / 1_000), 'time')})`,
		`timestamp < toDateTime(${assertInteger(Math.ceil(scope.to / 1_000), 'time')})`,
		`${blob(BLOB.kind)} IN (${aggregation.kinds.map((k) => quote(k, 'kind')).join(', ')})`,
	]
	if (scope.tenant !== null) where.push(`index1 = ${quote(scope.tenant, 'tenant')}`)
	if (scope.agent !== null) where.push(`${blob(BLOB.agent)} = ${quote(scope.agent, 'agent')}`)
	const lines = [
		`SELECT ${[...groups, ...SUMS, ...(aggregation.percentiles ? PERCENTILES : [])].join(', ')}`,
		`FROM ${assertSafeId(dataset, 'dataset')}`,
		`WHERE ${where.join(' AND ')}`,
	]
	if (aggregation.by.length > 0) lines.push(`GROUP BY ${aggregation.by.join(', ')}`)
	if (aggregation.failuresOnly) lines.push('HAVING failures > 0')
	if (aggregation.limit !== undefined) {
		const order = aggregation.failuresOnly ? 'failures' : 'points'
		lines.push(`ORDER BY ${order} DESC`, `LIMIT ${assertInteger(aggregation.limit, 'limit')}`)
	}
	lines.push('FORMAT JSON')
	return lines.join('\n')
}

/** The API answers 64-bit integers as strings; NaN and null (an empty quantile) are no number. */
function numberOf(value: unknown, name: string): number {
	const n = typeof value === 'string' ? Number(value) : value
	if (typeof n !== 'number')
		throw new MetricsQueryError('malformed', `column ${name} is not a number`)
	return n
}
const amount = (value: unknown, name: string) => {
	const n = numberOf(value, name)
	return Number.isFinite(n) ? n : 0
}
const percentile = (value: unknown) => {
	if (value === null || value === undefined) return null
	const n = typeof value === 'string' ? Number(value) : value
	return typeof n === 'number' && Number.isFinite(n) ? n : null
}
const text = (value: unknown) => (typeof value === 'string' ? value : '')

function toAggregateRow(row: Record<string, unknown>): AggregateRow {
	return {
		t: row.t === undefined ? 0 : amount(row.t, 't') * 1_000,
		kind: text(row.kind),
		agent: text(row.agent),
		dim: text(row.dim),
		outcome: text(row.outcome),
		count: amount(row.points, 'points'),
		errors: amount(row.errors, 'errors'),
		failures: amount(row.failures, 'failures'),
		durationMs: amount(row.duration_ms, 'duration_ms'),
		inputTokens: amount(row.input_tokens, 'input_tokens'),
		outputTokens: amount(row.output_tokens, 'output_tokens'),
		costUsd: amount(row.cost_usd, 'cost_usd'),
		costKnown: amount(row.cost_known, 'cost_known'),
		queueWaitMs: amount(row.queue_wait_ms, 'queue_wait_ms'),
		bytes: amount(row.bytes_sum, 'bytes_sum'),
		value: amount(row.value_sum, 'value_sum'),
		p50Ms: percentile(row.p50_ms),
		p95Ms: percentile(row.p95_ms),
	}
}

export interface AnalyticsEngineOptions {
	/** The full SQL API endpoint. */
	url: string
	/** A read-only API token (Account Analytics: Read). */
	token: string
	/** The dataset the METRICS binding writes (default METRICS_DATASET). */
	dataset?: string
	timeoutMs?: number
	fetch?: typeof fetch
}

/** The rows of the API's FORMAT JSON answer (`{meta, data, rows, …}`), or why there are none. */
function rowsOf(status: number, body: string): Record<string, unknown>[] {
	const ok = status >= 200 && status < 300
	let parsed: unknown
	try {
		parsed = JSON.parse(body)
	} catch (cause) {
		if (!ok) throw new MetricsQueryError('status', `the SQL API answered ${status}`, { status })
		throw new MetricsQueryError('malformed', 'the SQL API answered no JSON', { cause })
	}
	const answer = (parsed ?? {}) as { data?: unknown; errors?: unknown }
	if (Array.isArray(answer.errors) && answer.errors.length > 0) {
		throw new MetricsQueryError(
			'api_error',
			`the SQL API reported ${answer.errors.length} error(s): ${safeSnippet(answer.errors)}`,
			{ status },
		)
	}
	if (!ok) throw new MetricsQueryError('status', `the SQL API answered ${status}`, { status })
	if (
		!Array.isArray(answer.data) ||
		!answer.data.every((r) => typeof r === 'object' && r !== null)
	) {
		throw new MetricsQueryError('malformed', 'the SQL API answer has no data rows')
	}
	return answer.data as Record<string, unknown>[]
}

/** The first error's message, short, for the log (never the raw body). */
function safeSnippet(errors: unknown[]): string {
	const first = errors[0] as { message?: unknown } | undefined
	const message = typeof first?.message === 'string' ? first.message : 'no message'
	return message.slice(0, 200)
}

/** The SQL API as a metrics store. */
export function analyticsEngineReader(options: AnalyticsEngineOptions): MetricsReader {
	const doFetch = options.fetch ?? fetch
	const timeoutMs = options.timeoutMs ?? DEFAULT_SQL_TIMEOUT_MS
	return {
		source: 'analytics-engine',
		async aggregate(scope, aggregation) {
			if (aggregation.kinds.length === 0) return []
			let status: number
			let body: string
			try {
				const res = await doFetch(options.url, {
					method: 'POST',
					headers: { authorization: `Bearer ${options.token}`, 'content-type': 'text/plain' },
					body: analyticsEngineSql(scope, aggregation, options.dataset),
					signal: AbortSignal.timeout(timeoutMs),
				})
				status = res.status
				body = await res.text()
			} catch (cause) {
				const timedOut = cause instanceof DOMException && cause.name === 'TimeoutError'
				throw timedOut
					? new MetricsQueryError('timeout', `the SQL API did not answer within ${timeoutMs} ms`)
					: new MetricsQueryError('unreachable', 'the SQL API could not be reached', { cause })
			}
			return rowsOf(status, body).map(toAggregateRow)
		},
	}
}
