// Token usage per tenant, UTC day, agent and model (D1 `usage_daily`), and the daily budget
// check against it. Writes add to the day's row; reads for the budget are cached briefly.
import { and, eq, sql } from 'drizzle-orm'
import { additiveUpsert } from './additive-upsert'
import { TtlCache } from './cache'
import type { Db } from './client'
import { usageDaily } from './schema'

export interface UsageDelta {
	tenantId: string
	day: string
	agentId: string
	model: string
	calls: number
	errors: number
	inputTokens: number
	outputTokens: number
	latencyMs: number
}

/** The UTC day of an instant, `YYYY-MM-DD`. */
export const utcDay = (at: number): string => new Date(at).toISOString().slice(0, 10)

/** Seconds until the next UTC midnight (when daily budgets reset). */
export const secondsToUtcMidnight = (at: number): number => {
	const next = new Date(at)
	next.setUTCHours(24, 0, 0, 0)
	return Math.max(1, Math.ceil((next.getTime() - at) / 1000))
}

/** The usage upsert: a delta adds to its day's row. */
export const USAGE_UPSERT = additiveUpsert<UsageDelta>(
	usageDaily,
	[usageDaily.tenantId, usageDaily.day, usageDaily.agentId, usageDaily.model],
	[
		usageDaily.calls,
		usageDaily.errors,
		usageDaily.inputTokens,
		usageDaily.outputTokens,
		usageDaily.latencyMs,
	],
	(d) => [
		d.tenantId,
		d.day,
		d.agentId,
		d.model,
		d.calls,
		d.errors,
		d.inputTokens,
		d.outputTokens,
		d.latencyMs,
	],
)

/** Adds deltas to their day rows, all in one batch. */
export const addUsage = (db: Db, deltas: readonly UsageDelta[]): Promise<void> =>
	USAGE_UPSERT.add(db, deltas)

/** Tokens (input + output) the tenant used on a UTC day. */
export async function tokensUsed(db: Db, tenantId: string, day: string): Promise<number> {
	const row = await db
		.select({
			n: sql<number>`coalesce(sum(${usageDaily.inputTokens} + ${usageDaily.outputTokens}), 0)`,
		})
		.from(usageDaily)
		.where(and(eq(usageDaily.tenantId, tenantId), eq(usageDaily.day, day)))
		.get()
	return Number(row?.n ?? 0)
}

export async function usageRows(db: Db, tenantId: string, from: string, to: string) {
	return db
		.select()
		.from(usageDaily)
		.where(
			and(
				eq(usageDaily.tenantId, tenantId),
				sql`${usageDaily.day} >= ${from}`,
				sql`${usageDaily.day} <= ${to}`,
			),
		)
		.orderBy(usageDaily.day, usageDaily.agentId, usageDaily.model)
		.limit(1_000)
}

/** Budget reads are cached this long per isolate: a tenant may overrun by that much traffic. */
export const BUDGET_CACHE_MS = 5_000
const usedCache = new TtlCache<number>(BUDGET_CACHE_MS)

export function cachedTokensUsed(db: Db, tenantId: string, day: string): Promise<number> {
	return usedCache.get(`${tenantId}/${day}`, () => tokensUsed(db, tenantId, day))
}
