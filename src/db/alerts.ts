// Alerts in D1: what the schedule reads to judge tenants (only those with recent rollups, a stuck
// lane, a failing schedule or an alert episode to look after, so idle tenants cost nothing) and the episodes it keeps
// in `alert_episodes` — opened and resolved at most once each, whatever runs at the same time.
import { and, desc, eq, gte, inArray, isNotNull, isNull, lte, or, sql } from 'drizzle-orm'
import { FAILING_STREAK, NO_FACTS, type TenantFacts } from '../observability/alerts'
import type { Db } from './client'
import { HIST_COLUMNS } from './metrics'
import { alertEpisodes, metricsMinute } from './observability-schema'
import { schedules, sessions, tenants, usageDaily } from './schema'
import { readSettings, type TenantSettings } from './tenant-settings'

export type AlertEpisodeRow = typeof alertEpisodes.$inferSelect
export type NotifyState = 'none' | 'pending' | 'sent' | 'failed'

/** D1 binds at most 100 parameters per statement. */
const IN_CHUNK = 90

async function chunked<T>(ids: readonly string[], read: (ids: string[]) => Promise<T[]>) {
	const out: T[] = []
	for (let i = 0; i < ids.length; i += IN_CHUNK)
		out.push(...(await read(ids.slice(i, i + IN_CHUNK))))
	return out
}

/** A tenant to judge: its settings, what was measured, its episodes open or to notify. */
export interface TenantToJudge {
	tenantId: string
	settings: TenantSettings
	facts: TenantFacts
	episodes: AlertEpisodeRow[]
}

/**
 * Every tenant with something to judge: rollup rows of requests or runs since `since.recent`,
 * deliveries given up since `since.deliveries`, a stuck lane, a failing schedule, or an episode
 * open or with a notification pending. Tenants that no longer exist are left out.
 */
export async function tenantsToJudge(
	db: Db,
	since: { recent: number; deliveries: number },
	day: string,
): Promise<TenantToJudge[]> {
	const hist = Object.fromEntries(HIST_COLUMNS.map((c, i) => [`h${i}`, sql<number>`sum(${c})`]))
	const [recent, failed, stuck, failing, watched] = await Promise.all([
		db
			.select({
				tenantId: metricsMinute.tenantId,
				kind: metricsMinute.kind,
				count: sql<number>`sum(${metricsMinute.count})`,
				errors: sql<number>`sum(${metricsMinute.errors})`,
				...hist,
			})
			.from(metricsMinute)
			.where(
				and(
					gte(metricsMinute.minute, since.recent),
					inArray(metricsMinute.kind, ['request', 'run']),
				),
			)
			.groupBy(metricsMinute.tenantId, metricsMinute.kind),
		db
			.select({ tenantId: metricsMinute.tenantId, n: sql<number>`sum(${metricsMinute.count})` })
			.from(metricsMinute)
			.where(
				and(
					gte(metricsMinute.minute, since.deliveries),
					eq(metricsMinute.kind, 'delivery'),
					eq(metricsMinute.outcome, 'failed'),
				),
			)
			.groupBy(metricsMinute.tenantId),
		db
			.select({ tenantId: sessions.tenantId, n: sql<number>`count(*)` })
			.from(sessions)
			.where(isNotNull(sessions.stuckSince))
			.groupBy(sessions.tenantId),
		failingSchedules(db),
		// Small: one row per episode, resolved ones pruned after EPISODE_RETENTION_MS.
		db
			.select()
			.from(alertEpisodes)
			.where(or(eq(alertEpisodes.status, 'open'), eq(alertEpisodes.notified, 'pending'))),
	])
	const facts = new Map<string, TenantFacts>()
	const of = (tenantId: string): TenantFacts => {
		let f = facts.get(tenantId)
		if (!f) {
			f = { ...NO_FACTS }
			facts.set(tenantId, f)
		}
		return f
	}
	for (const row of recent) {
		const f = of(row.tenantId)
		if (row.kind === 'request') {
			f.requests = Number(row.count)
			f.serverErrors = Number(row.errors)
		} else {
			f.runHist = HIST_COLUMNS.map((_, i) => Number((row as Record<string, unknown>)[`h${i}`] ?? 0))
			// The runs the histogram holds: a cancelled run has no turn latency (pointFacts' `timed`).
			f.runs = f.runHist.reduce((n, c) => n + c, 0)
		}
	}
	for (const row of failed) of(row.tenantId).failedDeliveries = Number(row.n)
	for (const row of stuck) of(row.tenantId).stuckLanes = Number(row.n)
	for (const row of failing) of(row.tenantId).failingSchedules = Number(row.n)
	for (const e of watched) of(e.tenantId)
	const ids = [...facts.keys()]
	const [rows, used] = await Promise.all([
		chunked(ids, (chunk) =>
			db
				.select({ id: tenants.id, settings: tenants.settings })
				.from(tenants)
				.where(inArray(tenants.id, chunk)),
		),
		chunked(ids, (chunk) =>
			db
				.select({
					tenantId: usageDaily.tenantId,
					n: sql<number>`sum(${usageDaily.inputTokens} + ${usageDaily.outputTokens})`,
				})
				.from(usageDaily)
				.where(and(eq(usageDaily.day, day), inArray(usageDaily.tenantId, chunk)))
				.groupBy(usageDaily.tenantId),
		),
	])
	const usedBy = new Map(used.map((u) => [u.tenantId, Number(u.n)]))
	return rows.map((t) => {
		const settings = readSettings(t.settings)
		const f = of(t.id)
		f.tokensToday = usedBy.get(t.id) ?? 0
		f.dailyTokenBudget = settings.dailyTokenBudget ?? null
		const episodes = watched.filter((e) => e.tenantId === t.id)
		return { tenantId: t.id, settings, facts: f, episodes }
	})
}

