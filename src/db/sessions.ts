// The sessions index in D1: one row per session so sessions can be listed per tenant and agent
// without waking their lanes. Lanes write it; the gateway reads it.
import { and, desc, eq, gt, gte, isNotNull, lt, or, type SQL, sql } from 'drizzle-orm'
import type { SessionRef } from '../security/subject'
import type { Db } from './client'
import { sessions } from './schema'

export type SessionRow = typeof sessions.$inferSelect

export interface SessionIndexUpdate extends SessionRef {
	createdAt: number
	updatedAt: number
	messageCount: number
	/** Approvals waiting for a decision; absent = unchanged. */
	pendingApprovals?: number | undefined
	lastRunId?: string | undefined
	lastRunStatus?: string | undefined
	/** Runs waiting in the lane's queue; absent = unchanged. */
	queuedRuns?: number | undefined
	/** Since when a run has been stuck (epoch ms), null = not stuck; absent = unchanged. */
	stuckSince?: number | null | undefined
}

const RUN_STATUS = new Set(['queued', 'running', 'succeeded', 'failed', 'cancelled'])

export async function upsertSession(db: Db, u: SessionIndexUpdate): Promise<void> {
	const status =
		u.lastRunStatus && RUN_STATUS.has(u.lastRunStatus)
			? (u.lastRunStatus as SessionRow['lastRunStatus'])
			: undefined
	const values = {
		tenantId: u.tenantId,
		agentId: u.agentId,
		sessionKey: u.sessionKey,
		messageCount: u.messageCount,
		...(u.pendingApprovals !== undefined && { pendingApprovals: u.pendingApprovals }),
		createdAt: new Date(u.createdAt),
		updatedAt: new Date(u.updatedAt),
		...(u.lastRunId !== undefined && { lastRunId: u.lastRunId }),
		...(status !== undefined && { lastRunStatus: status }),
		...(u.queuedRuns !== undefined && { queuedRuns: u.queuedRuns }),
		...(u.stuckSince !== undefined && { stuckSince: u.stuckSince }),
	}
	await db
		.insert(sessions)
		.values(values)
		.onConflictDoUpdate({
			target: [sessions.tenantId, sessions.agentId, sessions.sessionKey],
			set: {
				messageCount: values.messageCount,
				updatedAt: values.updatedAt,
				...(values.pendingApprovals !== undefined && {
					pendingApprovals: values.pendingApprovals,
				}),
				...(values.lastRunId !== undefined && { lastRunId: values.lastRunId }),
				...(values.lastRunStatus !== undefined && { lastRunStatus: values.lastRunStatus }),
				...(values.queuedRuns !== undefined && { queuedRuns: values.queuedRuns }),
				...(values.stuckSince !== undefined && { stuckSince: values.stuckSince }),
			},
		})
}

export async function removeSession(db: Db, ref: SessionRef): Promise<void> {
	await db
		.delete(sessions)
		.where(
			and(
				eq(sessions.tenantId, ref.tenantId),
				eq(sessions.agentId, ref.agentId),
				eq(sessions.sessionKey, ref.sessionKey),
			),
		)
}

/** One session's row, or undefined when the index has none (never used, or not yet written). */
export async function getSession(db: Db, ref: SessionRef): Promise<SessionRow | undefined> {
	const [row] = await db
		.select()
		.from(sessions)
		.where(
			and(
				eq(sessions.tenantId, ref.tenantId),
				eq(sessions.agentId, ref.agentId),
				eq(sessions.sessionKey, ref.sessionKey),
			),
		)
		.limit(1)
	return row
}

/** Keyset position in the listing: newest first, ties broken by agent and key. */
export interface SessionCursor {
	updatedAt: number
	agentId: string
	sessionKey: string
}

export async function listSessions(
	db: Db,
	q: {
		tenantId: string
		agentId?: string | undefined
		limit: number
		after?: SessionCursor | undefined
	},
): Promise<SessionRow[]> {
	const conditions: (SQL | undefined)[] = [eq(sessions.tenantId, q.tenantId)]
	if (q.agentId) conditions.push(eq(sessions.agentId, q.agentId))
	if (q.after) {
		const at = new Date(q.after.updatedAt)
		conditions.push(
			or(
				lt(sessions.updatedAt, at),
				and(eq(sessions.updatedAt, at), lt(sessions.agentId, q.after.agentId)),
				and(
					eq(sessions.updatedAt, at),
					eq(sessions.agentId, q.after.agentId),
					lt(sessions.sessionKey, q.after.sessionKey),
				),
			),
		)
	}
	return db
		.select()
		.from(sessions)
		.where(and(...conditions))
		.orderBy(desc(sessions.updatedAt), desc(sessions.agentId), desc(sessions.sessionKey))
		.limit(q.limit)
}

