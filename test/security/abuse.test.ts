// Abuse: brute force against the key check is throttled per client IP; the audit chain shows any
// tampering (update, delete, reorder) at exactly the row; the WebSocket takes its credential from
// a subprotocol, never the URL; the security report names risky configuration.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { appendAudit } from '../../src/db/audit'
import { database } from '../../src/db/client'
import { ADMIN_TOKEN, call, problem } from '../helpers'
import { as, key, tenant } from './helpers'

beforeAll(async () => {
	await tenant('abuse')
})

describe('brute force', () => {
	it('answers 429 long before 100 bad attempts from one IP; good keys elsewhere keep working', async () => {
		const good = await key('abuse', 'member')
		let firstLimited = 0
		for (let i = 1; i <= 100; i++) {
			const res = await call('/v1/agents', {
				headers: {
					authorization: `Bearer ek_${'f'.repeat(16)}_${'x'.repeat(40)}${String(i).padStart(3, '0')}`,
					'cf-connecting-ip': '203.0.113.7',
				},
			})
			if (res.status === 429) {
				firstLimited = i
				expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
				expect((await problem(res)).code).toBe('rate_limited')
				break
			}
			expect(res.status).toBe(401)
		}
		// Limit 10 per 60 s window: the 11th attempt, or at worst the 21st if a window turns over.
		expect(firstLimited).toBeGreaterThan(10)
		expect(firstLimited).toBeLessThanOrEqual(21)
		// The blocked IP stays blocked for the window, even with a good key …
		const blocked = await as(good.secret, '/v1/agents', {
			headers: { 'cf-connecting-ip': '203.0.113.7' },
		})
		expect(blocked.status).toBe(429)
		// … while the same good key from anywhere else works.
		const fine = await as(good.secret, '/v1/agents', {
			headers: { 'cf-connecting-ip': '198.51.100.20' },
		})
		expect(fine.status).toBe(200)
		// Failed attempts are audited (not the tokens).
		const rows = await env.DB.prepare(
			"SELECT data FROM audit_log WHERE action = 'auth.failed'",
		).all<{ data: string }>()
		expect(rows.results.length).toBeGreaterThan(0)
		expect(JSON.stringify(rows.results)).not.toContain('x'.repeat(40))
	})
})

