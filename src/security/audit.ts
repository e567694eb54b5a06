// The tamper-evident audit log: one hash chain per tenant in D1 `audit_log`.
//   hash = hex(SHA-256(prev_hash || canonical JSON of the row without its hash))
// The first row of a tenant chains to 64 zeros. The primary key (tenant, seq) means two writers
// can never both append seq N: the loser re-reads the head and retries, so the chain cannot fork.
// Event data passes redaction before it is hashed and stored.
import { and, asc, desc, eq, gt } from 'drizzle-orm'
import type { Db } from '../db/client'
import { auditLog } from '../db/schema'
import { redact } from './redact'

export const GENESIS_HASH = '0'.repeat(64)
/**
 * Appends racing for the same seq retry with a short random pause. Each round of a burst lets one
 * writer win, so n simultaneous writers need up to n attempts; 25 covers bursts of that size. (The
 * gateway's AuditChain DO serialises appends, so there the retry is the rare exception.)
 */
const MAX_ATTEMPTS = 25

export interface AuditEvent {
	tenantId: string
	/** Who acted: `admin-token`, `key:<id>`, `system`, … */
	actor: string
	/** What happened, dotted: `agent.created`, `auth.failed`, … */
	action: string
	target?: string
	outcome: 'success' | 'failure' | 'deny'
	requestId?: string
	data?: Record<string, unknown>
}

export interface AuditRow {
	tenantId: string
	seq: number
	ts: number
	actor: string
	action: string
	target: string | null
	outcome: 'success' | 'failure' | 'deny'
	requestId: string | null
	data: Record<string, unknown>
	prevHash: string
	hash: string
}

/** JSON with object keys sorted at every level: the same value always hashes the same. */
export function canonicalJson(value: unknown): string {
	if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
	const entries = Object.entries(value as Record<string, unknown>)
		.filter(([, v]) => v !== undefined)
		.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
	return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** The hash of a row given its predecessor's hash. */
export function rowHash(row: Omit<AuditRow, 'hash'>): Promise<string> {
	const { prevHash, ...body } = row
	return sha256Hex(prevHash + canonicalJson(body))
}

/** A taken (tenant, seq): the one failure an append retries. Other constraint errors are bugs. */
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

export interface ChainHead {
	seq: number
	hash: string
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

/** The row that follows `head`, hashed. */
export async function nextRow(head: ChainHead, event: AuditEvent, now: number): Promise<AuditRow> {
	const body: Omit<AuditRow, 'hash'> = {
		tenantId: event.tenantId,
		seq: head.seq + 1,
		ts: now,
		actor: event.actor,
		action: event.action,
		target: event.target ?? null,
		outcome: event.outcome,
		requestId: event.requestId ?? null,
		data: redact(event.data ?? {}) as Record<string, unknown>,
		prevHash: head.hash,
	}
	return { ...body, hash: await rowHash(body) }
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
			const row: AuditRow = {
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
			}
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
