// The audit chain as the gateway keeps it (AuditChain object + D1), attacked as someone who can
// write D1 would: a middle row rewritten with hashes recomputed to the end (with and without the
// key), the tail deleted, rows appended after a deletion, a foreign row in the next seq; and signed
// checkpoints checked offline with the public key (the operator's script), before and after tampering.
import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { AuditChain, CHECKPOINT_EVERY } from '../../durable-objects/audit-chain'
import { appendAudit } from '../../src/db/audit'
import { database } from '../../src/db/client'
import { auditLog } from '../../src/db/schema'
import { createGateway } from '../../src/gateway/app'
import { verifyChain } from '../../src/gateway/routes/audit-log'
import {
	type AuditRow,
	type ChainHead,
	canonicalJson,
	GENESIS_HASH,
	nextRow,
	rowHash,
} from '../../src/security/audit'
import type { Checkpoint } from '../../src/security/audit-checkpoint'
import { auditKeyRing } from '../../src/security/audit-key'
import { ADMIN_TOKEN, call, problem } from '../helpers'
import { tenant } from './helpers'

interface Verification {
	ok: boolean
	rows: number
	brokenAt?: number
	reason?: string
	unkeyedRows: number
	head: { seq: number; hash: string } | null
	keyId: string | null
	warnings: string[]
}

interface CheckResult {
	seq: number
	tenant: string
	ok: boolean
	problem?: string
}

const asAdmin = (tenantId: string, init: RequestInit = {}) => ({
	...init,
	headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-edgeclaw-tenant': tenantId },
})

const verify = async (tenantId: string): Promise<Verification> =>
	(await (await call('/v1/audit/verify', asAdmin(tenantId))).json()) as Verification

async function appendN(tenantId: string, n: number): Promise<AuditRow[]> {
	const rows: AuditRow[] = []
	for (let i = 0; i < n; i++) {
		rows.push(
			await env.AUDIT.getByName(tenantId).append({
				tenantId,
				actor: 'test',
				action: 'thing.done',
				outcome: 'success',
				data: { i },
			}),
		)
	}
	return rows
}

/**
 * A tenant whose chain already holds the admin token's `auth.succeeded` row (appended in the
 * background on its first request, once per isolate), so the rows a test appends land at 2, 3, …
 */
async function fresh(id: string): Promise<void> {
	await tenant(id)
	await (await call('/v1/audit?limit=1', asAdmin(id))).body?.cancel()
	await expect.poll(() => seqsOf(id)).toEqual([1])
}

const seqsOf = async (tenantId: string): Promise<number[]> =>
	(
		await env.DB.prepare('SELECT seq FROM audit_log WHERE tenant_id = ? ORDER BY seq')
			.bind(tenantId)
			.all<{ seq: number }>()
	).results.map((r) => r.seq)

/**
 * Rewrites row `from` (actor → mallory) and recomputes every hash from there to the end, as a D1
 * writer would: plain SHA-256, or — an insider who also holds the audit key — HMAC.
 */
async function rewriteFrom(
	tenantId: string,
	from: number,
	withKey = false,
	to = Number.MAX_SAFE_INTEGER,
): Promise<void> {
	const mac = withKey ? (await auditKeyRing(env)).current : undefined
	const stored = (
		await env.DB.prepare('SELECT * FROM audit_log WHERE tenant_id = ? ORDER BY seq')
			.bind(tenantId)
			.all<Record<string, unknown>>()
	).results
	let prev = from === 1 ? GENESIS_HASH : String(stored[from - 2]?.hash)
	for (const r of stored.slice(from - 1, to)) {
		const body: Omit<AuditRow, 'hash'> = {
			tenantId,
			seq: Number(r.seq),
			ts: Number(r.ts),
			actor: Number(r.seq) === from ? 'mallory' : String(r.actor),
			action: String(r.action),
			target: (r.target as string | null) ?? null,
			outcome: r.outcome as AuditRow['outcome'],
			requestId: (r.request_id as string | null) ?? null,
			data: JSON.parse(String(r.data)),
			prevHash: prev,
			keyId: mac ? mac.id : null,
		}
		const hash = await rowHash(body, mac?.mac)
		await env.DB.prepare(
			'UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ?, key_id = ? WHERE tenant_id = ? AND seq = ?',
		)
			.bind(body.actor, prev, hash, body.keyId, tenantId, body.seq)
			.run()
		prev = hash
	}
}

