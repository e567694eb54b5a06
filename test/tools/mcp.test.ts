// Remote MCP tools against a real SDK server in-process: discovery, argument validation, results,
// errors, credentials, the SSRF guard and the discovery cache.
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Logger } from '../../src/observability/logger'
import { McpServer as McpServerConfig } from '../../src/tools/config'
import { discoverMcpTools, McpToolCache, type UrlGuard } from '../../src/tools/mcp'
import { type AnyToolSpec, runTool, ToolError } from '../../src/tools/registry'
import { serveMcp } from '../fakes/mcp-server'
import { tenantCredential, toolContext } from '../fakes/tool-context'

function capturingLogger() {
	const lines: Array<Record<string, unknown>> = []
	const push = (line: string) => lines.push(JSON.parse(line))
	return { lines, logger: new Logger({}, { sink: { log: push, warn: push, error: push } }) }
}

const config = (over: Record<string, unknown> = {}) =>
	McpServerConfig.parse({ id: 'docs-srv', url: 'https://mcp.example.com/mcp', ...over })

function demoServer(): McpServer {
	const server = new McpServer({ name: 'demo', version: '1.0.0' })
	server.registerTool(
		'add',
		{ description: 'Adds two numbers.', inputSchema: { a: z.number(), b: z.number() } },
		async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
	)
	server.registerTool('fail', { description: 'Always fails.' }, async () => ({
		content: [{ type: 'text', text: 'the widget is broken' }],
		isError: true,
	}))
	server.registerTool(
		'lookup',
		{
			description: 'Looks a word up.',
			inputSchema: { word: z.string() },
			outputSchema: { word: z.string(), length: z.number() },
			annotations: { readOnlyHint: true },
		},
		async ({ word }) => ({
			content: [
				{ type: 'text', text: JSON.stringify({ word, length: word.length }) },
				{ type: 'image', data: 'AAAA', mimeType: 'image/png' },
			],
			structuredContent: { word, length: word.length },
		}),
	)
	return server
}

/** A low-level server that lists exactly `pages` (nextCursor between them). */
function listingServer(pages: Array<Array<{ name: string; inputSchema?: object }>>): () => Server {
	return () => {
		const server = new Server({ name: 'list', version: '1.0.0' }, { capabilities: { tools: {} } })
		server.setRequestHandler(ListToolsRequestSchema, async (request) => {
			const page = Number(request.params?.cursor ?? 0)
			return {
				tools: (pages[page] ?? []).map((t) => ({
					inputSchema: { type: 'object' as const },
					...t,
				})),
				...(page + 1 < pages.length ? { nextCursor: String(page + 1) } : {}),
			}
		})
		server.setRequestHandler(CallToolRequestSchema, async (request) => ({
			content: [{ type: 'text', text: `called ${request.params.name}` }],
		}))
		return server
	}
}

/** The discovered tool called `name`; fails the test when there is none. */
function named(tools: readonly AnyToolSpec[], name: string): AnyToolSpec {
	const spec = tools.find((t) => t.name === name)
	if (!spec) throw new Error(`no tool ${name} in ${tools.map((t) => t.name).join(', ')}`)
	return spec
}

/** A tenant without secrets. */
const none = { tenantId: 't1', credential: async (name: string) => tenantCredential({}, name) }

const allowAll: UrlGuard = (input) => ({ ok: true, url: new URL(input) })

