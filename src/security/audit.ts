// The tamper-evident audit log's rows: one hash chain per tenant.
//   hash = hex(SHA-256(prev_hash || canonical JSON of the row without prev_hash and hash))
// The first row of a tenant chains to 64 zeros. Pure: building and hashing rows; src/db/audit.ts
// stores and verifies them. Event data passes redaction before it is hashed.
import { redact } from './redact'

export const GENESIS_HASH = '0'.repeat(64)

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

export async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** The hash of a row given its predecessor's hash. */
export function rowHash(row: Omit<AuditRow, 'hash'>): Promise<string> {
	const { prevHash, ...body } = row
	return sha256Hex(prevHash + canonicalJson(body))
}

/** A taken (tenant, seq): the one failure an append retries. Other constraint errors are bugs. */
export interface ChainHead {
	seq: number
	hash: string
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
