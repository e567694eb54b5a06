// GET /v1/me: the principal, how it authenticated and the actions it may perform — for each role,
// the platform admin, a scoped key, a JWT (as a bearer token and behind Cloudflare Access), and
// after a tenant policy narrows a role. Never a secret in the answer.
import { env } from 'cloudflare:test'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway/app'
import { ROUTE_RULES } from '../../src/gateway/authz'
import { ADMIN_TOKEN, call } from '../helpers'
import { as, key, tenant } from '../security/helpers'

interface Me {
	principal: {
		kind: string
		id: string
		role: string
		tenantId: string
		scopes: string[]
		expiresAt?: number
	}
	via: 'token' | 'access'
	allowed: string[]
}

const EVERY_ACTION = [...new Set(ROUTE_RULES.map(([, , rule]) => rule.action))].sort()
const PLATFORM_ONLY = (a: string) =>
	/^(tenants|providers|platform-[a-z]+):/.test(a) || a === 'secrets:rotate'

// Written out by hand, apart from the policies that implement them.
const VIEWER = [
	'agents:list',
	'agents:read',
	'alerts:read',
	'me:read',
	'memory:read',
	'metrics:read',
	'schedules:list',
	'schedules:read',
	'sessions:export',
	'sessions:list',
	'sessions:read',
	'sessions:stream',
	'usage:read',
]
const MEMBER = [
	...VIEWER,
	'agents:embed',
	'sessions:cancel',
	'sessions:reset',
	'sessions:send',
].sort()

async function me(secret: string, headers: Record<string, string> = {}): Promise<Me> {
	const res = await as(secret, '/v1/me', { headers })
	expect(res.status, await res.clone().text()).toBe(200)
	return (await res.json()) as Me
}

beforeAll(async () => {
	await tenant('me-a')
	await tenant('me-b')
})

