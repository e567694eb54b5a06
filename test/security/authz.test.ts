// The authorization matrix: every /v1 route × every role × own and foreign tenant → allowed
// (anything but 401/403) or 403. The expected permissions are written out here by hand, apart
// from the policies that implement them. Plus: no cross-tenant reads through any list.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROUTE_RULES, SELF_AUTHORISING } from '../../src/gateway/authz'
import { ADMIN_TOKEN, call } from '../helpers'
import { as, key, tenant } from './helpers'

type Role = 'admin' | 'operator' | 'member' | 'viewer'

const SESSION_ALL = [
	'list',
	'read',
	'send',
	'cancel',
	'reset',
	'delete',
	'export',
	'stream',
	'approve',
].map((a) => `sessions:${a}`)
/** Every principal may ask who it is (`GET /v1/me`). */
const EVERYONE = ['me:read']
const ALLOWED: Record<Role, (action: string) => boolean> = {
	admin: (a) =>
		!a.startsWith('tenants:') &&
		!a.startsWith('providers:') &&
		// platform-audit, platform-lanes, platform-metrics: the platform admin's alone.
		!a.startsWith('platform-') &&
		a !== 'secrets:rotate',
	operator: (a) =>
		a.startsWith('agents:') ||
		a.startsWith('schedules:') ||
		a.startsWith('memory:') ||
		SESSION_ALL.includes(a) ||
		[
			'usage:read',
			'metrics:read',
			'alerts:read',
			'provider-health:read',
			'audit:read',
			'audit:verify',
			'audit:checkpoint',
			'keys:list',
			'policies:list',
			'secrets:list',
			'security:read',
			'tools:read',
			'channels:list',
			'channels:read',
			'channels:pair',
		].includes(a),
	member: (a) =>
		[
			'agents:list',
			'agents:read',
			'agents:embed',
			'memory:read',
			'sessions:list',
			'sessions:read',
			'sessions:send',
			'sessions:cancel',
			'sessions:reset',
			'sessions:export',
			'sessions:stream',
			'usage:read',
			'metrics:read',
			'alerts:read',
			'schedules:list',
			'schedules:read',
		].includes(a),
	viewer: (a) =>
		[
			'agents:list',
			'agents:read',
			'memory:read',
			'sessions:list',
			'sessions:read',
			'sessions:export',
			'sessions:stream',
			'usage:read',
			'metrics:read',
			'alerts:read',
			'schedules:list',
			'schedules:read',
		].includes(a),
}

const PARAMS: Record<string, string> = {
	// A tenant that does not exist: the platform admin's PATCH, disable and DELETE of it are 404s,
	// not changes to the tenants the matrix runs in.
	tenantId: 'matrix-none',
	agentId: 'zz-none',
	sessionKey: 'matrix-session',
	runId: 'r1',
	keyId: '0000000000000000',
	policyId: 'nope',
	approvalId: 'a1',
	name: 'MATRIX_NONE',
}

const concrete = (path: string) => path.replace(/\{(\w+)\}/g, (_, p: string) => PARAMS[p] ?? 'x')

function hit(token: string, method: string, path: string, headers: Record<string, string> = {}) {
	const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH'
	return call(concrete(path), {
		method,
		headers: {
			authorization: `Bearer ${token}`,
			...(withBody ? { 'content-type': 'application/json' } : {}),
			...headers,
		},
		...(withBody ? { body: '{}' } : {}),
	})
}

const keys = {} as Record<Role, string>

beforeAll(async () => {
	await tenant('matrix-a')
	await tenant('matrix-b')
	for (const role of ['admin', 'operator', 'member', 'viewer'] as const) {
		keys[role] = (await key('matrix-a', role)).secret
	}
})

