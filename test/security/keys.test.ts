// API keys: created with the secret shown once and only a hash stored; used, listed, rotated,
// revoked, expired; malformed and foreign-tenant credentials refused.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseKey } from '../../src/security/keys'
import { problem } from '../helpers'
import { as, key, tenant } from './helpers'

beforeAll(async () => {
	await tenant('acme')
	await tenant('globex')
})

describe('API keys', () => {
	it('are ek_<id>_<secret>, stored as a hash, shown once, and work at once', async () => {
		const k = await key('acme', 'admin')
		expect(parseKey(k.secret)).toEqual({ id: k.id, secret: expect.any(String) })
		const row = await env.DB.prepare('SELECT * FROM api_keys WHERE id = ?')
			.bind(k.id)
			.first<Record<string, unknown>>()
		expect(row?.secret_hash).toMatch(/^sha256:[0-9a-f]{64}$/)
		expect(JSON.stringify(row)).not.toContain(parseKey(k.secret)?.secret)
		const list = await as(k.secret, '/v1/keys')
		expect(list.status).toBe(200)
		const text = await list.text()
		expect(text).toContain(k.id)
		expect(text).not.toContain(parseKey(k.secret)?.secret as string)
		expect(text).not.toContain('secret_hash')
		const agents = (await (await as(k.secret, '/v1/agents')).json()) as {
			agents: { tenantId: string }[]
		}
		expect(agents.agents.every((a) => a.tenantId === 'acme')).toBe(true)
		// last_used_at is written (coalesced, at most every 5 minutes).
		await expect
			.poll(
				async () =>
					(
						await env.DB.prepare('SELECT last_used_at FROM api_keys WHERE id = ?')
							.bind(k.id)
							.first<{ last_used_at: number | null }>()
					)?.last_used_at,
			)
			.toBeGreaterThan(0)
	})

	it('act only in their own tenant', async () => {
		const k = await key('acme', 'admin')
		const foreign = await as(k.secret, '/v1/agents', { headers: { 'x-edgeclaw-tenant': 'globex' } })
		expect(foreign.status).toBe(403)
		expect((await problem(foreign)).code).toBe('forbidden')
		// Another tenant's resources simply do not exist for it.
		await env.DB.prepare(
			`INSERT INTO agents (tenant_id, id, name, config) VALUES ('globex', 'secret-agent', 'x', '{"model":{"primary":"offline:echo"}}')`,
		).run()
		expect((await as(k.secret, '/v1/agents/secret-agent')).status).toBe(404)
		expect((await as(k.secret, '/v1/tenants')).status).toBe(403)
	})

	it('are refused when revoked, rotated away, expired, malformed or unknown — all 401', async () => {
		const revoked = await key('acme', 'member')
		const admin = await key('acme', 'admin')
		expect((await as(admin.secret, `/v1/keys/${revoked.id}`, { method: 'DELETE' })).status).toBe(
			204,
		)
		expect((await as(revoked.secret, '/v1/agents')).status).toBe(401)
		expect((await as(admin.secret, `/v1/keys/${revoked.id}`, { method: 'DELETE' })).status).toBe(
			404,
		)

		const old = await key('acme', 'viewer', { scopes: ['agents:*'] })
		const rotated = await as(admin.secret, `/v1/keys/${old.id}/rotate`, { method: 'POST' })
		expect(rotated.status).toBe(201)
		const fresh = (await rotated.json()) as {
			key: { id: string; role: string; scopes: string[] }
			secret: string
		}
		expect(fresh.key).toMatchObject({ role: 'viewer', scopes: ['agents:*'] })
		expect((await as(old.secret, '/v1/agents')).status).toBe(401)
		expect((await as(fresh.secret, '/v1/agents')).status).toBe(200)

		const expiring = await key('acme', 'member', { expiresInDays: 1 })
		await env.DB.prepare('UPDATE api_keys SET expires_at = ? WHERE id = ?')
			.bind(Date.now() - 1000, expiring.id)
			.run()
		// A key never used by this isolate is read fresh: expired at once.
		expect((await as(expiring.secret, '/v1/agents')).status).toBe(401)

		const forged = `ek_${admin.id}_${'A'.repeat(43)}`
		for (const bad of [
			forged,
			`ek_${'0'.repeat(16)}_${'B'.repeat(43)}`,
			'ek_short',
			`${admin.secret}x`,
			'Bearer',
		]) {
			const res = await as(bad, '/v1/agents')
			expect(res.status).toBe(401)
			expect((await problem(res)).code).toBe('unauthorized')
		}
	})

	it('are limited to their scopes, within their role', async () => {
		const scoped = await key('acme', 'admin', { scopes: ['agents:read', 'agents:list'] })
		expect((await as(scoped.secret, '/v1/agents')).status).toBe(200)
		const denied = await as(scoped.secret, '/v1/keys')
		expect(denied.status).toBe(403)
		expect(await problem(denied)).toMatchObject({ code: 'forbidden', policy: 'key-scopes' })
	})

	it('reject invalid create bodies with field paths', async () => {
		const admin = await key('acme', 'admin')
		const res = await as(admin.secret, '/v1/keys', {
			method: 'POST',
			json: { name: 'x', role: 'root', scopes: ['bad scope'] },
		})
		expect(res.status).toBe(400)
		const paths = ((await problem(res)).errors as { path: string }[]).map((e) => e.path)
		expect(paths).toEqual(expect.arrayContaining(['role', 'scopes.0']))
	})
})

describe('per-route body limits', () => {
	it('caps small admin bodies well below the global limit', async () => {
		const admin = await key('acme', 'admin')
		const res = await as(admin.secret, '/v1/keys', {
			method: 'POST',
			json: { name: 'x', role: 'viewer', scopes: [], padding: 'p'.repeat(10_000) },
		})
		expect(res.status).toBe(413)
		expect(await problem(res)).toMatchObject({ code: 'payload_too_large', limit: 4_096 })
	})
})
