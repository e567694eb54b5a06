// The agents admin API: create, read, replace (versioned, If-Match), delete, history; validation
// with field paths (unknown provider, missing secret, bad limits, oversized prompt); an audit row
// per change in a valid hash chain; secret values never in a response.
import { env } from 'cloudflare:test'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { verifyChain } from '../../src/gateway/routes/audit-log'
import { ADMIN_TOKEN, admin, call, postJson, problem } from '../helpers'

const put = (path: string, body: unknown, headers: Record<string, string> = {}) =>
	admin(path, {
		method: 'PUT',
		headers: { 'content-type': 'application/json', ...headers },
		body: JSON.stringify(body),
	})

const config = (over: Record<string, unknown> = {}) => ({
	model: { primary: 'offline:echo' },
	...over,
})

const paths = async (res: Response) =>
	((await problem(res)).errors as { path: string }[]).map((e) => e.path)

describe('agents CRUD', () => {
	it('creates, reads, replaces, lists versions and deletes — each change audited', async () => {
		const created = await postJson('/v1/agents', { id: 'crud-1', name: 'One', config: config() })
		expect(created.status).toBe(201)
		expect(created.headers.get('location')).toBe('/v1/agents/crud-1')
		expect(await created.json()).toMatchObject({
			id: 'crud-1',
			version: 1,
			config: { limits: { maxToolSteps: 8 } },
		})

		const listed = (await (await admin('/v1/agents')).json()) as { agents: { id: string }[] }
		expect(listed.agents.map((a) => a.id)).toContain('crud-1')

		const replaced = await put('/v1/agents/crud-1', {
			name: 'One, renamed',
			config: config({ instructions: 'Be terse.' }),
		})
		expect(replaced.status).toBe(200)
		expect(replaced.headers.get('etag')).toBe('"2"')
		expect(await replaced.json()).toMatchObject({ version: 2, name: 'One, renamed' })
		expect(await (await admin('/v1/agents/crud-1')).json()).toMatchObject({
			version: 2,
			config: { instructions: 'Be terse.' },
		})

		const history = (await (await admin('/v1/agents/crud-1/versions')).json()) as {
			versions: { version: number; actor: string }[]
		}
		expect(history.versions.map((v) => v.version)).toEqual([2, 1])
		expect(history.versions[0]?.actor).toBe('admin-token')

		expect((await admin('/v1/agents/crud-1', { method: 'DELETE' })).status).toBe(204)
		expect((await admin('/v1/agents/crud-1')).status).toBe(404)
		expect((await admin('/v1/agents/crud-1', { method: 'DELETE' })).status).toBe(404)
		expect((await admin('/v1/agents/crud-1/versions')).status).toBe(404)

		const rows = await env.DB.prepare(
			"SELECT action, target, data FROM audit_log WHERE tenant_id = 'default' AND target = 'agent:crud-1' ORDER BY seq",
		).all<{ action: string; target: string; data: string }>()
		expect(rows.results.map((r) => r.action)).toEqual([
			'agent.created',
			'agent.updated',
			'agent.deleted',
		])
		const data = rows.results.map((r) => JSON.parse(r.data))
		expect(data[0]).toMatchObject({ version: 1 })
		expect(data[0].changed).toEqual(expect.arrayContaining(['instructions', 'model', 'limits']))
		expect(data[1]).toEqual({ version: 2, changed: ['instructions'] })
		expect(data[2]).toEqual({ version: 2, changed: [] })
		const meta = await env.DB.prepare(
			"SELECT actor, outcome, request_id FROM audit_log WHERE target = 'agent:crud-1'",
		).all<{ actor: string; outcome: string; request_id: string | null }>()
		for (const r of meta.results) {
			expect(r).toMatchObject({ actor: 'admin-token', outcome: 'success' })
			expect(r.request_id).toBeTruthy()
		}
		expect(await verifyChain(env, 'default')).toMatchObject({ ok: true })
	})

	it('answers 409 for a taken id and 412 when If-Match names another version', async () => {
		await postJson('/v1/agents', { id: 'crud-2', name: 'Two', config: config() })
		const again = await postJson('/v1/agents', { id: 'crud-2', name: 'Two', config: config() })
		expect(again.status).toBe(409)
		expect((await problem(again)).code).toBe('conflict')
		const stale = await put(
			'/v1/agents/crud-2',
			{ name: 'x', config: config() },
			{ 'if-match': '"7"' },
		)
		expect(stale.status).toBe(412)
		expect(await problem(stale)).toMatchObject({ code: 'precondition_failed', version: 1 })
		expect(
			(await put('/v1/agents/crud-2', { name: 'x', config: config() }, { 'if-match': 'nope' }))
				.status,
		).toBe(400)
		const ok = await put('/v1/agents/crud-2', { name: 'x', config: config(), expectedVersion: 1 })
		expect(ok.status).toBe(200)
		expect((await put('/v1/agents/nope', { name: 'x', config: config() })).status).toBe(404)
	})

	it('lets exactly one of two concurrent writers with the same If-Match win', async () => {
		await postJson('/v1/agents', { id: 'crud-3', name: 'Three', config: config() })
		const [a, b] = await Promise.all(
			['a', 'b'].map((n) =>
				put('/v1/agents/crud-3', { name: n, config: config() }, { 'if-match': '"1"' }),
			),
		)
		expect([a?.status, b?.status].sort()).toEqual([200, 412])
	})

	it('lets concurrent writers without If-Match all succeed, one version each', async () => {
		await postJson('/v1/agents', { id: 'crud-5', name: 'Five', config: config() })
		const results = await Promise.all(
			['a', 'b', 'c'].map((n) => put('/v1/agents/crud-5', { name: n, config: config() })),
		)
		const versions = await Promise.all(
			results.map(async (r) => ((await r.json()) as { version: number }).version),
		)
		expect(results.map((r) => r.status)).toEqual([200, 200, 200])
		expect(versions.sort()).toEqual([2, 3, 4])
		const history = (await (await admin('/v1/agents/crud-5/versions')).json()) as {
			versions: { version: number }[]
		}
		expect(history.versions.map((v) => v.version)).toEqual([4, 3, 2, 1])
	})

	it('answers 404 when the tenant does not exist', async () => {
		const res = await postJson(
			'/v1/agents',
			{ id: 'orphan', name: 'Orphan', config: config() },
			{ 'x-edgeclaw-tenant': 'no-such-tenant' },
		)
		expect(res.status).toBe(404)
		expect((await problem(res)).code).toBe('not_found')
	})

	it('is described in /openapi.json', async () => {
		const doc = (await (await call('/openapi.json')).json()) as {
			paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
		}
		expect(Object.keys(doc.paths['/v1/agents'] ?? {}).sort()).toEqual(['get', 'post'])
		expect(Object.keys(doc.paths['/v1/agents/{agentId}'] ?? {}).sort()).toEqual([
			'delete',
			'get',
			'put',
		])
		expect(doc.paths['/v1/agents/{agentId}/versions']?.get).toBeDefined()
		expect(doc.paths['/v1/agents/{agentId}']?.put?.responses).toHaveProperty('412')
		expect(doc.paths['/v1/agents']?.post?.responses).toHaveProperty('409')
	})

	it('takes effect for the next turn (the cache is dropped on write)', async () => {
		await postJson('/v1/agents', { id: 'crud-4', name: 'Four', config: config() })
		const send = (content: string) =>
			postJson('/v1/sessions/crud-4/messages', { agent: 'crud-4', content, wait: true })
		expect(((await (await send('hi')).json()) as { output: string }).output).toBe('echo: hi')
		await put('/v1/agents/crud-4', {
			name: 'Four',
			config: config({ tools: { deny: ['time_now'] } }),
		})
		const res = await send('/tool time_now {}')
		expect(((await res.json()) as { output: string }).output).toBe(
			'echo: tool "time_now" is not available',
		)
		// Deleting the agent leaves its lane alone, but the session is unreachable without it.
		expect((await admin('/v1/agents/crud-4', { method: 'DELETE' })).status).toBe(204)
		const gone = await send('hello?')
		expect(gone.status).toBe(404)
		expect((await problem(gone)).detail).toContain('crud-4')
	})
})