describe('authorization matrix', () => {
	it('covers every route the gateway serves', async () => {
		const doc = (await (await call('/openapi.json')).json()) as {
			paths: Record<string, Record<string, unknown>>
		}
		const served = Object.entries(doc.paths)
			.filter(([p]) => p.startsWith('/v1/'))
			.flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
		const ruled = new Set(ROUTE_RULES.map(([m, p]) => `${m} ${p}`))
		// The OpenClaw socket authorises each method itself (test/gateway/openclaw covers it).
		const exempt = new Set(SELF_AUTHORISING)
		expect(served.filter((r) => !ruled.has(r) && !exempt.has(r))).toEqual([])
		expect(served.length).toBeGreaterThanOrEqual(30)
	})

	for (const role of ['admin', 'operator', 'member', 'viewer'] as const) {
		it(`gives a ${role} exactly its permissions in its own tenant`, async () => {
			const wrong: string[] = []
			for (const [method, path, rule] of ROUTE_RULES) {
				const res = await hit(keys[role], method, path)
				await res.body?.cancel()
				const allowed = EVERYONE.includes(rule.action) || ALLOWED[role](rule.action)
				if (res.status === 401 || (allowed ? res.status === 403 : res.status !== 403)) {
					wrong.push(
						`${method} ${path} (${rule.action}) → ${res.status}, expected ${allowed ? 'allowed' : '403'}`,
					)
				}
			}
			expect(wrong).toEqual([])
		})

		it(`denies a ${role} everything in another tenant`, async () => {
			const leaked: string[] = []
			for (const [method, path] of ROUTE_RULES) {
				const res = await hit(keys[role], method, path, { 'x-edgeclaw-tenant': 'matrix-b' })
				await res.body?.cancel()
				if (res.status !== 403) leaked.push(`${method} ${path} → ${res.status}`)
			}
			expect(leaked).toEqual([])
		})
	}

	it('lets the platform admin do everything, in any tenant', async () => {
		for (const [method, path] of ROUTE_RULES) {
			const res = await hit(ADMIN_TOKEN, method, path, { 'x-edgeclaw-tenant': 'matrix-b' })
			await res.body?.cancel()
			expect([401, 403], `${method} ${path}`).not.toContain(res.status)
		}
	})

	it('never shows one tenant the data of another through any list', async () => {
		const b = await key('matrix-b', 'admin')
		await as(b.secret, '/v1/sessions/b-private/messages', {
			method: 'POST',
			json: { content: 'b only', wait: true },
		})
		await as(b.secret, '/v1/policies', {
			method: 'POST',
			json: { id: 'b-policy', effect: 'deny', resources: ['*'], actions: ['agents:delete'] },
		})
		await env.DB.prepare(
			`INSERT INTO agents (tenant_id, id, name, config) VALUES ('matrix-b', 'b-agent', 'b', '{"model":{"primary":"offline:echo"}}')`,
		).run()
		await as(b.secret, '/v1/secrets/B_PRIVATE_KEY', { method: 'PUT', json: { value: 'b-only' } })
		for (const path of [
			'/v1/agents',
			'/v1/sessions',
			'/v1/keys',
			'/v1/policies',
			'/v1/audit',
			'/v1/usage',
			'/v1/secrets',
		]) {
			const text = await (await as(keys.admin, path)).text()
			expect(text, path).not.toMatch(/matrix-b|b-private|b-policy|b-agent|B_PRIVATE_KEY/)
		}
		expect((await as(keys.admin, '/v1/sessions/b-private')).status).toBe(404)
		expect((await as(keys.admin, '/v1/agents/b-agent')).status).toBe(404)
	})
})

describe('tenant policies', () => {
	it('narrow a role (deny wins over the role allow), never the platform admin', async () => {
		await tenant('matrix-c')
		const admin = await key('matrix-c', 'admin')
		const member = await key('matrix-c', 'member')
		const send = (secret: string) =>
			as(secret, '/v1/sessions/pol-1/messages', {
				method: 'POST',
				json: { content: 'hi', wait: true },
			})
		expect((await send(member.secret)).status).toBe(200)
		const created = await as(admin.secret, '/v1/policies', {
			method: 'POST',
			json: {
				id: 'members-read-only',
				effect: 'deny',
				resources: ['tenant:matrix-c/session:*'],
				actions: ['sessions:send'],
				conditions: [{ key: 'subject.role', operator: 'equals', value: 'member' }],
			},
		})
		expect(created.status).toBe(201)
		const denied = await send(member.secret)
		expect(denied.status).toBe(403)
		expect(((await denied.json()) as { policy: string }).policy).toBe('tenant:members-read-only')
		expect((await send(admin.secret)).status).toBe(200)
		// The denial is audited (appended in the background).
		await expect
			.poll(async () => {
				const res = await as(admin.secret, '/v1/audit?action=authz.denied')
				return ((await res.json()) as { entries: { data: { policy?: string } }[] }).entries[0]?.data
					.policy
			})
			.toBe('tenant:members-read-only')
		expect(
			(await as(admin.secret, '/v1/policies/members-read-only', { method: 'DELETE' })).status,
		).toBe(204)
		await expect.poll(async () => (await send(member.secret)).status, { interval: 500 }).toBe(200)
	})
})
