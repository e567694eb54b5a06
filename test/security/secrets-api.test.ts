// The tenant secrets API: write-only (no route returns a value), names checked, roles enforced,
// every change audited by name, values sealed in D1, the store closed without a data key, and the
// platform admin's key rotation.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { database } from '../../src/db/client'
import { credentialsFromEnv } from '../../src/db/credentials'
import { putSealedSecret } from '../../src/db/secrets'
import { createGateway } from '../../src/gateway/app'
import { importSecretsKey } from '../../src/security/secrets'
import { ADMIN_TOKEN, call, problem } from '../helpers'
import { as, key, tenant } from './helpers'

const VALUE = 'sk-ant-api03-tenant-own-value-0123456789'
let admin: string
let operator: string
let member: string

beforeAll(async () => {
	await tenant('vault')
	await tenant('vault-b')
	admin = (await key('vault', 'admin')).secret
	operator = (await key('vault', 'operator')).secret
	member = (await key('vault', 'member')).secret
})

const put = (token: string, name: string, body: unknown, headers: Record<string, string> = {}) =>
	as(token, `/v1/secrets/${name}`, { method: 'PUT', json: body, headers })

describe('PUT, GET, DELETE /v1/secrets', () => {
	it('stores a value (201, then 200), lists names and never returns the value', async () => {
		const created = await put(admin, 'ANTHROPIC_API_KEY', { value: VALUE })
		expect(created.status).toBe(201)
		expect(created.headers.get('location')).toBe('/v1/secrets/ANTHROPIC_API_KEY')
		const body = (await created.json()) as Record<string, unknown>
		expect(body).toMatchObject({
			name: 'ANTHROPIC_API_KEY',
			updatedBy: expect.stringMatching(/^key:/),
		})
		expect(body.keyId).toMatch(/^[0-9a-f]{16}$/)
		expect(JSON.stringify(body)).not.toContain(VALUE)
		const replaced = await put(admin, 'ANTHROPIC_API_KEY', { value: `${VALUE}-2` })
		expect(replaced.status).toBe(200)
		const listed = await as(operator, '/v1/secrets')
		expect(listed.status).toBe(200)
		const text = await listed.text()
		expect(text).not.toContain(VALUE)
		expect(JSON.parse(text).secrets).toEqual([
			{
				name: 'ANTHROPIC_API_KEY',
				keyId: body.keyId,
				createdAt: expect.any(String),
				updatedAt: expect.any(String),
				updatedBy: body.updatedBy,
			},
		])
	})

	it('keeps the value sealed in D1, bound to the tenant', async () => {
		await put(admin, 'SEALED_CHECK', { value: VALUE })
		const row = await env.DB.prepare(
			"SELECT * FROM tenant_secrets WHERE tenant_id = 'vault' AND name = 'SEALED_CHECK'",
		).first<Record<string, string>>()
		expect(JSON.stringify(row)).not.toContain(VALUE)
		const current = (await importSecretsKey(env.EDGECLAW_SECRETS_KEY)) as { id: string }
		expect(row?.key_id).toBe(current.id)
		const credentials = credentialsFromEnv(env)
		expect(
			await credentials.resolve({
				tenantId: 'vault',
				name: 'SEALED_CHECK',
				officialFor: undefined,
			}),
		).toEqual({ ok: true, value: VALUE, owner: 'tenant' })
		// The same row copied to another tenant does not open there.
		await env.DB.prepare(
			"INSERT INTO tenant_secrets (tenant_id, name, key_id, iv, ciphertext, updated_by) SELECT 'vault-b', name, key_id, iv, ciphertext, updated_by FROM tenant_secrets WHERE tenant_id = 'vault' AND name = 'SEALED_CHECK'",
		).run()
		expect(
			await credentials.resolve({
				tenantId: 'vault-b',
				name: 'SEALED_CHECK',
				officialFor: undefined,
			}),
		).toMatchObject({ ok: false, reason: 'unreadable' })
	})

	it('refuses reserved and malformed names, empty and oversized values', async () => {
		const reserved = await put(admin, 'EDGECLAW_ADMIN_TOKEN', { value: 'x' })
		expect(reserved.status).toBe(400)
		expect(JSON.stringify(await problem(reserved))).toContain('reserved')
		expect((await put(admin, 'lower_case', { value: 'x' })).status).toBe(400)
		expect((await put(admin, 'OK_NAME', { value: '' })).status).toBe(400)
		expect((await put(admin, 'OK_NAME', { value: 'x'.repeat(8_193) })).status).toBe(400)
		expect((await put(admin, 'OK_NAME', { value: 'é'.repeat(4_097) })).status).toBe(400)
		expect((await put(admin, 'OK_NAME', { value: 42 })).status).toBe(400)
		expect((await put(admin, 'OK_NAME', { value: 'x', extra: 1 })).status).toBe(400)
		expect((await put(admin, 'OK_NAME', { value: 'x'.repeat(8_192) })).status).toBe(201)
	})

	it('lets only an admin write or delete, an operator list, a member nothing', async () => {
		expect((await put(operator, 'BY_OPERATOR', { value: 'x' })).status).toBe(403)
		expect((await as(operator, '/v1/secrets/ANTHROPIC_API_KEY', { method: 'DELETE' })).status).toBe(
			403,
		)
		expect((await as(member, '/v1/secrets')).status).toBe(403)
		expect((await put(member, 'BY_MEMBER', { value: 'x' })).status).toBe(403)
		// Another tenant's key sees nothing of this one.
		const other = (await key('vault-b', 'admin')).secret
		expect((await as(other, '/v1/secrets')).status).toBe(200)
		expect(await (await as(other, '/v1/secrets')).text()).not.toContain('ANTHROPIC_API_KEY')
		expect(
			(await as(other, '/v1/secrets', { headers: { 'x-edgeclaw-tenant': 'vault' } })).status,
		).toBe(403)
	})

	it('lets the platform admin act in a tenant by header; 404 for a tenant that does not exist', async () => {
		const res = await call('/v1/secrets/PLATFORM_SET', {
			method: 'PUT',
			headers: {
				authorization: `Bearer ${ADMIN_TOKEN}`,
				'content-type': 'application/json',
				'x-edgeclaw-tenant': 'vault',
			},
			body: JSON.stringify({ value: 'from-the-platform' }),
		})
		expect(res.status).toBe(201)
		expect(((await res.json()) as { updatedBy: string }).updatedBy).toBe('admin-token')
		const missing = await call('/v1/secrets/X_KEY', {
			method: 'PUT',
			headers: {
				authorization: `Bearer ${ADMIN_TOKEN}`,
				'content-type': 'application/json',
				'x-edgeclaw-tenant': 'no-such-tenant',
			},
			body: JSON.stringify({ value: 'v' }),
		})
		expect(missing.status).toBe(404)
	})

	it('deletes (204, then 404) and the value is gone at once in this isolate', async () => {
		await put(admin, 'SHORT_LIVED', { value: 'temporary-value' })
		const credentials = credentialsFromEnv(env)
		const ask = () =>
			credentials.resolve({ tenantId: 'vault', name: 'SHORT_LIVED', officialFor: undefined })
		expect(await ask()).toMatchObject({ ok: true, value: 'temporary-value' })
		await put(admin, 'SHORT_LIVED', { value: 'temporary-value-2' })
		expect(await ask()).toMatchObject({ ok: true, value: 'temporary-value-2' })
		expect((await as(admin, '/v1/secrets/SHORT_LIVED', { method: 'DELETE' })).status).toBe(204)
		expect(await ask()).toMatchObject({ ok: false, reason: 'not_found' })
		const again = await as(admin, '/v1/secrets/SHORT_LIVED', { method: 'DELETE' })
		expect(again.status).toBe(404)
		expect((await problem(again)).code).toBe('not_found')
	})

	it('audits every change by name, never the value', async () => {
		await put(admin, 'AUDITED_KEY', { value: 'audited-value-123456' })
		await put(admin, 'AUDITED_KEY', { value: 'audited-value-654321' })
		await as(admin, '/v1/secrets/AUDITED_KEY', { method: 'DELETE' })
		const rows = await env.DB.prepare(
			"SELECT action, data FROM audit_log WHERE tenant_id = 'vault' AND target = 'secret:AUDITED_KEY' ORDER BY seq",
		).all<{ action: string; data: string }>()
		expect(rows.results.map((r) => r.action)).toEqual([
			'secret.created',
			'secret.replaced',
			'secret.deleted',
		])
		expect(JSON.parse(rows.results[0]?.data ?? '{}')).toMatchObject({ name: 'AUDITED_KEY' })
		expect(JSON.stringify(rows.results)).not.toContain('audited-value')
	})
})

