// Tenant administration by the platform admin: PATCH of name and settings (a merge, validated,
// in force at once), and delete (configuration gone, audit log kept, id never reused). A tenant's
// own admin can do none of it.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { admin, call, postJson, problem } from '../helpers'
import { as, key, tenant } from './helpers'

const patch = (tenantId: string, body: unknown) =>
	admin(`/v1/tenants/${tenantId}`, {
		method: 'PATCH',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	})

interface TenantBody {
	id: string
	name: string
	status: string
	settings: Record<string, unknown>
}

interface AuditBody {
	entries: { action: string; target: string | null; actor: string; data: Record<string, unknown> }[]
}

const auditOf = async (tenantId: string): Promise<AuditBody['entries']> => {
	const res = await admin('/v1/audit?limit=500', { headers: { 'x-edgeclaw-tenant': tenantId } })
	expect(res.status).toBe(200)
	return ((await res.json()) as AuditBody).entries
}

beforeAll(async () => {
	await tenant('settings-co')
	await tenant('own-admin')
})

describe('PATCH /v1/tenants/{id}', () => {
	it('changes the name and merges settings; null restores a default; audited with from and to', async () => {
		const first = await patch('settings-co', {
			name: 'Settings Co',
			settings: { maxConcurrentRuns: 4, rateLimitTier: 'high' },
		})
		expect(first.status).toBe(200)
		expect(await first.json()).toMatchObject({
			id: 'settings-co',
			name: 'Settings Co',
			settings: { maxConcurrentRuns: 4, rateLimitTier: 'high' },
		})
		const second = await patch('settings-co', {
			settings: { dailyTokenBudget: 5_000, rateLimitTier: null },
		})
		const body = (await second.json()) as TenantBody
		expect(body.name).toBe('Settings Co')
		expect(body.settings).toEqual({ maxConcurrentRuns: 4, dailyTokenBudget: 5_000 })
		const read = (await (await admin('/v1/tenants/settings-co')).json()) as TenantBody
		expect(read.settings).toEqual(body.settings)
		const updates = (await auditOf('settings-co')).filter((e) => e.action === 'tenant.updated')
		expect(updates).toHaveLength(2)
		expect(updates[0]).toMatchObject({
			actor: 'admin-token',
			target: 'tenant:settings-co',
			data: {
				changed: {
					'settings.dailyTokenBudget': { from: null, to: 5_000 },
					'settings.rateLimitTier': { from: 'high', to: null },
				},
			},
		})
	})

	it('puts a new budget in force at once, without a redeploy', async () => {
		await tenant('budget-co')
		const member = await key('budget-co', 'member')
		const send = () =>
			as(member.secret, '/v1/sessions/b1/messages', {
				method: 'POST',
				json: { content: 'hi', wait: true },
			})
		// The tenant's limits are now cached in this isolate.
		expect((await send()).status).toBe(200)
		expect((await patch('budget-co', { settings: { dailyTokenBudget: 0 } })).status).toBe(200)
		const refused = await send()
		expect(refused.status).toBe(429)
		expect((await problem(refused)).code).toBe('budget_exhausted')
		expect((await patch('budget-co', { settings: { dailyTokenBudget: null } })).status).toBe(200)
		expect((await send()).status).toBe(200)
	})

	it('answers 400 with the field path for invalid settings, unknown keys and empty changes', async () => {
		const cases: [unknown, string, RegExp?][] = [
			[{ settings: { maxConcurrentRuns: 0 } }, 'settings.maxConcurrentRuns'],
			[{ settings: { maxConcurrentRuns: 100_001 } }, 'settings.maxConcurrentRuns'],
			[{ settings: { dailyTokenBudget: 1.5 } }, 'settings.dailyTokenBudget'],
			[{ settings: { dailyTokenBudget: -1 } }, 'settings.dailyTokenBudget'],
			[{ settings: { rateLimitTier: 'turbo' } }, 'settings.rateLimitTier'],
			[{ settings: { bogus: 1 } }, 'settings.bogus', /unknown field/],
			[{ settings: 'fast' }, 'settings'],
			[{ name: '' }, 'name'],
			[{ status: 'disabled' }, 'status', /unknown field/],
			[{}, '(root)', /name or settings/],
		]
		for (const [body, path, message] of cases) {
			const res = await patch('settings-co', body)
			expect(res.status, JSON.stringify(body)).toBe(400)
			const p = await problem(res)
			expect(p.code).toBe('validation_failed')
			const errors = p.errors as { path: string; message: string }[]
			expect(
				errors.some((e) => e.path === path && (!message || message.test(e.message))),
				`${JSON.stringify(body)} → ${JSON.stringify(errors)}`,
			).toBe(true)
		}
		const read = (await (await admin('/v1/tenants/settings-co')).json()) as TenantBody
		expect(read.settings).not.toHaveProperty('bogus')
	})

	it('404s an unknown tenant', async () => {
		const res = await patch('nobody-here', { name: 'x' })
		expect(res.status).toBe(404)
		expect((await problem(res)).code).toBe('not_found')
	})

	it('reads hand-written settings field by field: a bad value falls back to its default alone', async () => {
		await env.DB.prepare(
			`INSERT INTO tenants (id, name, settings) VALUES ('by-hand', 'x', '{"maxConcurrentRuns":"many","rateLimitTier":"low","legacy":true}')`,
		).run()
		const read = (await (await admin('/v1/tenants/by-hand')).json()) as TenantBody
		expect(read.settings).toEqual({ rateLimitTier: 'low' })
	})
})

