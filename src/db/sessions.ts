// The sessions index in D1: one row per session so sessions can be listed per tenant and agent
// without waking their lanes. Lanes write it; the gateway reads it.
import { and, desc, eq, gt, lt, or, type SQL } from 'drizzle-orm'
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