describe('MCP discovery', () => {
	it('turns remote tools into prefixed, grouped job tools', async () => {
		const remote = serveMcp(demoServer)
		const { logger } = capturingLogger()
		const tools = await discoverMcpTools(config({ timeoutMs: 5_000 }), {
			fetch: remote.fetch,
			...none,
			logger,
		})
		expect(tools.map((t) => t.name)).toEqual(['docs_srv_add', 'docs_srv_fail', 'docs_srv_lookup'])
		const [add, , lookup] = tools
		expect(add).toMatchObject({
			groups: ['group:mcp', 'mcp:docs-srv'],
			sideEffect: 'external',
			placement: 'job',
			timeoutMs: 5_000,
			idempotent: false,
			description: '[MCP server docs-srv] Adds two numbers.',
			inputSchema: { type: 'object', required: ['a', 'b'] },
		})
		expect(lookup?.idempotent).toBe(true)
		// The default guard (src/security/ssrf.ts) admitted the public https URL.
		expect(remote.requests.length).toBeGreaterThan(0)
	})

	it('uses the configured prefix', async () => {
		const remote = serveMcp(demoServer)
		const tools = await discoverMcpTools(config({ prefix: 'kb' }), {
			fetch: remote.fetch,
			...none,
			logger: capturingLogger().logger,
		})
		expect(tools.map((t) => t.name)).toContain('kb_add')
	})

	it('follows pagination and keeps at most 100 tools', async () => {
		const page = (n: number) => Array.from({ length: 40 }, (_, i) => ({ name: `t${n}_${i}` }))
		const remote = serveMcp(listingServer([page(0), page(1), page(2), page(3)]))
		const { lines, logger } = capturingLogger()
		const tools = await discoverMcpTools(config(), {
			fetch: remote.fetch,
			...none,
			logger,
		})
		expect(tools).toHaveLength(100)
		expect(tools.at(-1)?.name).toBe('docs_srv_t2_19')
		const listCalls = remote.requests.filter((r) => r.method === 'POST').length
		expect(listCalls).toBe(2 + 3) // initialize + initialized, then three pages (not the fourth)
		expect(lines.some((l) => l.msg === 'mcp.tools_truncated')).toBe(true)
	})

	it('sanitises names to 64 provider-safe chars and skips those that collide', async () => {
		const remote = serveMcp(
			listingServer([
				[{ name: 'a.b' }, { name: 'a/b' }, { name: 'ok-name' }, { name: 'x'.repeat(80) }],
			]),
		)
		const { lines, logger } = capturingLogger()
		const tools = await discoverMcpTools(config({ prefix: 'p' }), {
			fetch: remote.fetch,
			...none,
			logger,
		})
		expect(tools.map((t) => t.name)).toEqual(['p_a_b', 'p_ok-name', `p_${'x'.repeat(62)}`])
		expect(lines.filter((l) => l.msg === 'mcp.tool_skipped')).toEqual([
			expect.objectContaining({ reason: 'name_collision', tool: 'a/b', name: 'p_a_b' }),
		])
		const outcome = await runTool(named(tools, 'p_a_b'), {}, toolContext({ fetch: remote.fetch }))
		expect(outcome).toEqual({ ok: true, text: 'called a.b' })
	})
})

