// The tamper-evident audit log's rows: one hash chain per tenant.
//   hash = hex(HMAC-SHA-256(audit key, prev_hash || canonical JSON of the row without the hashes))
// (a row's trace id is part of that JSON only when it has one, so rows from before traces verify)
// with `keyId` naming the key (src/security/audit-key.ts); rows written before the chain was keyed
// (key id null) are hex(SHA-256(prev_hash || canonical JSON)). The first row of a tenant chains to
// 64 zeros. Pure: building and hashing rows; src/db/audit.ts stores and verifies them. Event data
// passes redaction before it is hashed.

import type { AuditKey } from './audit-key'
import { hex } from './bytes'
import { redact } from './redact'

export const GENESIS_HASH = '0'.repeat(64)

/**
 * The deployment's own chain: failed authentications without a known tenant, tenant creation,
 * and events about a tenant that does not exist. Tenant ids cannot start with `_`.
 */
export const PLATFORM_CHAIN = '_platform'

export interface AuditEvent {
	tenantId: string
	/** Who acted: `admin-token`, `key:<id>`, `system`, … */
	actor: string
	/** What happened, dotted: `agent.created`, `auth.failed`, … */
	action: string
	target?: string
	outcome: 'success' | 'failure' | 'deny'
	requestId?: string
	/** W3C trace id of the request or run that did it. */
	traceId?: string
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
	/** W3C trace id of the request or run that did it; null (or absent) for untraced rows. */
	traceId?: string | null
	data: Record<string, unknown>
	prevHash: string
	hash: string
	/** The audit key whose HMAC `hash` is; null for a plain SHA-256 row. */
	keyId: string | null
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
	return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
}

const encoder = new TextEncoder()

/**
 * What a row's hash covers: its predecessor's hash, then the row (with its trace id when traced,
 * its key id when keyed).
 */
export function hashedText(row: Omit<AuditRow, 'hash'>): string {
	const { prevHash, keyId, traceId, ...body } = row
	const traced = traceId == null ? body : { ...body, traceId }
	return prevHash + canonicalJson(keyId === null ? traced : { ...traced, keyId })
}

/**
 * The hash of a row given its predecessor's hash: HMAC with `mac` when the row names a key id,
 * plain SHA-256 when it does not.
 */
export async function rowHash(row: Omit<AuditRow, 'hash'>, mac?: CryptoKey): Promise<string> {
	if (row.keyId === null) return sha256Hex(hashedText(row))
	if (!mac) throw new Error(`row ${row.seq} is keyed (${row.keyId}) but no key was given`)
	return hex(await crypto.subtle.sign('HMAC', mac, encoder.encode(hashedText(row))))
}

/** Whether a stored row's hash holds (a keyed row's HMAC is compared in constant time). */
export async function rowHashHolds(row: AuditRow, mac?: CryptoKey): Promise<boolean> {
	const { hash, ...body } = row
	if (row.keyId === null) return (await sha256Hex(hashedText(body))) === hash
	if (!mac || !/^[0-9a-f]{64}$/.test(hash)) return false
	const tag = Uint8Array.from(hash.match(/../g) ?? [], (h) => Number.parseInt(h, 16))
	return crypto.subtle.verify('HMAC', mac, tag, encoder.encode(hashedText(body)))
}

/** The position a chain continues from: the last row's seq and hash. */
export interface ChainHead {
	seq: number
	hash: string
}

/**
 * The row that follows `head`, hashed with `key` (plain SHA-256 without one: an event is never
 * dropped for want of a key). `seq` overrides head.seq + 1 when a foreign row took that place.
 */
export async function nextRow(
	head: ChainHead,
	event: AuditEvent,
	now: number,
	key?: Pick<AuditKey, 'id' | 'mac'>,
	seq = head.seq + 1,
): Promise<AuditRow> {
	const body: Omit<AuditRow, 'hash'> = {
		tenantId: event.tenantId,
		seq,
		ts: now,
		actor: event.actor,
		action: event.action,
		target: event.target ?? null,
		outcome: event.outcome,
		requestId: event.requestId ?? null,
		traceId: event.traceId ?? null,
		data: redact(event.data ?? {}) as Record<string, unknown>,
		prevHash: head.hash,
		keyId: key?.id ?? null,
	}
	return { ...body, hash: await rowHash(body, key?.mac) }
}
