// The metrics views' reads of the per-minute rollups (`metrics_minute`): sums over a window,
// grouped by step bucket, kind, agent, dim or outcome, with p50/p95 from the summed duration
// histograms. Every value is a bound parameter; only fixed column names are spliced in.
import { type SQL, sql } from 'drizzle-orm'
import {
	type AggregateRow,
	type Aggregation,
	assertInteger,
	type GroupKey,
	type MetricsReader,
	type MetricsScope,
} from '../observability/metric-views/query'
import { BUCKET_COUNT, quantileOf } from '../observability/rollups'
import type { Db } from './client'

const GROUP_COLUMNS: Record<Exclude<GroupKey, 't'>, string> = {
	kind: 'kind',
	agent: 'agent_id',
	dim: 'dim',
	outcome: 'outcome',
}

const SUMS = sql.raw(
	[
		'SUM(count) AS count',
		'SUM(errors) AS errors',
		// A 4xx request is no error of the data model, but the errors view counts it as a failure.
		"SUM(CASE WHEN kind = 'request' AND outcome = '4xx' THEN count ELSE errors END) AS failures",
		'SUM(duration_ms) AS duration_ms',
		'SUM(input_tokens) AS input_tokens',
		'SUM(output_tokens) AS output_tokens',
		'SUM(cost_usd) AS cost_usd',
		'SUM(cost_known) AS cost_known',
		'SUM(queue_wait_ms) AS queue_wait_ms',
		'SUM(bytes) AS bytes',
		'SUM(value) AS value',
	].join(', '),
)

const HISTOGRAM_SUMS = sql.raw(
	Array.from({ length: BUCKET_COUNT }, (_, i) => `SUM(h${i}) AS h${i}`).join(', '),
)

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? 0))
const str = (value: unknown): string => (typeof value === 'string' ? value : '')

/** The SQL of one aggregation (exported for the tests of its shape). */
export function rollupAggregateSql(scope: MetricsScope, aggregation: Aggregation): SQL {
	const groups = aggregation.by.map((key) =>
		key === 't'
			? // An integer literal: D1 binds numbers as REAL, and integer division is the bucketing.
				sql.raw(
					`(minute / ${assertInteger(scope.stepMs, 'step')}) * ${assertInteger(scope.stepMs, 'step')} AS t`,
				)
			: sql.raw(`${GROUP_COLUMNS[key]} AS ${key}`),
	)
	const where = [
		sql`minute >= ${scope.from}`,
		sql`minute < ${scope.to}`,
		sql`kind IN (${sql.join(
			aggregation.kinds.map((k) => sql`${k}`),
			sql`, `,
		)})`,
	]
	if (scope.tenant !== null) where.push(sql`tenant_id = ${scope.tenant}`)
	if (scope.agent !== null) where.push(sql`agent_id = ${scope.agent}`)
	const selected = [...groups, SUMS, ...(aggregation.percentiles ? [HISTOGRAM_SUMS] : [])]
	const tail: SQL[] = []
	if (aggregation.by.length > 0) tail.push(sql.raw(` GROUP BY ${aggregation.by.join(', ')}`))
	if (aggregation.failuresOnly) tail.push(sql` HAVING failures > 0`)
	if (aggregation.limit !== undefined) {
		const order = aggregation.failuresOnly ? 'failures' : 'count'
		tail.push(sql.raw(` ORDER BY ${order} DESC LIMIT ${assertInteger(aggregation.limit, 'limit')}`))
	}
	return sql`SELECT ${sql.join(selected, sql`, `)} FROM metrics_minute WHERE ${sql.join(where, sql` AND `)}${sql.join(tail, sql``)}`
}

function toAggregateRow(row: Record<string, unknown>, percentiles: boolean): AggregateRow {
	const hist = percentiles ? Array.from({ length: BUCKET_COUNT }, (_, i) => num(row[`h${i}`])) : []
	return {
		t: num(row.t),
		kind: str(row.kind),
		agent: str(row.agent),
		dim: str(row.dim),
		outcome: str(row.outcome),
		count: num(row.count),
		errors: num(row.errors),
		failures: num(row.failures),
		durationMs: num(row.duration_ms),
		inputTokens: num(row.input_tokens),
		outputTokens: num(row.output_tokens),
		costUsd: num(row.cost_usd),
		costKnown: num(row.cost_known),
		queueWaitMs: num(row.queue_wait_ms),
		bytes: num(row.bytes),
		value: num(row.value),
		p50Ms: percentiles ? quantileOf(hist, 0.5) : null,
		p95Ms: percentiles ? quantileOf(hist, 0.95) : null,
	}
}

/** The D1 rollups as a metrics store. */
export function rollupMetricsReader(db: Db): MetricsReader {
	return {
		source: 'd1',
		async aggregate(scope, aggregation) {
			if (aggregation.kinds.length === 0) return []
			const rows = await db.all<Record<string, unknown>>(rollupAggregateSql(scope, aggregation))
			// Without GROUP BY, SQL answers one row of NULLs for no points at all.
			return rows
				.map((row) => toAggregateRow(row, aggregation.percentiles === true))
				.filter((row) => row.count > 0)
		},
	}
}
