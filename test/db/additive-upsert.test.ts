// The hot-path upserts (metric rollups, usage day totals) are prepared statement texts built from
// the drizzle tables: the same statement drizzle's builder makes, and rows that add up in D1.
import { env } from 'cloudflare:test'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { database } from '../../src/db/client'
import { HIST_COLUMNS, ROLLUP_UPSERT } from '../../src/db/metrics'
import { metricsMinute } from '../../src/db/observability-schema'
import { usageDaily } from '../../src/db/schema'
import { USAGE_UPSERT, type UsageDelta } from '../../src/db/usage'
import type { RollupRow } from '../../src/observability/rollups'

const db = database(env.DB)
const normalise = (text: string) => text.replace(/\s+/g, ' ').toLowerCase()

describe('additive upserts', () => {
	it('is the statement drizzle builds for usage', () => {
		const built = db
			.insert(usageDaily)
			.values({
				tenantId: 't',
				day: 'd',
				agentId: 'a',
				model: 'm',
				calls: 1,
				errors: 0,
				inputTokens: 1,
				outputTokens: 1,
				latencyMs: 1,
			})
			.onConflictDoUpdate({
				target: [usageDaily.tenantId, usageDaily.day, usageDaily.agentId, usageDaily.model],
				set: Object.fromEntries(
					(['calls', 'errors', 'inputTokens', 'outputTokens', 'latencyMs'] as const).map((k) => [
						k,
						sql`${usageDaily[k]} + excluded.${sql.identifier(usageDaily[k].name)}`,
					]),
				),
			})
			.toSQL().sql
		// drizzle qualifies columns with the table (the conflict target, the left of `+`); SQLite
		// reads both alike.
		expect(normalise(USAGE_UPSERT.text)).toBe(normalise(built.replaceAll('"usage_daily"."', '"')))
	})

	it('adds usage deltas to their day rows, across batches', async () => {
		const delta = (agentId: string, n: number): UsageDelta => ({
			tenantId: 'upsert-t',
			day: '2026-01-02',
			agentId,
			model: 'offline:echo',
			calls: n,
			errors: 0,
			inputTokens: 10 * n,
			outputTokens: 20 * n,
			latencyMs: 5 * n,
		})
		await env.DB.prepare(
			"INSERT OR IGNORE INTO tenants (id, name, created_at, updated_at) VALUES ('upsert-t', 'u', 0, 0)",
		).run()
		// 120 rows (three batches), two per agent: each agent's row adds both.
		const rows = Array.from({ length: 120 }, (_, i) => delta(`a${i % 60}`, 1 + (i % 2)))
		await USAGE_UPSERT.add(db, rows)
		await USAGE_UPSERT.add(db, [delta('a0', 4)])
		const got = await env.DB.prepare(
			"SELECT agent_id, calls, input_tokens, output_tokens, latency_ms FROM usage_daily WHERE tenant_id = 'upsert-t' ORDER BY agent_id",
		).all<{
			agent_id: string
			calls: number
			input_tokens: number
			output_tokens: number
			latency_ms: number
		}>()
		expect(got.results).toHaveLength(60)
		const a0 = got.results.find((r) => r.agent_id === 'a0')
		// a0: i = 0 (1) and i = 60 (1), then 4.
		expect(a0).toEqual({
			agent_id: 'a0',
			calls: 6,
			input_tokens: 60,
			output_tokens: 120,
			latency_ms: 30,
		})
		const a1 = got.results.find((r) => r.agent_id === 'a1')
		expect(a1).toEqual({
			agent_id: 'a1',
			calls: 4,
			input_tokens: 40,
			output_tokens: 80,
			latency_ms: 20,
		})
	})

	it('adds rollup rows, histogram included, to their minute', async () => {
		const row = (count: number, bucket: number): RollupRow => ({
			tenantId: 'upsert-m',
			minute: 60_000,
			kind: 'request',
			agentId: '',
			dim: 'GET /x',
			outcome: '2xx',
			count,
			errors: 0,
			durationMs: 1.5 * count,
			inputTokens: 0,
			outputTokens: 0,
			costUsd: 0.25,
			costKnown: 1,
			queueWaitMs: 0,
			bytes: 100,
			value: 0,
			hist: HIST_COLUMNS.map((_, b) => (b === bucket ? count : 0)),
		})
		await ROLLUP_UPSERT.add(db, [row(2, 3), row(5, 15)])
		const got = await db
			.select()
			.from(metricsMinute)
			.where(sql`${metricsMinute.tenantId} = 'upsert-m'`)
			.all()
		expect(got).toHaveLength(1)
		expect(got[0]).toMatchObject({
			count: 7,
			durationMs: 10.5,
			costUsd: 0.5,
			costKnown: 2,
			bytes: 200,
			h3: 2,
			h15: 5,
			h0: 0,
		})
	})
})