describe('MCP tool calls', () => {
	async function demoTools() {
		const remote = serveMcp(demoServer)
		const deps = { fetch: remote.fetch, ...none, logger: capturingLogger().logger }
		const tools = await discoverMcpTools(config(), deps)
		const byName = (name: string) => named(tools, `docs_srv_${name}`)
		return { remote, byName, ctx: toolContext({ fetch: remote.fetch }) }
	}

	it('validates arguments with the remote schema and returns the answer', async () => {
		const { byName, ctx } = await demoTools()
		const add = byName('add')
		const bad = await runTool(add, { a: 'one', b: 2 }, ctx)
		expect(bad).toMatchObject({ ok: false, code: 'invalid_args' })
		expect(bad.text).toContain('at a')
		expect(await runTool(add, { b: 2 }, ctx)).toMatchObject({ code: 'invalid_args' })
		expect(await runTool(add, { a: 40, b: 2 }, ctx)).toEqual({ ok: true, text: '42' })
	})

	it('returns structured content as JSON', async () => {
		const { byName, ctx } = await demoTools()
		const outcome = await runTool(byName('lookup'), { word: 'edge' }, ctx)
		expect(outcome).toEqual({ ok: true, text: '{"word":"edge","length":4}' })
	})

	it('reports isError as mcp_tool_error with the server text', async () => {
		const { byName, ctx } = await demoTools()
		expect(await runTool(byName('fail'), {}, ctx)).toEqual({
			ok: false,
			code: 'mcp_tool_error',
			text: 'the widget is broken',
		})
	})

	it('summarises non-text parts when there is no structured content', async () => {
		const remote = serveMcp(() => {
			const server = new McpServer({ name: 'img', version: '1.0.0' })
			server.registerTool('draw', {}, async () => ({
				content: [
					{ type: 'text', text: 'a cat' },
					{ type: 'image', data: 'AAAA', mimeType: 'image/png' },
				],
			}))
			return server
		})
		const tools = await discoverMcpTools(config({ prefix: 'img' }), {
			fetch: remote.fetch,
			...none,
			logger: capturingLogger().logger,
		})
		const outcome = await runTool(
			named(tools, 'img_draw'),
			{},
			toolContext({ fetch: remote.fetch }),
		)
		expect(outcome).toEqual({ ok: true, text: 'a cat\n[image content omitted]' })
	})

	it('falls back to "any object" when the schema cannot be converted', async () => {
		const schema = { type: 'object', properties: { x: { not: { type: 'string' } } } }
		const remote = serveMcp(listingServer([[{ name: 'odd', inputSchema: schema }]]))
		const [odd] = await discoverMcpTools(config(), {
			fetch: remote.fetch,
			...none,
			logger: capturingLogger().logger,
		})
		expect(odd?.inputSchema).toEqual(schema)
		expect(odd?.parameters.safeParse({ x: 'anything' }).success).toBe(true)
		expect(odd?.parameters.safeParse(['not', 'an', 'object']).success).toBe(false)
	})

	it('turns a server that went away into a transient mcp_unavailable', async () => {
		const { byName } = await demoTools()
		const down = toolContext({
			fetch: async () => {
				throw new TypeError('connection refused')
			},
		})
		const add = byName('add')
		const outcome = await runTool(add, { a: 1, b: 2 }, down)
		expect(outcome).toMatchObject({ ok: false, code: 'mcp_unavailable' })
		expect(outcome.text).toContain('connection refused')
		const thrown = await runTool(add, { a: 1, b: 2 }, down, { rethrowTransient: true }).catch(
			(error: unknown) => error,
		)
		expect(thrown).toBeInstanceOf(ToolError)
		expect((thrown as ToolError).transient).toBe(true)
	})
})

describe('MCP credentials', () => {
	it('sends the named secret as a bearer token, on discovery and on calls', async () => {
		const remote = serveMcp(demoServer)
		const credential = async (name: string) => tenantCredential({ DOCS_MCP_TOKEN: 'tok-123' }, name)
		const server = config({ secret: 'DOCS_MCP_TOKEN' })
		const tools = await discoverMcpTools(server, {
			tenantId: 't1',
			fetch: remote.fetch,
			credential,
			logger: capturingLogger().logger,
		})
		expect(tools).toHaveLength(3)
		const add = named(tools, 'docs_srv_add')
		expect(
			await runTool(add, { a: 1, b: 1 }, toolContext({ fetch: remote.fetch, credential })),
		).toEqual({ ok: true, text: '2' })
		expect(remote.requests.length).toBeGreaterThan(4)
		for (const request of remote.requests) {
			expect(request.headers.get('authorization')).toBe('Bearer tok-123')
		}
	})

	it('gives no tools and a warning when the secret is missing', async () => {
		const remote = serveMcp(demoServer)
		const { lines, logger } = capturingLogger()
		const tools = await discoverMcpTools(config({ secret: 'ABSENT_TOKEN' }), {
			fetch: remote.fetch,
			...none,
			logger,
		})
		expect(tools).toEqual([])
		expect(remote.requests).toHaveLength(0)
		expect(lines).toEqual([
			expect.objectContaining({
				level: 'warn',
				msg: 'mcp.server_skipped',
				reason: 'not_found',
				mcpServer: 'docs-srv',
			}),
		])
	})
})

