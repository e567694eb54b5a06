// The per-minute metric rollups in D1 (`metrics_minute`): writers add their coalesced rows, the
// metrics API and alerts read them back. Rows are additive: a write adds to the minute's row.
import { sql } from 'drizzle-orm'
import type { RollupRow } from '../observability/rollups'
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

/** Every summed column set to itself plus the incoming row's value. */
const ADD_EXCLUDED = Object.fromEntries([
	...SUMMED.map((key) => {
		const column = metricsMinute[key]
		return [key, sql`${column} + excluded.${sql.identifier(column.name)}`]
	}),
	...HIST_COLUMNS.map((column, i) => [
		`h${i}`,
		sql`${column} + excluded.${sql.identifier(column.name)}`,
	]),
])

/** D1 binds at most 100 parameters per statement: one row per statement, batched. */
const BATCH = 50

/** Adds rows to their minutes. */
export async function addMetricRollups(db: Db, rows: readonly RollupRow[]): Promise<void> {
	for (let i = 0; i < rows.length; i += BATCH) {
		const statements = rows.slice(i, i + BATCH).map(({ hist, ...row }) =>
			db
				.insert(metricsMinute)
				.values({
					...row,
					...Object.fromEntries(hist.map((n, b) => [`h${b}`, n])),
				})
				.onConflictDoUpdate({
					target: [
						metricsMinute.tenantId,
						metricsMinute.minute,
						metricsMinute.kind,
						metricsMinute.agentId,
						metricsMinute.dim,
						metricsMinute.outcome,
					],
					set: ADD_EXCLUDED,
				}),
		)
		await db.batch(statements as [(typeof statements)[number], ...typeof statements])
	}
}

/** Rows older than `before` (epoch ms) go; returns how many. */
export async function pruneMetricRollups(db: Db, before: number): Promise<number> {
	const result = await db.run(
		sql`DELETE FROM ${metricsMinute} WHERE ${metricsMinute.minute} < ${before}`,
	)
	return result.meta.changes ?? 0
}
