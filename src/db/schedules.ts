// Schedule rows in D1: the API's CRUD and list, and the few columns the timer object writes back
// after a fire (latest outcome, failure streak, next due time, an automatic disable).
import { and, asc, eq, gt, sql } from 'drizzle-orm'
import type { Db } from './client'
import { schedules } from './schema'

export type ScheduleRow = typeof schedules.$inferSelect
export type ScheduleInsert = typeof schedules.$inferInsert

export const MAX_SCHEDULES_PER_TENANT = 1_000

export function getSchedule(
	db: Db,
	tenantId: string,
	id: string,
): Promise<ScheduleRow | undefined> {
	return db
		.select()
		.from(schedules)
		.where(and(eq(schedules.tenantId, tenantId), eq(schedules.id, id)))
		.get()
}

/** A page of the tenant's schedules by id, after `afterId`. */
export function listSchedules(
	db: Db,
	tenantId: string,
	options: { limit: number; afterId?: string; agentId?: string },
): Promise<ScheduleRow[]> {
	return db
		.select()
		.from(schedules)
		.where(
			and(
				eq(schedules.tenantId, tenantId),
				options.afterId === undefined ? undefined : gt(schedules.id, options.afterId),
				options.agentId === undefined ? undefined : eq(schedules.agentId, options.agentId),
			),
		)
		.orderBy(asc(schedules.id))
		.limit(options.limit)
}

export async function countSchedules(db: Db, tenantId: string): Promise<number> {
	const row = await db
		.select({ n: sql<number>`count(*)` })
		.from(schedules)
		.where(eq(schedules.tenantId, tenantId))
		.get()
	return row?.n ?? 0
}

/** Inserts a schedule; false when the id is taken. */
export async function insertSchedule(db: Db, row: ScheduleInsert): Promise<boolean> {
	const inserted = await db
		.insert(schedules)
		.values(row)
		.onConflictDoNothing()
		.returning({ id: schedules.id })
	return inserted.length > 0
}

/** Replaces a schedule's definition; only when its version is still `version` (no lost update). */
export async function updateSchedule(
	db: Db,
	key: { tenantId: string; id: string; version: number },
	set: Partial<ScheduleInsert>,
): Promise<boolean> {
	const rows = await db
		.update(schedules)
		.set({ ...set, version: key.version + 1, updatedAt: new Date() })
		.where(
			and(
				eq(schedules.tenantId, key.tenantId),
				eq(schedules.id, key.id),
				eq(schedules.version, key.version),
			),
		)
		.returning({ id: schedules.id })
	return rows.length > 0
}

export async function deleteSchedule(db: Db, tenantId: string, id: string): Promise<boolean> {
	const rows = await db
		.delete(schedules)
		.where(and(eq(schedules.tenantId, tenantId), eq(schedules.id, id)))
		.returning({ id: schedules.id })
	return rows.length > 0
}

/** What the timer object writes after a run or a due-time change (never the definition). */
export interface TimerReport {
	nextDueAt?: number | null
	lastRunAt?: number
	lastStatus?: string
	consecutiveFailures?: number
	/** Turns the schedule off, with the reason (and bumps the version, as a write does). */
	disable?: string
}

export async function reportTimer(
	db: Db,
	key: { tenantId: string; id: string },
	report: TimerReport,
): Promise<void> {
	const { disable, ...columns } = report
	await db
		.update(schedules)
		.set({
			...columns,
			...(disable !== undefined && {
				enabled: false,
				disabledReason: disable,
				version: sql`${schedules.version} + 1`,
				nextDueAt: null,
			}),
		})
		.where(and(eq(schedules.tenantId, key.tenantId), eq(schedules.id, key.id)))
}

/** Records a run's outcome; the failure streak after it (0 after a success). */
export async function recordScheduleOutcome(
	db: Db,
	key: { tenantId: string; id: string },
	outcome: { ok: boolean; at: number; status: string },
): Promise<number> {
	const row = await db
		.update(schedules)
		.set({
			lastRunAt: outcome.at,
			lastStatus: outcome.status,
			consecutiveFailures: outcome.ok ? 0 : sql`${schedules.consecutiveFailures} + 1`,
		})
		.where(and(eq(schedules.tenantId, key.tenantId), eq(schedules.id, key.id)))
		.returning({ n: schedules.consecutiveFailures })
		.get()
	return row?.n ?? 0
}