describe('tamper-evident audit log', () => {
	async function chain(tenantId: string, n: number) {
		await tenant(tenantId)
		const db = database(env.DB)
		for (let i = 0; i < n; i++) {
			await appendAudit(db, {
				tenantId,
				actor: 'test',
				action: 'thing.done',
				outcome: 'success',
				data: { i },
			})
		}
	}
	const verify = async (tenantId: string) =>
		(await (
			await call('/v1/audit/verify', {
				headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-edgeclaw-tenant': tenantId },
			})
		).json()) as { ok: boolean; rows: number; brokenAt?: number; reason?: string }

	it('verifies an intact chain', async () => {
		await chain('audit-ok', 5)
		// (The admin token's first request may append its auth.succeeded row meanwhile.)
		expect(await verify('audit-ok')).toMatchObject({ ok: true, rows: expect.any(Number) })
	})

	it('finds an updated row', async () => {
		await chain('audit-upd', 6)
		await env.DB.prepare(
			`UPDATE audit_log SET actor = 'mallory' WHERE tenant_id = 'audit-upd' AND seq = 3`,
		).run()
		expect(await verify('audit-upd')).toMatchObject({ ok: false, brokenAt: 3 })
	})

	it('finds a deleted row', async () => {
		await chain('audit-del', 6)
		await env.DB.prepare(`DELETE FROM audit_log WHERE tenant_id = 'audit-del' AND seq = 4`).run()
		expect(await verify('audit-del')).toMatchObject({ ok: false, brokenAt: 4 })
	})

	it('finds reordered rows', async () => {
		await chain('audit-ord', 6)
		await env.DB.batch([
			env.DB.prepare(`UPDATE audit_log SET seq = 100 WHERE tenant_id = 'audit-ord' AND seq = 2`),
			env.DB.prepare(`UPDATE audit_log SET seq = 2 WHERE tenant_id = 'audit-ord' AND seq = 5`),
			env.DB.prepare(`UPDATE audit_log SET seq = 5 WHERE tenant_id = 'audit-ord' AND seq = 100`),
		])
		expect(await verify('audit-ord')).toMatchObject({ ok: false, brokenAt: 2 })
	})

	it('lists entries newest first with filters and a cursor', async () => {
		await chain('audit-page', 7)
		const get = async (q: string) =>
			(await (
				await call(`/v1/audit?${q}`, {
					headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-edgeclaw-tenant': 'audit-page' },
				})
			).json()) as { entries: { seq: number }[]; nextCursor: number | null }
		const first = await get('limit=3')
		expect(first.entries.map((e) => e.seq)).toEqual([7, 6, 5])
		const second = await get(`limit=3&cursor=${first.nextCursor}`)
		expect(second.entries.map((e) => e.seq)).toEqual([4, 3, 2])
		const last = await get(`limit=3&cursor=${second.nextCursor}`)
		expect(last).toEqual({ entries: [expect.objectContaining({ seq: 1 })], nextCursor: null })
		expect((await get('action=nope')).entries).toEqual([])
		const bad = await call('/v1/audit?limit=0', {
			headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
		})
		expect(bad.status).toBe(400)
	})

	it('records key, agent and policy changes through the chain, with a valid chain', async () => {
		const admin = await key('abuse', 'admin')
		await as(admin.secret, '/v1/agents', {
			method: 'POST',
			json: { id: 'audited', name: 'a', config: { model: { primary: 'offline:echo' } } },
		})
		await as(admin.secret, '/v1/agents/audited', { method: 'DELETE' })
		await as(admin.secret, '/v1/sessions/gone/messages', {
			method: 'POST',
			json: { content: 'x', wait: true },
		})
		await as(admin.secret, '/v1/sessions/gone', { method: 'DELETE' })
		// Successful authentication is appended in the background.
		await expect
			.poll(async () => {
				const page = (await (await as(admin.secret, '/v1/audit')).json()) as {
					entries: { action: string }[]
				}
				return page.entries.map((e) => e.action)
			})
			.toEqual(
				expect.arrayContaining([
					'key.created',
					'auth.succeeded',
					'agent.created',
					'agent.deleted',
					'session.deleted',
				]),
			)
		const res = (await (await as(admin.secret, '/v1/audit')).json()) as {
			entries: { action: string; actor: string }[]
		}
		expect(res.entries.find((e) => e.action === 'agent.deleted')?.actor).toBe(`key:${admin.id}`)
		expect(await verify('abuse')).toMatchObject({ ok: true })
	})
})

describe('WebSocket credentials', () => {
	it('come from the bearer subprotocol; the chosen protocol is echoed, the token never', async () => {
		const member = await key('abuse', 'member')
		await as(member.secret, '/v1/sessions/ws-sec/messages', {
			method: 'POST',
			json: { content: 'hi', wait: true },
		})
		const res = await call('/v1/sessions/ws-sec/ws', {
			headers: {
				upgrade: 'websocket',
				'sec-websocket-protocol': `edgeclaw, bearer.${member.secret}`,
			},
		})
		expect(res.status).toBe(101)
		expect(res.headers.get('sec-websocket-protocol')).toBe('edgeclaw')
		res.webSocket?.accept()
		res.webSocket?.close()
		const inUrl = await call(`/v1/sessions/ws-sec/ws?token=${member.secret}`, {
			headers: { upgrade: 'websocket' },
		})
		expect(inUrl.status).toBe(400)
		expect((await problem(inUrl)).code).toBe('credentials_in_url')
	})
})

describe('security report', () => {
	it('names risky configuration, worst first', async () => {
		await env.DB.prepare(
			`INSERT INTO agents (tenant_id, id, name, config) VALUES ('abuse', 'yolo', 'y', '{"model":{"primary":"offline:echo"},"tools":{"profile":"full"}}')`,
		).run()
		await key('abuse', 'admin')
		const res = await call('/v1/admin/security', {
			headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-edgeclaw-tenant': 'abuse' },
		})
		expect(res.status).toBe(200)
		const body = (await res.json()) as { ok: boolean; findings: { id: string; severity: string }[] }
		const ids = body.findings.map((f) => f.id)
		expect(ids).toContain('agent-full-tools:abuse/yolo')
		expect(ids).toContain('key-pepper-unset')
		expect(ids.some((i) => i.startsWith('admin-key-no-expiry:abuse/'))).toBe(true)
		expect(ids.some((i) => i.startsWith('rate-limit-missing'))).toBe(false)
		expect(body.ok).toBe(true)
		expect(JSON.stringify(body)).not.toContain(ADMIN_TOKEN)
	})
})

