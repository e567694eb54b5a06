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

describe('privilege escalation through keys', () => {
	const create = (secret: string, body: Record<string, unknown>) =>
		as(secret, '/v1/keys', { method: 'POST', json: { name: 'minted', ...body } })
	const policy = (secret: string, id: string) =>
		as(secret, '/v1/policies', {
			method: 'POST',
			json: { id, effect: 'allow', resources: ['tenant:acme/*'], actions: ['agents:read'] },
		})

	it('a key scoped to keys:create cannot mint an unscoped key (the reported attack)', async () => {
		const scoped = await key('acme', 'admin', { scopes: ['keys:create'] })
		const minted = await create(scoped.secret, { role: 'admin', scopes: [] })
		expect(minted.status).toBe(403)
		expect(await problem(minted)).toMatchObject({
			code: 'privilege_escalation',
			exceeded: 'scopes',
			scopes: [],
			ceiling: ['keys:create'],
		})
		const omitted = await create(scoped.secret, { role: 'admin' })
		expect((await problem(omitted)).code).toBe('privilege_escalation')
		const wider = await create(scoped.secret, { role: 'admin', scopes: ['keys:*', 'policies:*'] })
		expect(await problem(wider)).toMatchObject({
			code: 'privilege_escalation',
			scopes: ['keys:*', 'policies:*'],
		})
		// Within its own scopes it may: and what it made can still not write policies.
		const same = await create(scoped.secret, { role: 'admin', scopes: ['keys:create'] })
		expect(same.status).toBe(201)
		const child = (await same.json()) as { secret: string }
		expect((await policy(child.secret, 'escalated')).status).toBe(403)
		expect((await policy(scoped.secret, 'escalated')).status).toBe(403)
		// The refusals are audited.
		await expect
			.poll(async () => {
				const rows = await env.DB.prepare(
					"SELECT data FROM audit_log WHERE tenant_id = 'acme' AND action = 'key.created' AND outcome = 'deny'",
				).all<{ data: string }>()
				return rows.results.length
			})
			.toBeGreaterThanOrEqual(3)
	})

	it('a key scoped by wildcard grants only what its patterns contain', async () => {
		const scoped = await key('acme', 'admin', { scopes: ['keys:*', 'sessions:*'] })
		expect(
			(await create(scoped.secret, { role: 'member', scopes: ['sessions:read'] })).status,
		).toBe(201)
		expect((await create(scoped.secret, { role: 'member', scopes: ['sessions:*'] })).status).toBe(
			201,
		)
		const star = await create(scoped.secret, { role: 'member', scopes: ['*'] })
		expect(await problem(star)).toMatchObject({ code: 'privilege_escalation', scopes: ['*'] })
		const anyRead = await create(scoped.secret, { role: 'member', scopes: ['*:read'] })
		expect(await problem(anyRead)).toMatchObject({
			code: 'privilege_escalation',
			scopes: ['*:read'],
		})
	})

	it('no key creates a key with a higher role, even where a tenant policy lets it create keys', async () => {
		await tenant('escalate')
		const admin = await key('escalate', 'admin')
		const allow = await as(admin.secret, '/v1/policies', {
			method: 'POST',
			json: {
				id: 'operators-manage-keys',
				effect: 'allow',
				resources: ['tenant:escalate/key:*'],
				actions: ['keys:create', 'keys:rotate'],
				conditions: [{ key: 'subject.role', operator: 'equals', value: 'operator' }],
			},
		})
		expect(allow.status).toBe(201)
		const operator = await key('escalate', 'operator')
		const up = await create(operator.secret, { role: 'admin' })
		expect(up.status).toBe(403)
		expect(await problem(up)).toMatchObject({
			code: 'privilege_escalation',
			exceeded: 'role',
			role: 'admin',
			ceiling: 'operator',
		})
		expect((await create(operator.secret, { role: 'operator' })).status).toBe(201)
		expect((await create(operator.secret, { role: 'viewer' })).status).toBe(201)
		// Rotation hands out a fresh secret for the old key's role: the same ceiling holds.
		const rotateUp = await as(operator.secret, `/v1/keys/${admin.id}/rotate`, { method: 'POST' })
		expect((await problem(rotateUp)).code).toBe('privilege_escalation')
		expect((await as(admin.secret, '/v1/keys')).status).toBe(200)
		const viewer = await key('escalate', 'viewer')
		expect(
			(await as(operator.secret, `/v1/keys/${viewer.id}/rotate`, { method: 'POST' })).status,
		).toBe(201)
	})

	it('no key revokes a key above its own role, even where a tenant policy lets it revoke keys', async () => {
		await tenant('revoke-up')
		const admin = await key('revoke-up', 'admin')
		const allow = await as(admin.secret, '/v1/policies', {
			method: 'POST',
			json: {
				id: 'operators-revoke-keys',
				effect: 'allow',
				resources: ['tenant:revoke-up/key:*'],
				actions: ['keys:revoke'],
				conditions: [{ key: 'subject.role', operator: 'equals', value: 'operator' }],
			},
		})
		expect(allow.status).toBe(201)
		const operator = await key('revoke-up', 'operator')
		const down = await as(operator.secret, `/v1/keys/${admin.id}`, { method: 'DELETE' })
		expect(down.status).toBe(403)
		expect(await problem(down)).toMatchObject({
			code: 'privilege_escalation',
			exceeded: 'role',
			role: 'admin',
			ceiling: 'operator',
		})
		expect((await as(admin.secret, '/v1/keys')).status).toBe(200)
		const member = await key('revoke-up', 'member')
		expect((await as(operator.secret, `/v1/keys/${member.id}`, { method: 'DELETE' })).status).toBe(
			204,
		)
		// The admin revokes any key of its tenant, itself included.
		expect((await as(admin.secret, `/v1/keys/${operator.id}`, { method: 'DELETE' })).status).toBe(
			204,
		)
	})

	it('a scoped key cannot rotate a key wider than itself', async () => {
		const wide = await key('acme', 'admin')
		const rotator = await key('acme', 'admin', { scopes: ['keys:rotate'] })
		const res = await as(rotator.secret, `/v1/keys/${wide.id}/rotate`, { method: 'POST' })
		expect(res.status).toBe(403)
		expect(await problem(res)).toMatchObject({ code: 'privilege_escalation', exceeded: 'scopes' })
		expect((await as(wide.secret, '/v1/keys')).status).toBe(200)
		const narrow = await key('acme', 'member', { scopes: ['keys:rotate'] })
		expect(
			(await as(rotator.secret, `/v1/keys/${narrow.id}/rotate`, { method: 'POST' })).status,
		).toBe(201)
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
