// The audit chain in D1 `audit_log`: the last row of a tenant's chain, inserting a row (the primary
// key (tenant, seq) means two writers can never both append seq N, so the chain cannot fork),
// appending straight to D1, and verifying a chain page by page — every hash (HMAC for keyed rows),
// every link, and the end of the chain against the head its AuditChain object keeps.
import { and, asc, desc, eq, gt, gte, lt, lte, type SQL } from 'drizzle-orm'
import {
	type AuditEvent,
	type AuditRow,
	type ChainHead,
	GENESIS_HASH,
	nextRow,
	rowHashHolds,
} from '../security/audit'
import type { AuditKey } from '../security/audit-key'
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

/** The tenant's last row in D1 (or the genesis position). */
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

/** The row at (tenant, seq), if D1 has one. */
export async function rowAt(db: Db, tenantId: string, seq: number): Promise<AuditRow | undefined> {
	const r = await db
		.select()
		.from(auditLog)
		.where(and(eq(auditLog.tenantId, tenantId), eq(auditLog.seq, seq)))
		.get()
	return r ? toAuditRow(r) : undefined
}

/**
 * Appends an event to its tenant's chain straight to D1, from D1's last row; retries when a
 * concurrent writer took the next seq. Only tests and tools use it: the gateway appends through
 * the tenant's AuditChain Durable Object, which owns the head, keys the hash and signs checkpoints.
 */
export async function appendAudit(
	db: Db,
	event: AuditEvent,
	now = Date.now(),
	key?: Pick<AuditKey, 'id' | 'mac'>,
): Promise<AuditRow> {
	for (let attempt = 1; ; attempt++) {
		const row = await nextRow(await chainHead(db, event.tenantId), event, now, key)
		if (await insertRow(db, row)) return row
		if (attempt >= MAX_ATTEMPTS) throw new AuditAppendError(event.tenantId, attempt)
		await new Promise((r) => setTimeout(r, Math.random() * 4 * attempt))
	}
}

/** What a reader of a chain may filter on; `before` is a seq (the cursor of the previous page). */
export interface AuditFilter {
	action?: string | undefined
	actor?: string | undefined
	outcome?: AuditRow['outcome'] | undefined
	from?: Date | undefined
	to?: Date | undefined
	before?: number | undefined
	/** Rows of one W3C trace. */
	traceId?: string | undefined
}

/** Up to `limit` rows of a chain that pass the filter, newest first. */
export function listAuditRows(
	db: Db,
	tenantId: string,
	filter: AuditFilter,
	limit: number,
): Promise<(typeof auditLog.$inferSelect)[]> {
	const where: SQL[] = [eq(auditLog.tenantId, tenantId)]
	if (filter.action) where.push(eq(auditLog.action, filter.action))
	if (filter.actor) where.push(eq(auditLog.actor, filter.actor))
	if (filter.outcome) where.push(eq(auditLog.outcome, filter.outcome))
	if (filter.from) where.push(gte(auditLog.ts, filter.from))
	if (filter.to) where.push(lte(auditLog.ts, filter.to))
	if (filter.before) where.push(lt(auditLog.seq, filter.before))
	if (filter.traceId) where.push(eq(auditLog.traceId, filter.traceId))
	return db
		.select()
		.from(auditLog)
		.where(and(...where))
		.orderBy(desc(auditLog.seq))
		.limit(limit)
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
	traceId: r.traceId,
	data: r.data as Record<string, unknown>,
	prevHash: r.prevHash,
	hash: r.hash,
	keyId: r.keyId,
})

/** The head a chain's writer (the AuditChain object) keeps in its own storage. */
export interface KeptHead extends ChainHead {
	/** The first row written with an audit key: from here on a plain SHA-256 row is forged. */
	keyedSince: number | null
}

export interface ChainCheck {
	ok: boolean
	/** Rows verified (up to the first broken one). */
	rows: number
	brokenAt?: number
	reason?: string
	/** Rows hashed with plain SHA-256 (written without an audit key), among those verified. */
	unkeyedRows: number
}

export interface VerifyOptions {
	/** The keys keyed rows may name, by id (EDGECLAW_AUDIT_KEY and _PREVIOUS). */
	keys?: ReadonlyMap<string, Pick<AuditKey, 'mac'>>
	/**
	 * The head the chain's writer keeps, read before the walk and again after it (appends may land
	 * meanwhile): D1 ending before the first is a truncation, beyond the second a foreign row.
	 */
	head?: () => Promise<KeptHead | null>
	pageSize?: number
}

/**
 * Walks a tenant's chain in order: every seq present, every link, every hash (keyed rows by
 * HMAC, and no plain row after a keyed one); then the end of D1 against the kept head. Reports
 * the first thing that does not hold.
 */
export async function verifyAuditChain(
	db: Db,
	tenantId: string,
	options: VerifyOptions = {},
): Promise<ChainCheck> {
	const pageSize = options.pageSize ?? 500
	const before = (await options.head?.()) ?? null
	let prev = GENESIS_HASH
	let expectedSeq = 1
	let rows = 0
	let unkeyedRows = 0
	let keyedSeen = false
	const broken = (brokenAt: number, reason: string): ChainCheck => ({
		ok: false,
		rows,
		brokenAt,
		reason,
		unkeyedRows,
	})
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
				return broken(
					expectedSeq,
					row.seq === expectedSeq + 1
						? `row ${expectedSeq} is missing`
						: `rows ${expectedSeq}–${row.seq - 1} are missing`,
				)
			}
			if (row.prevHash !== prev) {
				return broken(row.seq, 'prev_hash does not match the row before')
			}
			let mac: CryptoKey | undefined
			if (row.keyId === null) {
				if (keyedSeen || (before?.keyedSince != null && row.seq >= before.keyedSince)) {
					return broken(
						row.seq,
						'plain SHA-256 row where the chain is keyed: forged, or written while EDGECLAW_AUDIT_KEY was unset',
					)
				}
				unkeyedRows++
			} else {
				keyedSeen = true
				mac = options.keys?.get(row.keyId)?.mac
				if (!mac) {
					return broken(
						row.seq,
						`keyed with key ${row.keyId}, which is neither EDGECLAW_AUDIT_KEY nor EDGECLAW_AUDIT_KEY_PREVIOUS`,
					)
				}
			}
			if (!(await rowHashHolds(row, mac))) {
				return broken(row.seq, 'hash does not match the row content')
			}
			prev = row.hash
			expectedSeq++
			rows++
		}
		if (page.length < pageSize) break
	}
	if (!options.head) return { ok: true, rows, unkeyedRows }
	const after = await options.head()
	const last = expectedSeq - 1
	if (before && last < before.seq) {
		return broken(last + 1, `truncated: expected head seq ${before.seq}, D1 ends at ${last}`)
	}
	if (after && last > after.seq) {
		return broken(
			after.seq + 1,
			`rows after the head (seq ${after.seq}) were not written by the AuditChain`,
		)
	}
	const kept = [before, after].find((h) => h?.seq === last)
	if (kept && kept.hash !== prev) {
		return broken(last, 'the last row differs from the head kept by the AuditChain: rewritten')
	}
	return { ok: true, rows, unkeyedRows }
}
