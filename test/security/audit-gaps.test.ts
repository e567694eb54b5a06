// What the audit log records and who reads it: tenant creation in both chains; the platform chain
// (_platform) read and verified by the platform admin and nobody else; OpenClaw policy denials
// stored as `deny`; no chain for a tenant without a row (its events go to the platform chain, and
// a JWT naming such a tenant is refused).
import { env } from 'cloudflare:test'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway/app'
import { verifyChain } from '../../src/gateway/routes/audit-log'
import { connected } from '../gateway/openclaw/wire'
import { ADMIN_TOKEN, call, postJson, problem } from '../helpers'
import { as, key, tenant } from './helpers'

interface Row {
	tenant_id: string
	seq: number
	action: string
	target: string | null
	outcome: string
	data: string
}

const rowsOf = async (tenantId: string, action: string): Promise<Row[]> =>
	(
		await env.DB.prepare(
			'SELECT tenant_id, seq, action, target, outcome, data FROM audit_log WHERE tenant_id = ? AND action = ? ORDER BY seq',
		)
			.bind(tenantId, action)
			.all<Row>()
	).results

const platformAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` }

let tenantAdmin: string

beforeAll(async () => {
	await tenant('gaps')
	tenantAdmin = (await key('gaps', 'admin')).secret
})

describe('tenant creation', () => {
	it("is audited in the new tenant's chain (its first row) and in the platform chain", async () => {
		const res = await postJson('/v1/tenants', { id: 'gaps-new', name: 'New' })
		expect(res.status).toBe(201)
		const own = await rowsOf('gaps-new', 'tenant.created')
		expect(own).toEqual([
			expect.objectContaining({ seq: 1, target: 'tenant:gaps-new', outcome: 'success' }),
		])
		const platform = await rowsOf('_platform', 'tenant.created')
		expect(platform.map((r) => r.target)).toContain('tenant:gaps-new')
		expect(await verifyChain(env, 'gaps-new')).toMatchObject({ ok: true })
		// A second create of the same id is refused and records nothing more.
		expect((await postJson('/v1/tenants', { id: 'gaps-new', name: 'Again' })).status).toBe(409)
		expect(await rowsOf('gaps-new', 'tenant.created')).toHaveLength(1)
	})
})

describe('the platform chain', () => {
	it('is read and verified by the platform admin at /v1/admin/audit', async () => {
		const bad = await call('/v1/agents', {
			headers: {
				authorization: 'Bearer not-a-real-token-at-all',
				'cf-connecting-ip': '203.0.113.77',
			},
		})
		expect(bad.status).toBe(401)
		await expect
			.poll(async () => {
				const res = await call('/v1/admin/audit?action=auth.failed', { headers: platformAdmin })
				const body = (await res.json()) as { entries: { data: { ip?: string } }[] }
				return body.entries.some((e) => e.data.ip === '203.0.113.77')
			})
			.toBe(true)
		const verified = await call('/v1/admin/audit/verify', { headers: platformAdmin })
		expect(verified.status).toBe(200)
		expect(await verified.json()).toMatchObject({ ok: true, head: { seq: expect.any(Number) } })
		const checkpoint = await call('/v1/admin/audit/checkpoints', {
			method: 'POST',
			headers: platformAdmin,
		})
		expect(checkpoint.status).toBe(201)
		expect(await checkpoint.json()).toMatchObject({ tenant: '_platform' })
		const listed = await call('/v1/admin/audit/checkpoints', { headers: platformAdmin })
		expect(((await listed.json()) as { checkpoints: unknown[] }).checkpoints.length).toBe(1)
	})

	it('is closed to everyone else, also through the tenant header', async () => {
		for (const [method, path] of [
			['GET', '/v1/admin/audit'],
			['GET', '/v1/admin/audit/verify'],
			['GET', '/v1/admin/audit/checkpoints'],
			['POST', '/v1/admin/audit/checkpoints'],
		] as const) {
			const res = await as(tenantAdmin, path, { method })
			expect(res.status, `${method} ${path}`).toBe(403)
			expect((await problem(res)).code).toBe('forbidden')
		}
		const viaHeader = await as(tenantAdmin, '/v1/audit', {
			headers: { 'x-edgeclaw-tenant': '_platform' },
		})
		expect(viaHeader.status).toBe(403)
		// Not even the platform admin reaches it as a tenant: `_platform` is no tenant id.
		const asTenant = await call('/v1/audit', {
			headers: { ...platformAdmin, 'x-edgeclaw-tenant': '_platform' },
		})
		expect(asTenant.status).toBe(400)
		const own = (await (await as(tenantAdmin, '/v1/audit?limit=500')).json()) as {
			entries: { action: string }[]
		}
		expect(own.entries.map((e) => e.action)).not.toContain('tenant.created')
	})
})

describe('OpenClaw policy denials', () => {
	it('are stored with outcome deny', async () => {
		const member = (await key('gaps', 'member')).secret
		const wire = await connected(member)
		const denied = await wire.request('sessions.delete', { key: 'agent:main:gaps-s' })
		expect(denied.error).toMatchObject({ code: 'FORBIDDEN' })
		wire.ws.close(1000)
		const fromSocket = async () =>
			(await rowsOf('gaps', 'authz.denied')).filter(
				(r) => JSON.parse(r.data).surface === 'openclaw',
			)
		await expect.poll(async () => (await fromSocket()).length).toBe(1)
		const [row] = await fromSocket()
		expect(row).toMatchObject({ outcome: 'deny' })
		expect(JSON.parse(row?.data ?? '{}')).toMatchObject({
			surface: 'openclaw',
			action: 'sessions:delete',
		})
	})
})

describe('a tenant without a row', () => {
	it('gets no chain: the admin token acting in it is audited in the platform chain', async () => {
		const res = await call('/v1/audit', {
			headers: { ...platformAdmin, 'x-edgeclaw-tenant': 'gaps-ghost' },
		})
		expect(await res.json()).toEqual({ entries: [], nextCursor: null })
		await expect
			.poll(async () =>
				(await rowsOf('_platform', 'auth.succeeded')).some(
					(r) => JSON.parse(r.data).tenant === 'gaps-ghost',
				),
			)
			.toBe(true)
		const ghost = await env.DB.prepare(
			"SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = 'gaps-ghost'",
		).first<{ n: number }>()
		expect(ghost?.n).toBe(0)
		expect(await env.AUDIT.getByName('gaps-ghost').head()).toBeNull()
	})

	it('refuses a JWT whose tenant claim names it; the failure goes to the platform chain', async () => {
		const pair = await generateKeyPair('RS256', { extractable: true })
		const jwks = JSON.stringify({
			keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'g1', alg: 'RS256' }],
		})
		const token = (tenantClaim: string) =>
			new SignJWT({ tenant: tenantClaim, role: 'admin' })
				.setProtectedHeader({ alg: 'RS256', kid: 'g1' })
				.setSubject('someone@gaps.test')
				.setIssuer('https://issuer.gaps.test')
				.setAudience('gaps-aud')
				.setExpirationTime('5m')
				.sign(pair.privateKey)
		const request = async (tenantClaim: string) =>
			createGateway().request(
				'/v1/agents',
				{
					headers: {
						authorization: `Bearer ${await token(tenantClaim)}`,
						'cf-connecting-ip': '203.0.113.78',
					},
				},
				{
					...env,
					EDGECLAW_JWT_JWKS: jwks,
					EDGECLAW_JWT_ISSUER: 'https://issuer.gaps.test',
					EDGECLAW_JWT_AUDIENCE: 'gaps-aud',
				},
			)
		expect((await request('gaps')).status).toBe(200)
		const refused = await request('gaps-phantom')
		expect(refused.status).toBe(401)
		await expect
			.poll(async () =>
				(await rowsOf('_platform', 'auth.failed')).some(
					(r) => JSON.parse(r.data).reason === 'jwt_unknown_tenant',
				),
			)
			.toBe(true)
		const phantom = await env.DB.prepare(
			"SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = 'gaps-phantom'",
		).first<{ n: number }>()
		expect(phantom?.n).toBe(0)
	})
})
