// Disabling a tenant: every credential of it (API keys, JWTs naming it, open OpenClaw sockets) is
// refused at once in this isolate with 403 tenant_disabled, another tenant's keys keep working, the
// platform admin can still act in it, its data is kept, and enabling it restores everything.
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway/app'
import { fakeHost } from '../fakes/openclaw-host'
import { connected, connectParams, openWire, type Wire } from '../gateway/openclaw/wire'
import { admin, problem } from '../helpers'
import { as, key, tenant } from './helpers'

const disable = (id: string) => admin(`/v1/tenants/${id}/disable`, { method: 'POST' })
const enable = (id: string) => admin(`/v1/tenants/${id}/enable`, { method: 'POST' })

const actionsIn = async (tenantId: string): Promise<string[]> => {
	const res = await admin('/v1/audit?limit=500', { headers: { 'x-edgeclaw-tenant': tenantId } })
	return ((await res.json()) as { entries: { action: string }[] }).entries.map((e) => e.action)
}

let a: { id: string; secret: string }
let b: { id: string; secret: string }

beforeAll(async () => {
	await tenant('dis-a')
	await tenant('dis-b')
	a = await key('dis-a', 'admin')
	b = await key('dis-b', 'viewer')
})

describe('disable and enable', () => {
	it("refuses the tenant's key at once (403 tenant_disabled) while another tenant's key works; enable restores it", async () => {
		// Both keys are cached in this isolate before the change.
		expect((await as(a.secret, '/v1/agents')).status).toBe(200)
		expect((await as(b.secret, '/v1/agents')).status).toBe(200)
		const sent = await as(a.secret, '/v1/sessions/kept/messages', {
			method: 'POST',
			json: { content: 'before', wait: true },
		})
		expect(sent.status).toBe(200)

		const disabled = await disable('dis-a')
		expect(disabled.status).toBe(200)
		expect(await disabled.json()).toMatchObject({ id: 'dis-a', status: 'disabled' })

		const refused = await as(a.secret, '/v1/agents')
		expect(refused.status).toBe(403)
		expect(await problem(refused)).toMatchObject({ code: 'tenant_disabled', status: 403 })
		expect((await as(b.secret, '/v1/agents')).status).toBe(200)

		// The platform admin still acts in it (to repair it), and its sessions are kept.
		const history = await admin('/v1/sessions/kept/messages', {
			headers: { 'x-edgeclaw-tenant': 'dis-a' },
		})
		expect(history.status).toBe(200)
		const { messages } = (await history.json()) as { messages: unknown[] }
		expect(messages.length).toBeGreaterThanOrEqual(2)

		const enabled = await enable('dis-a')
		expect(await enabled.json()).toMatchObject({ status: 'active' })
		expect((await as(a.secret, '/v1/sessions/kept/messages')).status).toBe(200)
	})

	it('does not count refusals as failed authentication: no 429 however often the key is tried', async () => {
		await tenant('dis-c')
		const c = await key('dis-c', 'viewer')
		await disable('dis-c')
		for (let i = 0; i < 15; i++) {
			const res = await as(c.secret, '/v1/agents', {
				headers: { 'cf-connecting-ip': '198.51.100.7' },
			})
			expect(res.status, `attempt ${i + 1}`).toBe(403)
			await res.body?.cancel()
		}
		await enable('dis-c')
		expect(
			(await as(c.secret, '/v1/agents', { headers: { 'cf-connecting-ip': '198.51.100.7' } }))
				.status,
		).toBe(200)
	})

	it('audits each change once; repeating it changes nothing', async () => {
		await tenant('dis-d')
		await disable('dis-d')
		await disable('dis-d')
		await enable('dis-d')
		await enable('dis-d')
		const actions = (await actionsIn('dis-d')).filter((x) => x.startsWith('tenant.'))
		expect(actions).toEqual(['tenant.enabled', 'tenant.disabled'])
	})

	it('404s an unknown tenant and is platform-only', async () => {
		expect((await disable('no-such')).status).toBe(404)
		expect((await enable('no-such')).status).toBe(404)
		const self = await as(a.secret, '/v1/tenants/dis-a/disable', { method: 'POST' })
		expect(self.status).toBe(403)
		expect((await problem(self)).code).toBe('forbidden')
	})
})