describe('rate limits per key and tenant', () => {
	it("applies the tenant's tier: a low-tier tenant is limited at 1,000/min across its keys", {
		timeout: 120_000,
	}, async () => {
		await env.DB.prepare(
			`INSERT INTO tenants (id, name, settings) VALUES ('tier-low', 'low', '{"rateLimitTier":"low"}')`,
		).run()
		await tenant('tier-standard')
		// The counters run in 60 s windows: a window that turns over mid-run can at most double the
		// count before the first 429, never bring it below the limit.
		const run = async (tenantId: string, attempts: number) => {
			const [a, b] = [await key(tenantId, 'viewer'), await key(tenantId, 'viewer')]
			for (let i = 1; i <= attempts; i++) {
				const res = await as((i % 2 ? a : b).secret, '/v1/usage')
				if (res.status === 429) {
					expect(await problem(res)).toMatchObject({ code: 'rate_limited', limit: 'tenant' })
					expect(res.headers.get('retry-after')).toBe('60')
					return i
				}
				await res.body?.cancel()
			}
			return undefined
		}
		const limitedAt = await run('tier-low', 2_010)
		expect(limitedAt).toBeGreaterThan(1_000)
		expect(limitedAt).toBeLessThanOrEqual(2_001)
		expect(await run('tier-standard', 1_010)).toBeUndefined()
	})
})

describe('API reference', () => {
	it('serves a rendered reference of the OpenAPI document at /docs', async () => {
		const res = await call('/docs')
		expect(res.status).toBe(200)
		expect(res.headers.get('content-type')).toContain('text/html')
		expect(await res.text()).toContain('/openapi.json')
	})
})

describe('posture rules', () => {
	it('flag an unset or short admin token, wildcard CORS, disabled limits, missing bindings', async () => {
		const { assessPosture } = await import('../../src/security/posture')
		const ids = (env: Record<string, unknown>) =>
			assessPosture({ env, agents: [], keys: [] }).map((f) => `${f.severity}:${f.id}`)
		expect(ids({})).toEqual(
			expect.arrayContaining([
				'high:admin-token-unset',
				'high:rate-limit-missing:RATE_LIMIT_AUTH_FAIL',
				'high:audit-key-unset',
				'low:key-pepper-unset',
			]),
		)
		const limiter = { limit: async () => ({ success: true }) }
		const base = {
			EDGECLAW_ADMIN_TOKEN: 'x'.repeat(40),
			EDGECLAW_KEY_PEPPER: 'pepper-pepper',
			EDGECLAW_AUDIT_KEY: btoa('k'.repeat(32)),
			RATE_LIMIT_KEY: limiter,
			RATE_LIMIT_TENANT: limiter,
			RATE_LIMIT_IP: limiter,
			RATE_LIMIT_AUTH_FAIL: limiter,
			EDGECLAW_SECRETS_KEY: btoa('s'.repeat(32)),
		}
		expect(ids(base)).toEqual([])
		expect(ids({ ...base, EDGECLAW_ADMIN_TOKEN: 'short' })).toEqual(['high:admin-token-weak'])
		expect(ids({ ...base, EDGECLAW_AUDIT_KEY: 'not a key' })).toEqual(['high:audit-key-invalid'])
		expect(ids({ ...base, EDGECLAW_CORS_ORIGINS: 'https://a.test, *' })).toEqual([
			'medium:cors-wildcard',
		])
		expect(ids({ ...base, EDGECLAW_RATE_LIMITS: 'disabled' })).toEqual([
			'high:rate-limits-disabled',
		])
		expect(ids({ ...base, EDGECLAW_JWT_JWKS_URL: 'https://x.test/certs' })).toEqual([
			'medium:jwt-no-audience',
		])
	})
})