describe('invalid agent config', () => {
	it('names the field: unknown provider, negative limits, oversized prompt', async () => {
		const unknown = await postJson('/v1/agents', {
			id: 'bad-1',
			name: 'b',
			config: config({ model: { primary: 'foo:bar' } }),
		})
		expect(unknown.status).toBe(400)
		expect(await paths(unknown)).toContain('config.model.primary')
		const negative = await postJson('/v1/agents', {
			id: 'bad-1',
			name: 'b',
			config: config({ limits: { maxToolSteps: -1 } }),
		})
		expect(await paths(negative)).toContain('config.limits.maxToolSteps')
		const huge = await postJson('/v1/agents', {
			id: 'bad-1',
			name: 'b',
			config: config({ instructions: 'x'.repeat(32_001) }),
		})
		expect(await paths(huge)).toContain('config.instructions')
		const compat = await postJson('/v1/agents', {
			id: 'bad-1',
			name: 'b',
			config: config({ providers: { local: { kind: 'openai-compatible' } } }),
		})
		expect(await paths(compat)).toContain('config.providers.local.baseURL')
		expect((await admin('/v1/agents/bad-1')).status).toBe(404)
	})

	it('refuses a secret the tenant does not have, and a built-in without its key', async () => {
		const missing = await postJson('/v1/agents', {
			id: 'bad-2',
			name: 'b',
			config: config({
				providers: {
					x: {
						kind: 'openai-compatible',
						baseURL: 'https://x.test/v1',
						profiles: [{ id: 'a', secret: 'NOPE_NOT_SET' }],
					},
				},
			}),
		})
		expect(missing.status).toBe(400)
		expect(await paths(missing)).toEqual(['config.providers.x.profiles.0.secret'])
		// A Worker secret the platform does not share is not the tenant's either.
		const unshared = await postJson('/v1/agents', {
			id: 'bad-2',
			name: 'b',
			config: config({
				providers: {
					x: {
						kind: 'openai-compatible',
						baseURL: 'https://x.test/v1',
						profiles: [{ id: 'a', secret: 'TEST_PROVIDER_KEY' }],
					},
				},
			}),
		})
		expect(await paths(unshared)).toEqual(['config.providers.x.profiles.0.secret'])
		const builtin = await postJson('/v1/agents', {
			id: 'bad-2',
			name: 'b',
			config: config({
				model: { primary: 'offline:echo', fallbacks: ['anthropic:claude-sonnet-4-5'] },
			}),
		})
		expect(await paths(builtin)).toEqual(['config.model.fallbacks.0'])
		const lower = await postJson('/v1/agents', {
			id: 'bad-2',
			name: 'b',
			config: config({
				providers: { x: { kind: 'anthropic', profiles: [{ id: 'a', secret: 'lower_case' }] } },
			}),
		})
		expect(await paths(lower)).toContain('config.providers.x.profiles.0.secret')
	})

	it('stores and returns secret names, never their values; audits which names and URLs changed', async () => {
		const value = 'sk-router-tenant-value-0123456789'
		const stored = await admin('/v1/secrets/ROUTER_KEY', {
			method: 'PUT',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ value }),
		})
		expect(stored.status).toBe(201)
		const keyed = (baseURL: string, secret: string) =>
			config({
				model: { primary: 'router:some/model', fallbacks: ['offline:echo'] },
				providers: {
					router: { kind: 'openai-compatible', baseURL, profiles: [{ id: 'a', secret }] },
				},
			})
		const res = await postJson('/v1/agents', {
			id: 'keyed',
			name: 'Keyed',
			config: keyed('https://router.test/v1', 'ROUTER_KEY'),
		})
		expect(res.status).toBe(201)
		const text = await res.text()
		expect(text).toContain('ROUTER_KEY')
		expect(text).not.toContain(value)
		const row = await env.DB.prepare("SELECT config FROM agents WHERE id = 'keyed'").first<{
			config: string
		}>()
		expect(row?.config).not.toContain(value)
		await admin('/v1/secrets/ROUTER_KEY_2', {
			method: 'PUT',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ value: `${value}-2` }),
		})
		const replaced = await admin('/v1/agents/keyed', {
			method: 'PUT',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({
				name: 'Keyed',
				config: keyed('https://other.test/v1', 'ROUTER_KEY_2'),
			}),
		})
		expect(replaced.status).toBe(200)
		const audit = await env.DB.prepare(
			"SELECT action, data FROM audit_log WHERE target = 'agent:keyed' ORDER BY seq",
		).all<{ action: string; data: string }>()
		expect(JSON.stringify(audit.results)).not.toContain(value)
		const [created, updated] = audit.results.map((r) => JSON.parse(r.data))
		expect(created).toMatchObject({
			secretNames: { before: [], after: ['providers.router.profiles.0.secret=ROUTER_KEY'] },
			urls: { before: [], after: ['providers.router.baseURL=https://router.test/v1'] },
		})
		expect(updated).toMatchObject({
			secretNames: {
				before: ['providers.router.profiles.0.secret=ROUTER_KEY'],
				after: ['providers.router.profiles.0.secret=ROUTER_KEY_2'],
			},
			urls: {
				before: ['providers.router.baseURL=https://router.test/v1'],
				after: ['providers.router.baseURL=https://other.test/v1'],
			},
		})
	})

	it('never answers 5xx to arbitrary JSON bodies', async () => {
		await fc.assert(
			fc.asyncProperty(fc.jsonValue(), async (body) => {
				const res = await call('/v1/agents', {
					method: 'POST',
					headers: {
						authorization: `Bearer ${ADMIN_TOKEN}`,
						'content-type': 'application/json',
					},
					body: JSON.stringify(body),
				})
				expect(res.status).toBeLessThan(500)
				await res.body?.cancel()
			}),
			{ numRuns: 100 },
		)
	})
})