describe('MCP URL guard', () => {
	it('refuses a private server URL with the real SSRF guard, without a request', async () => {
		const remote = serveMcp(demoServer)
		const { lines, logger } = capturingLogger()
		const cache = new McpToolCache()
		const tools = await cache.tools([config({ id: 'private', url: 'https://10.0.0.8/mcp' })], {
			fetch: remote.fetch,
			...none,
			logger,
		})
		expect(tools).toEqual([])
		expect(remote.requests).toHaveLength(0)
		expect(lines).toEqual([
			expect.objectContaining({ msg: 'mcp.server_skipped', reason: 'blocked_address' }),
		])
	})

	it('uses an injected guard for discovery and for later calls', async () => {
		const remote = serveMcp(demoServer)
		let refuse = false
		const guard: UrlGuard = (input) =>
			refuse ? { ok: false, reason: 'test', message: 'refused by test' } : allowAll(input)
		const tools = await discoverMcpTools(config(), {
			fetch: remote.fetch,
			...none,
			logger: capturingLogger().logger,
			checkUrl: guard,
		})
		refuse = true
		const outcome = await runTool(
			named(tools, 'docs_srv_add'),
			{ a: 1, b: 2 },
			toolContext({ fetch: remote.fetch }),
		)
		expect(outcome).toMatchObject({ ok: false, code: 'mcp_unavailable' })
		expect(outcome.text).toContain('refused by test')
	})
})

describe('MCP discovery cache', () => {
	it('reuses a finished discovery within the TTL, and discovers again after it', async () => {
		const remote = serveMcp(demoServer)
		let now = 1_000_000
		const deps = {
			fetch: remote.fetch,
			...none,
			logger: capturingLogger().logger,
			now: () => now,
		}
		const cache = new McpToolCache()
		const servers = [config()]
		const first = await cache.tools(servers, deps)
		const second = await cache.tools(servers, deps)
		expect(first).toHaveLength(3)
		expect(second[0]).toBe(first[0])
		const initializes = () =>
			remote.requests.filter((r) => r.headers.get('mcp-protocol-version') === null).length
		expect(initializes()).toBe(1)
		now += 59_000
		expect((await cache.tools(servers, deps))[0]).toBe(first[0])
		now += 2_000
		expect((await cache.tools(servers, deps))[0]).not.toBe(first[0])
		expect(initializes()).toBe(2)
	})

	it('remembers a server that is down as "no tools" for a short while, with a warning', async () => {
		let calls = 0
		let now = 1_000_000
		const { lines, logger } = capturingLogger()
		const deps = {
			fetch: async () => {
				calls++
				throw new TypeError('network down')
			},
			...none,
			logger,
			now: () => now,
		}
		const cache = new McpToolCache()
		const servers = [config()]
		expect(await cache.tools(servers, deps)).toEqual([])
		expect(calls).toBe(1)
		expect(lines).toEqual([
			expect.objectContaining({
				level: 'warn',
				msg: 'mcp.discovery_failed',
				mcpServer: 'docs-srv',
			}),
		])
		expect(String(lines[0]?.error)).toContain('network down')
		now += 5_000
		expect(await cache.tools(servers, deps)).toEqual([])
		expect(calls).toBe(1)
		now += 6_000
		await cache.tools(servers, deps)
		expect(calls).toBe(2)
	})

	it('keeps the tools of healthy servers when another is down', async () => {
		const remote = serveMcp(demoServer)
		const fetcher: typeof fetch = async (input, init) => {
			const url = input instanceof Request ? input.url : String(input)
			if (url.includes('down.example.com')) throw new TypeError('unreachable')
			return remote.fetch(input, init)
		}
		const tools = await new McpToolCache().tools(
			[config(), config({ id: 'down', url: 'https://down.example.com/mcp' })],
			{ fetch: fetcher, ...none, logger: capturingLogger().logger },
		)
		expect(tools.map((t) => t.name)).toEqual(['docs_srv_add', 'docs_srv_fail', 'docs_srv_lookup'])
	})
})