/**
 * Sessions with approvals waiting, most recently active first (the index may lag the lanes by
 * their write interval; the lanes are the authority on each approval).
 */
export async function listSessionsAwaitingApproval(
	db: Db,
	q: { tenantId: string; agentId?: string | undefined; limit: number },
): Promise<SessionRow[]> {
	const conditions = [eq(sessions.tenantId, q.tenantId), gt(sessions.pendingApprovals, 0)]
	if (q.agentId) conditions.push(eq(sessions.agentId, q.agentId))
	return db
		.select()
		.from(sessions)
		.where(and(...conditions))
		.orderBy(desc(sessions.updatedAt))
		.limit(q.limit)
}

/** Which lanes the platform's health view lists: stuck ones, deep queues, or both. */
export interface LaneHealthQuery {
	/** Only lanes with a stuck run. */
	stuckOnly: boolean
	/** Only lanes with at least this many queued runs; unset = stuck lanes and any queue. */
	minQueued?: number | undefined
	tenantId?: string | undefined
	limit: number
	after?: LaneHealthCursor | undefined
}

/** Keyset position in the health view: stuck lanes first (longest stuck first), then deepest queues. */
export interface LaneHealthCursor {
	stuckSince: number | null
	queuedRuns: number
	tenantId: string
	agentId: string
	sessionKey: string
}

/** The health view's order, every term ascending (a keyset compares their row value). */
const HEALTH_ORDER = [
	sql`${sessions.stuckSince} IS NULL`,
	sql`coalesce(${sessions.stuckSince}, 0)`,
	sql`-${sessions.queuedRuns}`,
	sql`${sessions.tenantId}`,
	sql`${sessions.agentId}`,
	sql`${sessions.sessionKey}`,
]

function healthWhere(q: Omit<LaneHealthQuery, 'limit' | 'after'>): SQL | undefined {
	const stuck = isNotNull(sessions.stuckSince)
	const queued = gte(sessions.queuedRuns, q.minQueued ?? 1)
	const which = q.stuckOnly
		? and(stuck, q.minQueued === undefined ? undefined : queued)
		: q.minQueued === undefined
			? or(stuck, queued)
			: queued
	return and(which, q.tenantId === undefined ? undefined : eq(sessions.tenantId, q.tenantId))
}

/** Sessions whose lane is stuck or has runs queued, across tenants (the platform's view). */
export async function listLaneHealth(db: Db, q: LaneHealthQuery): Promise<SessionRow[]> {
	const a = q.after
	const after = a
		? sql`(${sql.join(HEALTH_ORDER, sql`, `)}) > (${a.stuckSince === null ? 1 : 0}, ${a.stuckSince ?? 0}, ${-a.queuedRuns}, ${a.tenantId}, ${a.agentId}, ${a.sessionKey})`
		: undefined
	return db
		.select()
		.from(sessions)
		.where(and(healthWhere(q), after))
		.orderBy(...HEALTH_ORDER)
		.limit(q.limit)
}

export interface LaneHealthCounts {
	/** Lanes with a stuck run. */
	stuckLanes: number
	/** Lanes with at least one queued run, and those runs. */
	queuedLanes: number
	queuedRuns: number
}

/** Totals over every lane (of one tenant, or all). */
export async function laneHealthCounts(db: Db, tenantId?: string): Promise<LaneHealthCounts> {
	const row = await db
		.select({
			stuckLanes: sql<number>`coalesce(sum(${sessions.stuckSince} IS NOT NULL), 0)`,
			queuedLanes: sql<number>`coalesce(sum(${sessions.queuedRuns} > 0), 0)`,
			queuedRuns: sql<number>`coalesce(sum(${sessions.queuedRuns}), 0)`,
		})
		.from(sessions)
		.where(healthWhere({ stuckOnly: false, tenantId }))
		.get()
	return {
		stuckLanes: Number(row?.stuckLanes ?? 0),
		queuedLanes: Number(row?.queuedLanes ?? 0),
		queuedRuns: Number(row?.queuedRuns ?? 0),
	}
}

/** Stuck lanes per tenant, for the tenants that have any (what the stuck-lanes alert reads). */
export async function stuckLanesByTenant(db: Db): Promise<Map<string, number>> {
	const rows = await db
		.select({ tenantId: sessions.tenantId, n: sql<number>`count(*)` })
		.from(sessions)
		.where(isNotNull(sessions.stuckSince))
		.groupBy(sessions.tenantId)
	return new Map(rows.map((r) => [r.tenantId, Number(r.n)]))
}
