// The seeded defaults and the tenants API, against the real migrations.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { AgentConfig } from '../../src/agents/config'
import { admin, postJson, problem } from '../helpers'

describe('seeded defaults', () => {
	it('has the default tenant and its agent main on the offline model', async () => {
		const tenant = await env.DB.prepare('SELECT id, name, status FROM tenants WHERE id = ?')
			.bind('default')
			.first()
		expect(tenant).toMatchObject({ id: 'default', status: 'active' })
		const res = await admin('/v1/agents')
		expect(res.status).toBe(200)
		const { agents } = (await res.json()) as { agents: { id: string; config: unknown }[] }
		expect(agents.map((a) => a.id)).toEqual(['main'])
		const config = AgentConfig.parse(agents[0]?.config)
		expect(config.model.primary).toBe('offline:echo')
		expect(config.tools.profile).toBe('minimal')
	})

	it('stores an agent config that satisfies the schema as written', async () => {
		const row = await env.DB.prepare(
			"SELECT config FROM agents WHERE tenant_id = 'default' AND id = 'main'",
		).first<{
			config: string
		}>()
		expect(AgentConfig.safeParse(JSON.parse(row?.config ?? 'null')).success).toBe(true)
	})

	it('reads one agent and 404s an unknown one', async () => {
		const res = await admin('/v1/agents/main')
		expect(res.status).toBe(200)
		expect(((await res.json()) as { name: string }).name).toBe('Main agent')
		const missing = await admin('/v1/agents/ghost')
		expect(missing.status).toBe(404)
		expect((await problem(missing)).code).toBe('not_found')
	})
})

describe('tenants API', () => {
	it('creates, reads and lists a tenant', async () => {
		const created = await postJson('/v1/tenants', { id: 'acme', name: '  Acme Inc  ' })
		expect(created.status).toBe(201)
		expect(await created.json()).toMatchObject({ id: 'acme', name: 'Acme Inc', status: 'active' })
		const read = await admin('/v1/tenants/acme')
		expect(read.status).toBe(200)
		const list = (await (await admin('/v1/tenants')).json()) as { tenants: { id: string }[] }
		expect(list.tenants.map((t) => t.id)).toEqual(['acme', 'default'])
	})

	it('409s a duplicate id and leaves the original untouched', async () => {
		await postJson('/v1/tenants', { id: 'dup', name: 'First' })
		const again = await postJson('/v1/tenants', { id: 'dup', name: 'Second' })
		expect(again.status).toBe(409)
		expect((await problem(again)).code).toBe('conflict')
		const read = (await (await admin('/v1/tenants/dup')).json()) as { name: string }
		expect(read.name).toBe('First')
	})

	it('404s an unknown tenant', async () => {
		const res = await admin('/v1/tenants/nobody')
		expect(res.status).toBe(404)
	})

	it('scopes agents to the tenant named by the request', async () => {
		await postJson('/v1/tenants', { id: 'empty-co', name: 'Empty' })
		const res = await admin('/v1/agents', { headers: { 'x-edgeclaw-tenant': 'empty-co' } })
		expect(res.status).toBe(200)
		expect(((await res.json()) as { agents: unknown[] }).agents).toEqual([])
		const other = await admin('/v1/agents/main', { headers: { 'x-edgeclaw-tenant': 'empty-co' } })
		expect(other.status).toBe(404)
	})
})
