// The per-minute metric rollups in D1 (`metrics_minute`): writers add their coalesced rows, the
// metrics API and alerts read them back. Rows are additive: a write adds to the minute's row.
import { sql } from 'drizzle-orm'
import type { RollupRow } from '../observability/rollups'
import { additiveUpsert } from './additive-upsert'
import type { Db } from './client'
import { metricsMinute } from './observability-schema'

/** Histogram columns, in bucket order. */
export const HIST_COLUMNS = [
	metricsMinute.h0,
	metricsMinute.h1,
	metricsMinute.h2,
	metricsMinute.h3,
	metricsMinute.h4,
	metricsMinute.h5,
	metricsMinute.h6,
	metricsMinute.h7,
	metricsMinute.h8,
	metricsMinute.h9,
	metricsMinute.h10,
	metricsMinute.h11,
	metricsMinute.h12,
	metricsMinute.h13,
	metricsMinute.h14,
	metricsMinute.h15,
] as const

const SUMMED = [
	'count',
	'errors',
	'durationMs',
	'inputTokens',
	'outputTokens',
	'costUsd',
	'costKnown',
	'queueWaitMs',
	'bytes',
	'value',
] as const

/** The rollup upsert: a row adds its sums and histogram counts to its minute's row. */
export const ROLLUP_UPSERT = additiveUpsert<RollupRow>(
	metricsMinute,
	[
		metricsMinute.tenantId,
		metricsMinute.minute,
		metricsMinute.kind,
		metricsMinute.agentId,
		metricsMinute.dim,
		metricsMinute.outcome,
	],
	[...SUMMED.map((key) => metricsMinute[key]), ...HIST_COLUMNS],
	(row) => [
		row.tenantId,
		row.minute,
		row.kind,
		row.agentId,
		row.dim,
		row.outcome,
		...SUMMED.map((key) => row[key]),
		...HIST_COLUMNS.map((_, b) => row.hist[b] ?? 0),
	],
)

/** Adds rows to their minutes. */
export const addMetricRollups = (db: Db, rows: readonly RollupRow[]): Promise<void> =>
	ROLLUP_UPSERT.add(db, rows)

/** Rows older than `before` (epoch ms) go; returns how many. */
export async function pruneMetricRollups(db: Db, before: number): Promise<number> {
	const result = await db.run(
		sql`DELETE FROM ${metricsMinute} WHERE ${metricsMinute.minute} < ${before}`,
	)
	return result.meta.changes ?? 0
}
