// The audit hash chain on its own (straight to D1, without the AuditChain DO): the hash formula,
// one unforked chain per tenant under concurrent appends, tampering found at the exact row (also
// past a page boundary), redaction before hashing, and only seq conflicts retried.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { AuditAppendError, appendAudit, verifyAuditChain } from '../src/db/audit'
import { database } from '../src/db/client'
import {
	type AuditEvent,
	type AuditRow,
	canonicalJson,
	GENESIS_HASH,
	rowHash,
} from '../src/security/audit'

const db = () => database(env.DB)

const event = (tenantId: string, data: Record<string, unknown> = {}): AuditEvent => ({
	tenantId,
	actor: 'test',
	action: 'thing.done',
	outcome: 'success',
	data,
})

async function chain(tenantId: string, n: number): Promise<void> {
	for (let i = 0; i < n; i++) await appendAudit(db(), event(tenantId, { i }))
}

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

const seqsOf = async (tenantId: string): Promise<number[]> =>
	(
		await env.DB.prepare('SELECT seq FROM audit_log WHERE tenant_id = ? ORDER BY seq')
			.bind(tenantId)
			.all<{ seq: number }>()
	).results.map((r) => r.seq)

beforeAll(async () => {
	await env.DB.prepare(
		"INSERT OR IGNORE INTO tenants (id, name) VALUES ('audited', 'Audited')",
	).run()
})

describe('appendAudit', () => {
	it('starts at seq 1 on the genesis hash and chains each row to the one before', async () => {
		const t = 'chain-formula'
		const first = await appendAudit(
			db(),
			{ ...event(t, { b: 1, a: 2 }), target: 'agent:x', requestId: 'req-1' },
			1_700_000_000_000,
		)
		expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, target: 'agent:x' })
		expect(GENESIS_HASH).toBe('0'.repeat(64))
		// hash = hex(SHA-256(prev_hash + canonical JSON of the row without hash and prev_hash))
		const body = {
			tenantId: t,
			seq: 1,
			ts: 1_700_000_000_000,
			actor: 'test',
			action: 'thing.done',
			target: 'agent:x',
			outcome: 'success',
			requestId: 'req-1',
			data: { a: 2, b: 1 },
		}
		expect(first.hash).toBe(await sha256Hex(GENESIS_HASH + canonicalJson(body)))
		const second = await appendAudit(db(), event(t))
		expect(second).toMatchObject({ seq: 2, prevHash: first.hash })
		expect(await verifyAuditChain(db(), t)).toEqual({ ok: true, rows: 2 })
	})

	it('keeps ten concurrent appends in one unforked chain, seqs 1..10', async () => {
		await Promise.all(
			Array.from({ length: 10 }, (_, i) => appendAudit(db(), event('audited', { i }))),
		)
		expect(await seqsOf('audited')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
		// A page size that splits the chain proves the walk carries the link across pages.
		expect(await verifyAuditChain(db(), 'audited', 3)).toEqual({ ok: true, rows: 10 })
		const data = await env.DB.prepare(
			"SELECT data FROM audit_log WHERE tenant_id = 'audited'",
		).all<{
			data: string
		}>()
		expect(data.results.map((r) => JSON.parse(r.data).i).sort((a, b) => a - b)).toEqual([
			0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
		])
	})

	it('keeps tenants apart: each has its own seq and genesis', async () => {
		await chain('tenant-a', 3)
		const b = await appendAudit(db(), event('tenant-b'))
		expect(b).toMatchObject({ seq: 1, prevHash: GENESIS_HASH })
		expect(await seqsOf('tenant-a')).toEqual([1, 2, 3])
	})

	it('redacts secrets in event data before hashing and storing', async () => {
		const row = await appendAudit(
			db(),
			event('redacted', {
				token: 'sk-live-abcdefghijklmnop',
				note: 'Bearer abcdefghijklmnopqrstuvwxyz',
				nested: { apiKey: 'hunter2hunter2' },
			}),
		)
		expect(JSON.stringify(row.data)).not.toContain('abcdefghijklmnop')
		expect(JSON.stringify(row.data)).not.toContain('hunter2')
		const stored = await env.DB.prepare(
			"SELECT data FROM audit_log WHERE tenant_id = 'redacted'",
		).first<{ data: string }>()
		expect(stored?.data).not.toContain('abcdefghijklmnop')
		expect(await verifyAuditChain(db(), 'redacted')).toEqual({ ok: true, rows: 1 })
	})

	it('does not retry an error that is not a seq conflict', async () => {
		const broken = { ...event('not-null'), actor: null as unknown as string }
		const error = await appendAudit(db(), broken).catch((e: unknown) => e)
		expect(error).toBeInstanceOf(Error)
		expect(error).not.toBeInstanceOf(AuditAppendError)
		expect(await seqsOf('not-null')).toEqual([])
	})
})

describe('verifyAuditChain', () => {
	it('accepts an empty chain', async () => {
		expect(await verifyAuditChain(db(), 'nobody-here')).toEqual({ ok: true, rows: 0 })
	})

	it('finds a row whose content was changed', async () => {
		await chain('tamper-data', 5)
		await env.DB.prepare(
			`UPDATE audit_log SET data = '{"i":99}' WHERE tenant_id = 'tamper-data' AND seq = 4`,
		).run()
		expect(await verifyAuditChain(db(), 'tamper-data')).toMatchObject({
			ok: false,
			brokenAt: 4,
			reason: expect.stringContaining('hash'),
		})
	})

	it('finds a row edited with a recomputed hash at the next row, whose prev_hash no longer links', async () => {
		const t = 'tamper-rehash'
		const rows: AuditRow[] = []
		for (let i = 0; i < 5; i++) rows.push(await appendAudit(db(), event(t, { i })))
		const { hash: _old, ...body } = rows[2] as AuditRow
		const forged = { ...body, actor: 'mallory' }
		await env.DB.prepare('UPDATE audit_log SET actor = ?, hash = ? WHERE tenant_id = ? AND seq = 3')
			.bind('mallory', await rowHash(forged), t)
			.run()
		expect(await verifyAuditChain(db(), t)).toMatchObject({
			ok: false,
			rows: 3,
			brokenAt: 4,
			reason: expect.stringContaining('prev_hash'),
		})
	})

	it('finds a forged hash on the last row', async () => {
		await chain('tamper-hash', 5)
		await env.DB.prepare(
			`UPDATE audit_log SET hash = '${'f'.repeat(64)}' WHERE tenant_id = 'tamper-hash' AND seq = 5`,
		).run()
		expect(await verifyAuditChain(db(), 'tamper-hash')).toMatchObject({ ok: false, brokenAt: 5 })
	})

	it('finds tampering on a later page and a missing row', async () => {
		await chain('tamper-page', 9)
		await env.DB.prepare(
			"UPDATE audit_log SET actor = 'mallory' WHERE tenant_id = 'tamper-page' AND seq = 8",
		).run()
		expect(await verifyAuditChain(db(), 'tamper-page', 3)).toMatchObject({
			ok: false,
			rows: 7,
			brokenAt: 8,
		})
		await env.DB.prepare("DELETE FROM audit_log WHERE tenant_id = 'tamper-page' AND seq = 6").run()
		expect(await verifyAuditChain(db(), 'tamper-page', 3)).toMatchObject({
			ok: false,
			brokenAt: 6,
			reason: expect.stringContaining('missing'),
		})
	})
})

describe('canonicalJson', () => {
	it('sorts keys at every level, keeps array order, drops undefined members', () => {
		expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null }, u: undefined })).toBe(
			'{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}',
		)
		expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }))
	})
})