describe('a keyed chain with its head kept by the AuditChain', () => {
	it('verifies: every row keyed, D1 ending at the kept head', async () => {
		await fresh('ac-ok')
		const rows = await appendN('ac-ok', 5)
		const ring = await auditKeyRing(env)
		expect(rows.map((r) => r.keyId)).toEqual(Array(5).fill(ring.current?.id))
		expect(await verify('ac-ok')).toEqual({
			ok: true,
			rows: 6,
			unkeyedRows: 0,
			head: { seq: 6, hash: rows[4]?.hash },
			keyId: ring.current?.id,
			warnings: [],
		})
		const listed = (await (await call('/v1/audit?limit=1', asAdmin('ac-ok'))).json()) as {
			entries: { seq: number; keyId: string }[]
		}
		expect(listed.entries[0]).toMatchObject({ seq: 6, keyId: ring.current?.id })
	})

	it('finds a middle row rewritten with SHA-256 hashes recomputed to the end, at that row', async () => {
		await fresh('ac-rehash')
		await appendN('ac-rehash', 6)
		await rewriteFrom('ac-rehash', 4)
		expect(await verify('ac-rehash')).toMatchObject({
			ok: false,
			rows: 3,
			brokenAt: 4,
			reason: expect.stringContaining('plain SHA-256'),
		})
	})

	it('catches even a forger holding the key who recomputes HMACs to the end: D1 no longer ends at the kept head', async () => {
		await fresh('ac-insider')
		await appendN('ac-insider', 6)
		await rewriteFrom('ac-insider', 4, true)
		expect(await verify('ac-insider')).toMatchObject({
			ok: false,
			rows: 7,
			brokenAt: 7,
			reason: expect.stringContaining('head kept by the AuditChain'),
		})
	})

	it('names a truncated tail', async () => {
		await fresh('ac-trunc')
		await appendN('ac-trunc', 6)
		await env.DB.prepare("DELETE FROM audit_log WHERE tenant_id = 'ac-trunc' AND seq > 5").run()
		expect(await verify('ac-trunc')).toMatchObject({
			ok: false,
			rows: 5,
			brokenAt: 6,
			reason: 'truncated: expected head seq 7, D1 ends at 5',
		})
	})

	it('never reuses a seq after a tail deletion: the next row continues at head + 1, and verify names the gap', async () => {
		await fresh('ac-reuse')
		await appendN('ac-reuse', 6)
		await env.DB.prepare("DELETE FROM audit_log WHERE tenant_id = 'ac-reuse' AND seq > 5").run()
		const [next] = await appendN('ac-reuse', 1)
		expect(next?.seq).toBe(8)
		expect(await seqsOf('ac-reuse')).toEqual([1, 2, 3, 4, 5, 8])
		expect(await verify('ac-reuse')).toMatchObject({
			ok: false,
			brokenAt: 6,
			reason: 'rows 6–7 are missing',
		})
	})

	it('skips a seq a foreign writer took, keeping its own links; verify names the foreign row', async () => {
		await fresh('ac-foreign')
		await appendN('ac-foreign', 3)
		// A row slipped into D1 at seq 5, correctly linked and hashed — without the key.
		const forged = await appendAudit(database(env.DB), {
			tenantId: 'ac-foreign',
			actor: 'mallory',
			action: 'thing.done',
			outcome: 'success',
		})
		expect(forged.seq).toBe(5)
		const [next] = await appendN('ac-foreign', 1)
		expect(next?.seq).toBe(6)
		expect(await verify('ac-foreign')).toMatchObject({
			ok: false,
			brokenAt: 5,
			reason: expect.stringContaining('plain SHA-256'),
		})
	})

	it('continues a chain written before it kept the head; its plain rows are protected by the keyed row after them', async () => {
		await tenant('ac-legacy')
		for (let i = 0; i < 3; i++) {
			await appendAudit(database(env.DB), {
				tenantId: 'ac-legacy',
				actor: 'old',
				action: 'thing.done',
				outcome: 'success',
				data: { i },
			})
		}
		// Read straight (a request would append the admin token's auth.succeeded meanwhile).
		const before = await verifyChain(env, 'ac-legacy')
		expect(before).toMatchObject({ ok: true, rows: 3, unkeyedRows: 3, head: null })
		expect(before.warnings).toEqual(
			expect.arrayContaining([expect.stringContaining('keeps no head')]),
		)
		const [next] = await appendN('ac-legacy', 1)
		expect(next).toMatchObject({ seq: 4, keyId: (await auditKeyRing(env)).current?.id })
		const after = await verifyChain(env, 'ac-legacy')
		expect(after).toMatchObject({ ok: true, rows: 4, unkeyedRows: 3, head: { seq: 4 } })
		expect(after.warnings).toEqual([expect.stringContaining('3 rows are plain SHA-256')])
		// The plain rows rewritten with SHA-256 recomputed: the keyed row after them no longer links…
		await rewriteFrom('ac-legacy', 2, false, 3)
		expect(await verifyChain(env, 'ac-legacy')).toMatchObject({
			ok: false,
			brokenAt: 4,
			reason: 'prev_hash does not match the row before',
		})
		// … and recomputed through it, it is a plain row where the chain became keyed.
		await rewriteFrom('ac-legacy', 2)
		expect(await verifyChain(env, 'ac-legacy')).toMatchObject({
			ok: false,
			brokenAt: 4,
			reason: expect.stringContaining('plain SHA-256'),
		})
	})

	it('settles a row whose insert answer was lost: never lost, never written twice', async () => {
		await fresh('ac-pending')
		const ring = await auditKeyRing(env)
		const stub = env.AUDIT.getByName('ac-pending')
		const kept = await stub.head()
		const event = (i: number) => ({
			tenantId: 'ac-pending',
			actor: 'test',
			action: 'thing.done',
			outcome: 'success' as const,
			data: { i },
		})
		// The insert landed but its answer did not reach the object.
		const landed = await nextRow(kept as ChainHead, event(1), Date.now(), ring.current)
		await runInDurableObject(stub, (_, state) => state.storage.kv.put('pending', landed))
		await database(env.DB)
			.insert(auditLog)
			.values({ ...landed, ts: new Date(landed.ts) })
		const [second] = await appendN('ac-pending', 1)
		expect(second).toMatchObject({ seq: landed.seq + 1, prevHash: landed.hash })
		// The insert never happened.
		const lost = await nextRow(
			{ seq: second?.seq ?? 0, hash: second?.hash ?? '' },
			event(3),
			Date.now(),
			ring.current,
		)
		await runInDurableObject(stub, (_, state) => state.storage.kv.put('pending', lost))
		const [fourth] = await appendN('ac-pending', 1)
		expect(fourth).toMatchObject({ seq: lost.seq + 1, prevHash: lost.hash })
		expect(await seqsOf('ac-pending')).toEqual([1, 2, 3, 4, 5])
		expect(await verifyChain(env, 'ac-pending')).toMatchObject({ ok: true, rows: 5 })
	})

	it('refuses a row D1 will not take without blocking the chain', async () => {
		await fresh('ac-badrow')
		const stub = env.AUDIT.getByName('ac-badrow')
		const broken = await runInDurableObject(stub, (chain: AuditChain) =>
			chain
				.append({
					tenantId: 'ac-badrow',
					actor: null as unknown as string,
					action: 'thing.done',
					outcome: 'success',
				})
				.then(
					() => 'stored',
					(error: unknown) => String(error),
				),
		)
		expect(broken).toMatch(/^Error: Failed query: insert into "audit_log"/)
		const [next] = await appendN('ac-badrow', 1)
		expect(next?.seq).toBe(2)
		expect(await verifyChain(env, 'ac-badrow')).toMatchObject({ ok: true, rows: 2 })
	})

	it('appends without EDGECLAW_AUDIT_KEY (plain SHA-256, no event lost) and verify says so', async () => {
		await tenant('ac-nokey')
		const noKey = { ...env, EDGECLAW_AUDIT_KEY: '' }
		const stub = env.AUDIT.getByName('ac-nokey')
		const row = await runInDurableObject(stub, (_, state) =>
			new AuditChain(state, noKey).append({
				tenantId: 'ac-nokey',
				actor: 'test',
				action: 'thing.done',
				outcome: 'success',
			}),
		)
		expect(row).toMatchObject({ seq: 1, keyId: null })
		const body = await verifyChain(noKey, 'ac-nokey')
		expect(body).toMatchObject({ ok: true, rows: 1, unkeyedRows: 1, keyId: null, head: { seq: 1 } })
		expect(body.warnings).toEqual(
			expect.arrayContaining([expect.stringContaining('EDGECLAW_AUDIT_KEY is not set')]),
		)
		const sign = await createGateway().request(
			'/v1/audit/checkpoints',
			asAdmin('ac-nokey', { method: 'POST' }),
			noKey,
		)
		expect(sign.status).toBe(409)
		expect(await problem(sign)).toMatchObject({ code: 'conflict', reason: 'no_key' })
		const publicKey = await createGateway().request(
			'/v1/audit/public-key',
			asAdmin('ac-nokey'),
			noKey,
		)
		expect(publicKey.status).toBe(404)
	})
})

