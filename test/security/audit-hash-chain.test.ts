// The audit hash chain on its own (straight to D1, without the AuditChain DO): the hash formulas
// (plain and keyed), one unforked chain per tenant under concurrent appends, tampering found at the
// exact row (also past a page boundary, also when the forger recomputes SHA-256 hashes), key
// derivation and rotation, redaction before hashing, and only seq conflicts retried.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { AuditAppendError, appendAudit, verifyAuditChain } from '../../src/db/audit'
import { database } from '../../src/db/client'
import {
	type AuditEvent,
	type AuditRow,
	canonicalJson,
	GENESIS_HASH,
	rowHash,
} from '../../src/security/audit'
import { type AuditKey, auditKeyRing, deriveAuditKey } from '../../src/security/audit-key'

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
		expect(await verifyAuditChain(db(), t)).toEqual({ ok: true, rows: 2, unkeyedRows: 2 })
	})

	it('keeps ten concurrent appends in one unforked chain, seqs 1..10', async () => {
		await Promise.all(
			Array.from({ length: 10 }, (_, i) => appendAudit(db(), event('audited', { i }))),
		)
		expect(await seqsOf('audited')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
		// A page size that splits the chain proves the walk carries the link across pages.
		expect(await verifyAuditChain(db(), 'audited', { pageSize: 3 })).toEqual({
			ok: true,
			rows: 10,
			unkeyedRows: 10,
		})
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
		expect(await verifyAuditChain(db(), 'redacted')).toEqual({ ok: true, rows: 1, unkeyedRows: 1 })
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
		expect(await verifyAuditChain(db(), 'nobody-here')).toEqual({
			ok: true,
			rows: 0,
			unkeyedRows: 0,
		})
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
		expect(await verifyAuditChain(db(), 'tamper-page', { pageSize: 3 })).toMatchObject({
			ok: false,
			rows: 7,
			brokenAt: 8,
		})
		await env.DB.prepare("DELETE FROM audit_log WHERE tenant_id = 'tamper-page' AND seq = 6").run()
		expect(await verifyAuditChain(db(), 'tamper-page', { pageSize: 3 })).toMatchObject({
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

const keyBytes = (fill: number) => new Uint8Array(32).fill(fill)
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes))

/** Rewrites rows from..to of a chain as a D1 writer without the key would: plain SHA-256. */
async function rehashFrom(tenantId: string, from: number, edit: (row: AuditRow) => AuditRow) {
	const rows = (
		await env.DB.prepare('SELECT * FROM audit_log WHERE tenant_id = ? ORDER BY seq')
			.bind(tenantId)
			.all<Record<string, unknown>>()
	).results
	let prev = from === 1 ? GENESIS_HASH : String(rows[from - 2]?.hash)
	for (const r of rows.slice(from - 1)) {
		const base: AuditRow = {
			tenantId,
			seq: Number(r.seq),
			ts: Number(r.ts),
			actor: String(r.actor),
			action: String(r.action),
			target: (r.target as string | null) ?? null,
			outcome: r.outcome as AuditRow['outcome'],
			requestId: (r.request_id as string | null) ?? null,
			data: JSON.parse(String(r.data)),
			prevHash: prev,
			hash: '',
			keyId: null,
		}
		const row = Number(r.seq) === from ? edit(base) : base
		const { hash: _, ...body } = row
		const hash = await rowHash(body)
		await env.DB.prepare(
			'UPDATE audit_log SET actor = ?, data = ?, prev_hash = ?, hash = ?, key_id = NULL WHERE tenant_id = ? AND seq = ?',
		)
			.bind(row.actor, JSON.stringify(row.data), prev, hash, tenantId, row.seq)
			.run()
		prev = hash
	}
}

describe('audit keys', () => {
	it('derive the same key id from the same secret, a different one from another, never the secret', async () => {
		const a = await deriveAuditKey(keyBytes(1))
		const again = await deriveAuditKey(keyBytes(1))
		const b = await deriveAuditKey(keyBytes(2))
		expect(a.id).toMatch(/^[0-9a-f]{16}$/)
		expect(again.id).toBe(a.id)
		expect(b.id).not.toBe(a.id)
		expect(a.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: a.id, alg: 'EdDSA' })
		expect(again.publicJwk.x).toBe(a.publicJwk.x)
		expect(JSON.stringify(a.publicJwk)).not.toMatch(/"d"/)
		expect(a.signing.extractable).toBe(false)
		expect(a.mac.extractable).toBe(false)
	})

	it('form a ring from EDGECLAW_AUDIT_KEY and _PREVIOUS and report an unusable value', async () => {
		const ring = await auditKeyRing({
			EDGECLAW_AUDIT_KEY: b64(keyBytes(3)),
			EDGECLAW_AUDIT_KEY_PREVIOUS: b64(keyBytes(4)).replace(/=+$/, ''),
		})
		expect(ring.current?.id).toBe((await deriveAuditKey(keyBytes(3))).id)
		expect([...ring.byId.keys()].sort()).toEqual(
			[(await deriveAuditKey(keyBytes(3))).id, (await deriveAuditKey(keyBytes(4))).id].sort(),
		)
		expect(ring.problems).toEqual([])
		const bad = await auditKeyRing({ EDGECLAW_AUDIT_KEY: 'c2hvcnQ=' })
		expect(bad.current).toBeUndefined()
		expect(bad.problems).toEqual([expect.stringContaining('EDGECLAW_AUDIT_KEY')])
		expect((await auditKeyRing({})).current).toBeUndefined()
	})
})

describe('keyed chain', () => {
	let key: AuditKey
	let previous: AuditKey
	const keys = () => new Map([key, previous].map((k) => [k.id, k]))
	beforeAll(async () => {
		key = await deriveAuditKey(keyBytes(7))
		previous = await deriveAuditKey(keyBytes(8))
	})

	it('hashes each row with HMAC-SHA-256 under a key derived from the secret, naming the key id', async () => {
		const t = 'keyed-formula'
		const row = await appendAudit(
			db(),
			{ ...event(t, { b: 1 }), requestId: 'r' },
			1_700_000_000_000,
			key,
		)
		expect(row.keyId).toBe(key.id)
		// The HMAC key is HKDF-SHA-256(secret, salt "edgeclaw audit", info "edgeclaw/audit/row-hmac/v1").
		const master = await crypto.subtle.importKey('raw', keyBytes(7), 'HKDF', false, ['deriveBits'])
		const macBits = await crypto.subtle.deriveBits(
			{
				name: 'HKDF',
				hash: 'SHA-256',
				salt: new TextEncoder().encode('edgeclaw audit'),
				info: new TextEncoder().encode('edgeclaw/audit/row-hmac/v1'),
			},
			master,
			256,
		)
		const mac = await crypto.subtle.importKey(
			'raw',
			macBits,
			{ name: 'HMAC', hash: 'SHA-256' },
			false,
			['sign'],
		)
		const body = {
			tenantId: t,
			seq: 1,
			ts: 1_700_000_000_000,
			actor: 'test',
			action: 'thing.done',
			target: null,
			outcome: 'success',
			requestId: 'r',
			data: { b: 1 },
			keyId: key.id,
		}
		const tag = await crypto.subtle.sign(
			'HMAC',
			mac,
			new TextEncoder().encode(GENESIS_HASH + canonicalJson(body)),
		)
		expect(row.hash).toBe(
			[...new Uint8Array(tag)].map((x) => x.toString(16).padStart(2, '0')).join(''),
		)
		expect(await verifyAuditChain(db(), t, { keys: keys() })).toEqual({
			ok: true,
			rows: 1,
			unkeyedRows: 0,
		})
		// Without the key a keyed row cannot be checked, so it does not pass.
		expect(await verifyAuditChain(db(), t)).toMatchObject({
			ok: false,
			brokenAt: 1,
			reason: expect.stringContaining(key.id),
		})
	})

	it('finds a middle row rewritten with SHA-256 hashes recomputed to the end, at that row', async () => {
		const t = 'keyed-rehash'
		for (let i = 0; i < 6; i++) await appendAudit(db(), event(t, { i }), Date.now(), key)
		expect(await verifyAuditChain(db(), t, { keys: keys() })).toMatchObject({ ok: true, rows: 6 })
		await rehashFrom(t, 3, (r) => ({ ...r, actor: 'mallory' }))
		expect(await verifyAuditChain(db(), t, { keys: keys() })).toMatchObject({
			ok: false,
			rows: 2,
			brokenAt: 3,
			reason: expect.stringContaining('plain SHA-256'),
		})
		// Keeping the key id on the forged rows does not help: their HMAC does not hold.
		await env.DB.prepare('UPDATE audit_log SET key_id = ? WHERE tenant_id = ? AND seq >= 3')
			.bind(key.id, t)
			.run()
		expect(await verifyAuditChain(db(), t, { keys: keys() })).toMatchObject({
			ok: false,
			brokenAt: 3,
			reason: 'hash does not match the row content',
		})
	})

	it('keeps rows written before the key verifying as SHA-256, and rows of the previous key after a rotation', async () => {
		const t = 'keyed-rotation'
		await appendAudit(db(), event(t, { i: 1 }))
		await appendAudit(db(), event(t, { i: 2 }))
		await appendAudit(db(), event(t, { i: 3 }), Date.now(), previous)
		await appendAudit(db(), event(t, { i: 4 }), Date.now(), key)
		expect(await verifyAuditChain(db(), t, { keys: keys() })).toEqual({
			ok: true,
			rows: 4,
			unkeyedRows: 2,
		})
		// Once the previous key is dropped from the ring, its rows no longer verify.
		expect(await verifyAuditChain(db(), t, { keys: new Map([[key.id, key]]) })).toMatchObject({
			ok: false,
			brokenAt: 3,
			reason: expect.stringContaining('EDGECLAW_AUDIT_KEY_PREVIOUS'),
		})
		// A plain row after keyed ones is a forgery, even with a correct SHA-256 hash and link.
		await appendAudit(db(), event(t, { i: 5 }))
		expect(await verifyAuditChain(db(), t, { keys: keys() })).toMatchObject({
			ok: false,
			brokenAt: 5,
			reason: expect.stringContaining('plain SHA-256'),
		})
	})
})