describe("a tenant's own admin", () => {
	it('gets 403 on every tenant change, its own tenant included, and changes nothing', async () => {
		const own = await key('own-admin', 'admin')
		const attempts: [string, string, unknown?][] = [
			['PATCH', '/v1/tenants/own-admin', { settings: { rateLimitTier: 'high' } }],
			['POST', '/v1/tenants/own-admin/disable'],
			['POST', '/v1/tenants/own-admin/enable'],
			['DELETE', '/v1/tenants/own-admin'],
			['PATCH', '/v1/tenants/settings-co', { name: 'taken over' }],
			['DELETE', '/v1/tenants/settings-co'],
		]
		for (const [method, path, json] of attempts) {
			const res = await as(own.secret, path, { method, ...(json !== undefined && { json }) })
			expect(res.status, `${method} ${path}`).toBe(403)
			expect((await problem(res)).code).toBe('forbidden')
		}
		const read = (await (await admin('/v1/tenants/own-admin')).json()) as TenantBody
		expect(read).toMatchObject({ status: 'active', settings: {} })
		expect((await as(own.secret, '/v1/agents')).status).toBe(200)
	})
})

describe('DELETE /v1/tenants/{id}', () => {
	it('removes the configuration, keeps the audit log for the platform admin, and never reuses the id', async () => {
		await tenant('doomed')
		const owner = await key('doomed', 'admin')
		expect(
			(
				await as(owner.secret, '/v1/policies', {
					method: 'POST',
					json: { id: 'p', effect: 'deny', resources: ['*'], actions: ['agents:delete'] },
				})
			).status,
		).toBe(201)
		expect(
			(
				await as(owner.secret, '/v1/sessions/kept/messages', {
					method: 'POST',
					json: { content: 'hello', wait: true },
				})
			).status,
		).toBe(200)

		const deleted = await admin('/v1/tenants/doomed', { method: 'DELETE' })
		expect(deleted.status).toBe(204)

		expect((await admin('/v1/tenants/doomed')).status).toBe(404)
		expect((await admin('/v1/tenants/doomed', { method: 'DELETE' })).status).toBe(404)
		expect((await patch('doomed', { name: 'back' })).status).toBe(404)
		expect((await admin('/v1/tenants/doomed/disable', { method: 'POST' })).status).toBe(404)
		// Its keys went with it (401: the key no longer exists), and so did every route to its data.
		expect((await as(owner.secret, '/v1/agents')).status).toBe(401)
		const session = await admin('/v1/sessions/kept/messages', {
			headers: { 'x-edgeclaw-tenant': 'doomed' },
		})
		expect(session.status).toBe(404)
		for (const table of [
			'agents',
			'agent_versions',
			'api_keys',
			'policies',
			'sessions',
			'usage_daily',
			'tool_executions',
			'tenant_secrets',
			'channels',
		]) {
			const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`)
				.bind('doomed')
				.first<{ n: number }>()
			expect(row?.n, table).toBe(0)
		}

		const entries = await auditOf('doomed')
		expect(entries[0]).toMatchObject({
			action: 'tenant.deleted',
			actor: 'admin-token',
			target: 'tenant:doomed',
		})
		expect(entries.map((e) => e.action)).toEqual(
			expect.arrayContaining(['key.created', 'policy.created']),
		)
		const verify = (await (
			await admin('/v1/audit/verify', { headers: { 'x-edgeclaw-tenant': 'doomed' } })
		).json()) as { ok: boolean }
		expect(verify.ok).toBe(true)

		const again = await postJson('/v1/tenants', { id: 'doomed', name: 'Doomed again' })
		expect(again.status).toBe(409)
		expect((await problem(again)).detail).toMatch(/deleted tenant/)
	})

	it('refuses the default tenant (disable it instead) and 404s an unknown one', async () => {
		const res = await admin('/v1/tenants/default', { method: 'DELETE' })
		expect(res.status).toBe(409)
		expect((await problem(res)).code).toBe('conflict')
		expect((await admin('/v1/tenants/default')).status).toBe(200)
		expect((await admin('/v1/tenants/never-was', { method: 'DELETE' })).status).toBe(404)
	})
})

describe('OpenAPI', () => {
	it('documents the tenant routes and the settings schema', async () => {
		const doc = (await (await call('/openapi.json')).json()) as {
			paths: Record<string, Record<string, unknown>>
			components: { schemas: Record<string, { properties?: Record<string, unknown> }> }
		}
		expect(Object.keys(doc.paths['/v1/tenants/{tenantId}'] ?? {})).toEqual(
			expect.arrayContaining(['get', 'patch', 'delete']),
		)
		expect(doc.paths['/v1/tenants/{tenantId}/disable']).toHaveProperty('post')
		expect(doc.paths['/v1/tenants/{tenantId}/enable']).toHaveProperty('post')
		expect(doc.components.schemas.Tenant?.properties).toHaveProperty('settings')
		expect(doc.components.schemas.UpdateTenant).toBeDefined()
	})
})