/** The operator's offline check (scripts/audit-verify-checkpoint.mjs), plain WebCrypto. */
async function verifyCheckpoints(
	checkpoints: unknown[],
	keys: unknown[],
	entries?: { seq: number; hash: string }[],
): Promise<CheckResult[]> {
	const script = (await import('../../scripts/audit-verify-checkpoint.mjs' as string)) as {
		verifyCheckpoints: typeof verifyCheckpoints
	}
	return script.verifyCheckpoints(checkpoints, keys, entries)
}

describe('signed checkpoints', () => {
	const publicKeys = async () =>
		(
			(await (await call('/v1/audit/public-key', asAdmin('default'))).json()) as {
				keys: JsonWebKey[]
			}
		).keys

	it('sign the head on request; the public key verifies them offline, and not once altered', async () => {
		// A tenant without a row has no chain (its events go to the platform's): nothing to sign.
		const empty = await call('/v1/audit/checkpoints', asAdmin('ac-ghost', { method: 'POST' }))
		expect(empty.status).toBe(409)
		expect(await problem(empty)).toMatchObject({ reason: 'empty' })
		await fresh('ac-cp')
		const rows = await appendN('ac-cp', 3)
		const res = await call('/v1/audit/checkpoints', asAdmin('ac-cp', { method: 'POST' }))
		expect(res.status).toBe(201)
		const checkpoint = (await res.json()) as Checkpoint
		const ring = await auditKeyRing(env)
		expect(checkpoint).toMatchObject({
			type: 'edgeclaw.audit.checkpoint',
			tenant: 'ac-cp',
			seq: 4,
			hash: rows[2]?.hash,
			kid: ring.current?.id,
		})
		const keys = await publicKeys()
		expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: checkpoint.kid })
		expect(JSON.stringify(keys)).not.toContain(env.EDGECLAW_AUDIT_KEY)
		expect(keys[0]).not.toHaveProperty('d')

		// Any Ed25519 verifier: the signature covers the canonical JSON of the other members.
		const { signature, ...signed } = checkpoint
		const publicKey = await crypto.subtle.importKey(
			'jwk',
			keys[0] as JsonWebKey,
			'Ed25519',
			false,
			['verify'],
		)
		const sig = Uint8Array.from(atob(signature.replace(/-/g, '+').replace(/_/g, '/')), (ch) =>
			ch.charCodeAt(0),
		)
		const message = (c: object) => new TextEncoder().encode(canonicalJson(c))
		expect(await crypto.subtle.verify('Ed25519', publicKey, sig, message(signed))).toBe(true)
		expect(
			await crypto.subtle.verify('Ed25519', publicKey, sig, message({ ...signed, seq: 2 })),
		).toBe(false)

		// The operator's script, given the exported checkpoint, the key and a later log export.
		const log = (await (await call('/v1/audit', asAdmin('ac-cp'))).json()) as {
			entries: { seq: number; hash: string }[]
		}
		expect(await verifyCheckpoints([checkpoint], keys, log.entries)).toEqual([
			{ seq: 4, tenant: 'ac-cp', ok: true },
		])
		const altered = await verifyCheckpoints(
			[
				{ ...checkpoint, hash: 'f'.repeat(64) },
				{ ...checkpoint, tenant: 'other' },
			],
			keys,
		)
		expect(altered.map((r) => r.ok)).toEqual([false, false])
		expect(altered[0]?.problem).toContain('signature does not hold')

		// The chain rewritten after the checkpoint (with the key, so verify's HMACs hold): the
		// checkpoint no longer matches the log.
		await rewriteFrom('ac-cp', 4, true)
		const later = (await (await call('/v1/audit', asAdmin('ac-cp'))).json()) as {
			entries: { seq: number; hash: string }[]
		}
		const [rewritten] = await verifyCheckpoints([checkpoint], keys, later.entries)
		expect(rewritten).toMatchObject({ ok: false, problem: expect.stringContaining('rewritten') })

		// Asking again at the same head returns the same checkpoint; both are listed.
		const again = (await (
			await call('/v1/audit/checkpoints', asAdmin('ac-cp', { method: 'POST' }))
		).json()) as Checkpoint
		expect(again).toEqual(checkpoint)
		const listed = (await (await call('/v1/audit/checkpoints', asAdmin('ac-cp'))).json()) as {
			checkpoints: Checkpoint[]
			nextCursor: number | null
		}
		expect(listed).toEqual({ checkpoints: [checkpoint], nextCursor: null })
	})

	it(`are made every ${CHECKPOINT_EVERY} rows by themselves`, async () => {
		await fresh('ac-auto')
		const rows = await appendN('ac-auto', CHECKPOINT_EVERY)
		const listed = (await (await call('/v1/audit/checkpoints', asAdmin('ac-auto'))).json()) as {
			checkpoints: Checkpoint[]
		}
		expect(listed.checkpoints).toEqual([
			expect.objectContaining({ seq: CHECKPOINT_EVERY, hash: rows[CHECKPOINT_EVERY - 2]?.hash }),
		])
		const [result] = await verifyCheckpoints(listed.checkpoints, await publicKeys())
		expect(result?.ok).toBe(true)
	})
})