describe('the write itself', () => {
	it('fails on a foreign key for a tenant that is gone (the route turns it into 404)', async () => {
		const sealed = { keyId: 'k', iv: 'aXY=', ciphertext: 'Yw==' }
		const error = await putSealedSecret(
			database(env.DB),
			{ tenantId: 'ghost', name: 'X' },
			sealed,
			'a',
		).catch((e: unknown) => e)
		expect(`${String(error)} ${String((error as { cause?: unknown }).cause)}`).toMatch(
			/FOREIGN KEY/i,
		)
	})
})

describe('the data key', () => {
	it('without EDGECLAW_SECRETS_KEY the store is closed: 503 secrets_unavailable, never a 500', async () => {
		for (const bad of ['', 'replace-with-32-random-bytes-base64', btoa('short')]) {
			const res = await createGateway().request(
				'/v1/secrets/NO_KEY',
				{
					method: 'PUT',
					headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
					body: JSON.stringify({ value: 'v' }),
				},
				{ ...env, EDGECLAW_SECRETS_KEY: bad },
			)
			expect(res.status).toBe(503)
			const body = await problem(res)
			expect(body.code).toBe('secrets_unavailable')
			expect(String(body.detail)).toContain('EDGECLAW_SECRETS_KEY')
		}
	})

	it('rotates: rows under the previous key are re-sealed under the new one, audited', async () => {
		await put(admin, 'ROTATE_ME', { value: 'before-rotation' })
		const fresh = btoa('n'.repeat(32))
		const rotatedEnv = {
			...env,
			EDGECLAW_SECRETS_KEY: fresh,
			EDGECLAW_SECRETS_KEY_PREVIOUS: env.EDGECLAW_SECRETS_KEY,
		}
		const newId = ((await importSecretsKey(fresh)) as { id: string }).id
		// Before rotation the new deployment still reads old rows through the previous key.
		expect(
			await credentialsFromEnv(rotatedEnv).resolve({
				tenantId: 'vault',
				name: 'ROTATE_ME',
				officialFor: undefined,
			}),
		).toMatchObject({ ok: true, value: 'before-rotation' })
		const rotate = (token: string) =>
			createGateway().request(
				'/v1/admin/secrets/rotate',
				{ method: 'POST', headers: { authorization: `Bearer ${token}` } },
				rotatedEnv,
			)
		expect((await rotate(admin)).status).toBe(403)
		const res = await rotate(ADMIN_TOKEN)
		expect(res.status).toBe(200)
		const body = (await res.json()) as {
			keyId: string
			rotated: number
			failed: unknown[]
			more: boolean
		}
		expect(body.keyId).toBe(newId)
		expect(body.rotated).toBeGreaterThan(0)
		expect(body.more).toBe(false)
		// The row copied to another tenant cannot be opened: named, left alone.
		expect(body.failed).toContainEqual({
			tenantId: 'vault-b',
			name: 'SEALED_CHECK',
			reason: 'corrupt',
		})
		const keyIds = await env.DB.prepare(
			"SELECT DISTINCT key_id FROM tenant_secrets WHERE tenant_id = 'vault'",
		).all<{ key_id: string }>()
		expect(keyIds.results.map((r) => r.key_id)).toEqual([newId])
		// Once rotated, the new key alone opens it: the previous key can be dropped.
		const withoutPrevious = { ...env, EDGECLAW_SECRETS_KEY: fresh }
		expect(
			await credentialsFromEnv(withoutPrevious).resolve({
				tenantId: 'vault',
				name: 'ROTATE_ME',
				officialFor: undefined,
			}),
		).toMatchObject({ ok: true, value: 'before-rotation' })
		const audited = await env.DB.prepare(
			"SELECT data FROM audit_log WHERE tenant_id = '_platform' AND action = 'secrets.rotated'",
		).first<{ data: string }>()
		expect(JSON.parse(audited?.data ?? '{}')).toMatchObject({
			keyId: newId,
			failed: 1,
			more: false,
		})
		// Idempotent: nothing left to do.
		expect(((await (await rotate(ADMIN_TOKEN)).json()) as { rotated: number }).rotated).toBe(0)
	})
})