describe('GET /v1/me', () => {
	it('gives a viewer and a member exactly their actions', async () => {
		const viewer = await key('me-a', 'viewer')
		const body = await me(viewer.secret)
		expect(body.principal).toEqual({
			kind: 'api-key',
			id: viewer.id,
			role: 'viewer',
			tenantId: 'me-a',
			scopes: [],
		})
		expect(body.via).toBe('token')
		expect(body.allowed).toEqual(VIEWER)
		expect(body.allowed).not.toContain('keys:create')
		expect((await me((await key('me-a', 'member')).secret)).allowed).toEqual(MEMBER)
	})

	it('gives an operator its console actions but not key or policy changes', async () => {
		const { allowed } = await me((await key('me-a', 'operator')).secret)
		for (const action of [
			'agents:create',
			'agents:update',
			'sessions:approve',
			'sessions:delete',
			'keys:list',
			'audit:verify',
			'tools:read',
		]) {
			expect(allowed).toContain(action)
		}
		for (const action of ['keys:create', 'keys:revoke', 'policies:create', 'secrets:write']) {
			expect(allowed).not.toContain(action)
		}
	})

	it("gives a tenant admin everything but the platform's actions", async () => {
		const { allowed } = await me((await key('me-a', 'admin')).secret)
		expect(allowed).toEqual(EVERY_ACTION.filter((a) => !PLATFORM_ONLY(a)))
	})

	it('gives the platform admin every action, in the tenant it names', async () => {
		const body = await me(ADMIN_TOKEN, { 'x-edgeclaw-tenant': 'me-b' })
		expect(body.principal).toMatchObject({
			kind: 'platform',
			id: 'admin-token',
			role: 'admin',
			tenantId: 'me-b',
		})
		expect(body.allowed).toEqual(EVERY_ACTION)
	})

	it("limits a scoped key to its scopes (asking who it is needs none), with the key's expiry", async () => {
		const before = Date.now()
		const scoped = await key('me-a', 'operator', {
			scopes: ['sessions:read', 'agents:*'],
			expiresInDays: 1,
		})
		const body = await me(scoped.secret)
		expect(body.principal.scopes).toEqual(['sessions:read', 'agents:*'])
		expect(body.principal.expiresAt).toBeGreaterThanOrEqual(before + 86_400_000)
		expect(body.principal.expiresAt).toBeLessThanOrEqual(Date.now() + 86_400_000)
		expect(body.allowed).toEqual(
			[...EVERY_ACTION.filter((a) => a.startsWith('agents:')), 'me:read', 'sessions:read'].sort(),
		)
		// The scopes bind the routes too: what /v1/me leaves out is refused.
		expect((await as(scoped.secret, '/v1/sessions')).status).toBe(403)
	})

	it('drops an action a tenant policy denies', async () => {
		const admin = await key('me-a', 'admin')
		const member = await key('me-a', 'member')
		expect((await me(member.secret)).allowed).toContain('sessions:send')
		const created = await as(admin.secret, '/v1/policies', {
			method: 'POST',
			json: {
				id: 'me-members-read-only',
				effect: 'deny',
				resources: ['tenant:me-a/session:*'],
				actions: ['sessions:send', 'sessions:reset'],
				conditions: [{ key: 'subject.role', operator: 'equals', value: 'member' }],
			},
		})
		expect(created.status).toBe(201)
		await expect
			.poll(async () => (await me(member.secret)).allowed, { interval: 200 })
			.toEqual(MEMBER.filter((a) => a !== 'sessions:send' && a !== 'sessions:reset'))
		// The admin is not narrowed by a policy about members.
		expect((await me(admin.secret)).allowed).toContain('sessions:send')
	})

	it('never carries a secret', async () => {
		const member = await key('me-a', 'member')
		const text = await (await as(member.secret, '/v1/me')).text()
		expect(text).not.toContain(member.secret)
		expect(text).not.toContain(member.secret.split('_').at(-1))
		const admin = await (
			await call('/v1/me', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
		).text()
		expect(admin).not.toContain(ADMIN_TOKEN)
	})

	it('needs credentials', async () => {
		expect((await call('/v1/me')).status).toBe(401)
	})
})

describe('GET /v1/me with a JWT', () => {
	const ISSUER = 'https://me.cloudflareaccess.com'
	const AUDIENCE = 'me-aud'

	/** A JWT of tenant me-a signed for this test, and an env whose JWKS verifies it. */
	async function signed(role: string, subject: string, exp: number) {
		const pair = await generateKeyPair('RS256', { extractable: true })
		const kid = `k-${subject}`
		const jwks = JSON.stringify({
			keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256' }],
		})
		const jwt = await new SignJWT({ tenant: 'me-a', role })
			.setProtectedHeader({ alg: 'RS256', kid })
			.setSubject(subject)
			.setIssuer(ISSUER)
			.setAudience(AUDIENCE)
			.setExpirationTime(exp)
			.sign(pair.privateKey)
		const jwtEnv = {
			...env,
			EDGECLAW_JWT_JWKS: jwks,
			EDGECLAW_JWT_ISSUER: ISSUER,
			EDGECLAW_JWT_AUDIENCE: AUDIENCE,
		}
		return { jwt, jwtEnv }
	}

	it("says `access` for Cloudflare Access's header and `token` for a bearer JWT", async () => {
		const exp = Math.floor(Date.now() / 1000) + 300
		const { jwt, jwtEnv } = await signed('viewer', 'pat@me.test', exp)
		const app = createGateway()
		const viaAccess = await app.request(
			'/v1/me',
			{ headers: { 'cf-access-jwt-assertion': jwt } },
			jwtEnv,
		)
		expect(viaAccess.status).toBe(200)
		const body = (await viaAccess.json()) as Me
		expect(body).toMatchObject({
			principal: {
				kind: 'jwt',
				id: 'pat@me.test',
				role: 'viewer',
				tenantId: 'me-a',
				expiresAt: exp * 1000,
			},
			via: 'access',
			allowed: VIEWER,
		})
		expect(JSON.stringify(body)).not.toContain(jwt)
		const viaBearer = await app.request(
			'/v1/me',
			{ headers: { authorization: `Bearer ${jwt}` } },
			jwtEnv,
		)
		expect(((await viaBearer.json()) as Me).via).toBe('token')
	})

	it('refuses a change or a socket another site makes with the Access session', async () => {
		const exp = Math.floor(Date.now() / 1000) + 300
		const { jwt, jwtEnv } = await signed('member', 'sam@me.test', exp)
		const app = createGateway()
		const send = async (path: string, init: RequestInit, access = true) => {
			const headers = new Headers(init.headers)
			if (access) headers.set('cf-access-jwt-assertion', jwt)
			else headers.set('authorization', `Bearer ${jwt}`)
			const res = await app.request(`https://gw.example${path}`, { ...init, headers }, jwtEnv)
			return { status: res.status, text: await res.text() }
		}
		const crossSite = /another site/
		const reset = { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }
		const from = (h: Record<string, string>) => ({ ...reset, headers: { ...reset.headers, ...h } })
		// Another site's page: refused, by Sec-Fetch-Site or, without it, by Origin.
		const elsewhere: Record<string, string>[] = [
			{ 'sec-fetch-site': 'cross-site' },
			{ 'sec-fetch-site': 'same-site' },
			{ origin: 'https://evil.example' },
		]
		for (const h of elsewhere) {
			const res = await send('/v1/sessions/cs-1/reset', from(h))
			expect(res.status, JSON.stringify(h)).toBe(403)
			expect(res.text).toMatch(crossSite)
		}
		const socket = await send('/v1/sessions/cs-1/ws', {
			headers: { upgrade: 'websocket', origin: 'https://evil.example' },
		})
		expect(socket.status).toBe(403)
		expect(socket.text).toMatch(crossSite)
		// This origin, a client that is not a browser, a read, or a bearer token: not this rule's.
		for (const [path, init, access] of [
			['/v1/sessions/cs-1/reset', from({ 'sec-fetch-site': 'same-origin' }), true],
			['/v1/sessions/cs-1/reset', from({ origin: 'https://gw.example' }), true],
			['/v1/sessions/cs-1/reset', reset, true],
			['/v1/me', { headers: { 'sec-fetch-site': 'cross-site' } }, true],
			['/v1/sessions/cs-1/reset', from({ 'sec-fetch-site': 'cross-site' }), false],
		] as const) {
			const res = await send(path, init, access)
			expect(res.text, `${path} ${JSON.stringify(init)}`).not.toMatch(crossSite)
		}
	})
})