/**
 * The failing schedules of every tenant that has one (FAILING_STREAK failures or more in a row):
 * those on, and those the scheduler turned off for failing (`disabled_reason` set; turning one on
 * again clears it and the streak). One grouped read of the partial index
 * `schedules_failing_idx`, which holds only the rows with such a streak: the bound is written into
 * the statement, not bound as a parameter, so SQLite sees that the query implies the index's WHERE.
 */
export function failingSchedules(db: Db) {
	return db
		.select({ tenantId: schedules.tenantId, n: sql<number>`count(*)` })
		.from(schedules)
		.where(
			and(
				sql`${schedules.consecutiveFailures} >= ${sql.raw(String(FAILING_STREAK))}`,
				or(eq(schedules.enabled, true), isNotNull(schedules.disabledReason)),
			),
		)
		.groupBy(schedules.tenantId)
}

/**
 * Opens an episode unless the tenant has one open for the rule already (a tick running at the
 * same time); true when this call opened it.
 */
export async function openEpisode(
	db: Db,
	e: Pick<
		AlertEpisodeRow,
		'tenantId' | 'id' | 'rule' | 'value' | 'threshold' | 'openedAt' | 'notifyClaimedAt'
	> & {
		notified: NotifyState
	},
): Promise<boolean> {
	const result = await db.run(sql`
		INSERT INTO ${alertEpisodes} (tenant_id, id, rule, status, value, threshold, opened_at, notified, notify_claimed_at)
		SELECT ${e.tenantId}, ${e.id}, ${e.rule}, 'open', ${e.value}, ${e.threshold}, ${e.openedAt}, ${e.notified}, ${e.notifyClaimedAt}
		WHERE NOT EXISTS (
			SELECT 1 FROM ${alertEpisodes}
			WHERE tenant_id = ${e.tenantId} AND rule = ${e.rule} AND status = 'open'
		)`)
	return (result.meta.changes ?? 0) > 0
}

/** Resolves an open episode; true when this call resolved it. */
export async function resolveEpisode(
	db: Db,
	e: {
		tenantId: string
		id: string
		resolvedAt: number
		notified: NotifyState
		notifyClaimedAt: number | null
	},
): Promise<boolean> {
	const rows = await db
		.update(alertEpisodes)
		.set({
			status: 'resolved',
			resolvedAt: e.resolvedAt,
			notified: e.notified,
			notifyClaimedAt: e.notifyClaimedAt,
		})
		.where(
			and(
				eq(alertEpisodes.tenantId, e.tenantId),
				eq(alertEpisodes.id, e.id),
				eq(alertEpisodes.status, 'open'),
			),
		)
		.returning({ id: alertEpisodes.id })
	return rows.length > 0
}

/**
 * Takes a pending notification to send it: true unless another evaluation holds it (a claim
 * younger than `staleMs`; an older one is taken to be of an evaluation that died).
 */
export async function claimNotification(
	db: Db,
	e: { tenantId: string; id: string },
	at: number,
	staleMs: number,
): Promise<boolean> {
	const rows = await db
		.update(alertEpisodes)
		.set({ notifyClaimedAt: at })
		.where(
			and(
				eq(alertEpisodes.tenantId, e.tenantId),
				eq(alertEpisodes.id, e.id),
				eq(alertEpisodes.notified, 'pending'),
				or(isNull(alertEpisodes.notifyClaimedAt), lte(alertEpisodes.notifyClaimedAt, at - staleMs)),
			),
		)
		.returning({ id: alertEpisodes.id })
	return rows.length > 0
}

/** Records how sending went, and lets go of the claim. */
export async function setNotified(
	db: Db,
	e: { tenantId: string; id: string },
	state: NotifyState,
): Promise<void> {
	await db
		.update(alertEpisodes)
		.set({ notified: state, notifyClaimedAt: null })
		.where(and(eq(alertEpisodes.tenantId, e.tenantId), eq(alertEpisodes.id, e.id)))
}

/** Keyset position in a tenant's episode list: open first, then newest first. */
export interface EpisodeCursor {
	open: boolean
	openedAt: number
	id: string
}

const isOpen = sql`(${alertEpisodes.status} = 'open')`

/** A tenant's episodes: open ones first, each group newest first. */
export async function listEpisodes(
	db: Db,
	q: {
		tenantId: string
		status?: 'open' | 'resolved' | undefined
		limit: number
		after?: EpisodeCursor | undefined
	},
): Promise<AlertEpisodeRow[]> {
	const a = q.after
	return db
		.select()
		.from(alertEpisodes)
		.where(
			and(
				eq(alertEpisodes.tenantId, q.tenantId),
				q.status === undefined ? undefined : eq(alertEpisodes.status, q.status),
				a
					? sql`(${isOpen}, ${alertEpisodes.openedAt}, ${alertEpisodes.id}) < (${a.open ? 1 : 0}, ${a.openedAt}, ${a.id})`
					: undefined,
			),
		)
		.orderBy(desc(isOpen), desc(alertEpisodes.openedAt), desc(alertEpisodes.id))
		.limit(q.limit)
}

/** How long a resolved episode is kept (GET /v1/alerts lists it meanwhile). */
export const EPISODE_RETENTION_MS = 90 * 86_400_000

/** Resolved episodes that closed before `before` go (open ones always stay); returns how many. */
export async function pruneEpisodes(db: Db, before: number): Promise<number> {
	const result = await db.run(
		sql`DELETE FROM ${alertEpisodes} WHERE status = 'resolved' AND resolved_at < ${before}`,
	)
	return result.meta.changes ?? 0
}