describe('JWTs naming a disabled tenant', () => {
	const ISSUER = 'https://issuer.disable.test'
	const AUDIENCE = 'edgeclaw'
	let jwtEnv: Env
	let sign: (tenantId: string) => Promise<string>

	beforeAll(async () => {
		const pair = await generateKeyPair('RS256', { extractable: true })
		const jwks = JSON.stringify({
			keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }],
		})
		jwtEnv = {
			...env,
			EDGECLAW_JWT_JWKS: jwks,
			EDGECLAW_JWT_ISSUER: ISSUER,
			EDGECLAW_JWT_AUDIENCE: AUDIENCE,
		} as Env
		sign = (tenantId) =>
			new SignJWT({ tenant: tenantId, role: 'member' })
				.setProtectedHeader({ alg: 'RS256', kid: 'k1' })
				.setSubject(`someone@${tenantId}.test`)
				.setIssuer(ISSUER)
				.setAudience(AUDIENCE)
				.setIssuedAt()
				.setExpirationTime('5m')
				.sign(pair.privateKey)
	})

	it('are refused with 403 tenant_disabled, and accepted again once it is enabled', async () => {
		await tenant('dis-jwt')
		const app = createGateway()
		const token = await sign('dis-jwt')
		const get = () =>
			app.request('/v1/agents', { headers: { authorization: `Bearer ${token}` } }, jwtEnv)
		expect((await get()).status).toBe(200)
		await disable('dis-jwt')
		const refused = await get()
		expect(refused.status).toBe(403)
		expect((await problem(refused)).code).toBe('tenant_disabled')
		await enable('dis-jwt')
		expect((await get()).status).toBe(200)
	})

	it('close an open OpenClaw socket at its next credential re-check', async () => {
		await tenant('dis-jwt-ws')
		const { conn, sent, closes, clock } = fakeHost(jwtEnv, 'd'.repeat(64))
		conn.open({ tenant: 'dis-jwt-ws', requestId: 'r' })
		await conn.receive(
			JSON.stringify({
				type: 'req',
				id: 'c',
				method: 'connect',
				params: connectParams(await sign('dis-jwt-ws')),
			}),
		)
		expect(JSON.parse(sent[1] ?? '{}')).toMatchObject({ id: 'c', ok: true })
		await disable('dis-jwt-ws')
		// Well past any re-check interval (the JWT itself is still valid).
		clock.now += 90_000
		await conn.alarm()
		expect(closes).toEqual([[4001, 'credentials revoked or expired']])
	})
})

describe('OpenClaw sockets of a disabled tenant', () => {
	it('closes a key-authenticated socket with 4001 at its next re-check', async () => {
		await tenant('dis-ws')
		const k = await key('dis-ws', 'member')
		const wire: Wire = await connected(k.secret)
		const status = await wire.request('status')
		const connId = (status.payload?.connection as { id: string } | undefined)?.id ?? ''
		const stub = env.GATEWAY_CONNECTION.get(env.GATEWAY_CONNECTION.idFromString(connId))
		expect((await disable('dis-ws')).status).toBe(200)
		// Pretend the last check was long ago, then let the alarm re-check.
		await runInDurableObject(stub, (_instance, state) => {
			const s = state.storage.kv.get<Record<string, unknown>>('state')
			state.storage.kv.put('state', { ...s, checkedAt: 0 })
		})
		await runDurableObjectAlarm(stub)
		expect((await wire.closed).code).toBe(4001)
		// A new connect with the same key is refused too: as forbidden, not as a wrong token, and
		// without counting toward the IP's failed-authentication limit (it is a valid credential).
		for (let i = 0; i < 12; i++) {
			const wire = await openWire('/v1/gateway', { 'cf-connecting-ip': '203.0.113.77' })
			await wire.next((f) => f.event === 'connect.challenge')
			const hello = await wire.request('connect', connectParams(k.secret))
			expect(hello).toMatchObject({
				ok: false,
				error: { code: 'FORBIDDEN', details: { code: 'TENANT_DISABLED' } },
			})
		}
		expect(await actionsIn('dis-ws')).not.toContain('auth.failed')
	})
})
