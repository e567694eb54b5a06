// The audit chain in D1 `audit_log`: the head of a tenant's chain, inserting a row (the primary key
// (tenant, seq) means two writers can never both append seq N: the loser re-reads and retries, so
// the chain cannot fork), appending, and verifying a chain page by page.
import { and, asc, desc, eq, gt } from 'drizzle-orm'
import {
	type AuditEvent,
	type AuditRow,
	type ChainHead,
	GENESIS_HASH,
	nextRow,
	rowHash,
} from '../security/audit'
import type { Db } from './client'
import { auditLog } from './schema'

/**
 * Appends racing for the same seq retry with a short random pause. Each round of a burst lets one
 * writer win, so n simultaneous writers need up to n attempts; 25 covers bursts of that size. (The
 * gateway's AuditChain DO serialises appends, so there the retry is the rare exception.)
 */
const MAX_ATTEMPTS = 25

const isConflict = (error: unknown): boolean =>
	/UNIQUE constraint|PRIMARY KEY/i.test(
		`${error instanceof Error ? error.message : ''} ${error instanceof Error && error.cause instanceof Error ? error.cause.message : ''}`,
	)

/** An append that kept losing the race for the next seq. */
export class AuditAppendError extends Error {
	override readonly name = 'AuditAppendError'
	readonly tenantId: string
	readonly attempts: number
	constructor(tenantId: string, attempts: number) {
		super(`audit append for tenant "${tenantId}" lost the race ${attempts} times`)
		this.tenantId = tenantId
		this.attempts = attempts
	}
}

/** The tenant's last row (or the genesis position). */
export async function chainHead(db: Db, tenantId: string): Promise<ChainHead> {
	const head = await db
		.select({ seq: auditLog.seq, hash: auditLog.hash })
		.from(auditLog)
		.where(eq(auditLog.tenantId, tenantId))
		.orderBy(desc(auditLog.seq))
		.limit(1)
		.get()
	return head ?? { seq: 0, hash: GENESIS_HASH }
}

/** Inserts a row; false when its (tenant, seq) is taken (someone appended first). */
export async function insertRow(db: Db, row: AuditRow): Promise<boolean> {
	try {
		await db.insert(auditLog).values({ ...row, ts: new Date(row.ts) })
		return true
	} catch (error) {
		if (isConflict(error)) return false
		throw error
	}
}

/**
 * Appends an event to its tenant's chain straight to D1; retries when a concurrent writer took
 * the next seq. The gateway appends through the tenant's AuditChain Durable Object instead, which
 * serialises appends and keeps the head in memory (no read per append, no retries).
 */
export async function appendAudit(db: Db, event: AuditEvent, now = Date.now()): Promise<AuditRow> {
	for (let attempt = 1; ; attempt++) {
		const row = await nextRow(await chainHead(db, event.tenantId), event, now)
		if (await insertRow(db, row)) return row
		if (attempt >= MAX_ATTEMPTS) throw new AuditAppendError(event.tenantId, attempt)
		await new Promise((r) => setTimeout(r, Math.random() * 4 * attempt))
	}
}

/** A stored `audit_log` row as the chain knows it (`ts` in epoch ms). */
export const toAuditRow = (r: typeof auditLog.$inferSelect): AuditRow => ({
	tenantId: r.tenantId,
	seq: r.seq,
	ts: r.ts.getTime(),
	actor: r.actor,
	action: r.action,
	target: r.target,
	outcome: r.outcome,
	requestId: r.requestId,
	data: r.data as Record<string, unknown>,
	prevHash: r.prevHash,
	hash: r.hash,
})

export type ChainCheck =
	| { ok: true; rows: number }
	| { ok: false; rows: number; brokenAt: number; reason: string }

/** Walks a tenant's chain in order, recomputing every hash; reports the first broken row. */
export async function verifyAuditChain(
	db: Db,
	tenantId: string,
	pageSize = 500,
): Promise<ChainCheck> {
	let prev = GENESIS_HASH
	let expectedSeq = 1
	let rows = 0
	for (;;) {
		const page = await db
			.select()
			.from(auditLog)
			.where(and(eq(auditLog.tenantId, tenantId), gt(auditLog.seq, expectedSeq - 1)))
			.orderBy(asc(auditLog.seq))
			.limit(pageSize)
		for (const r of page) {
			const row = toAuditRow(r)
			if (row.seq !== expectedSeq) {
				return { ok: false, rows, brokenAt: expectedSeq, reason: `row ${expectedSeq} is missing` }
			}
			if (row.prevHash !== prev) {
				return {
					ok: false,
					rows,
					brokenAt: row.seq,
					reason: 'prev_hash does not match the row before',
				}
			}
			const { hash, ...body } = row
			if ((await rowHash(body)) !== hash) {
				return { ok: false, rows, brokenAt: row.seq, reason: 'hash does not match the row content' }
			}
			prev = hash
			expectedSeq++
			rows++
		}
		if (page.length < pageSize) return { ok: true, rows }
	}
}
