// web_fetch against a fake web (canned responses per URL, DoH answers for cloudflare-dns.com):
// the guard on the first URL and on every redirect, the caps on time and size, and the arguments.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { WebFetchResult, webFetch } from '../../src/tools/builtin/web-fetch'
import { ToolsConfig } from '../../src/tools/config'
import { runTool, type ToolContext, type ToolOutcome } from '../../src/tools/registry'
import { toolContext } from '../fakes/tool-context'

type Route = (request: Request, signal: AbortSignal | undefined) => Response | Promise<Response>

/** A fake web: routes by exact URL; DNS names answer `dns[name]`, or a public address. */
function fakeWeb(routes: Record<string, Route>, dns: Record<string, string[] | 'fail'> = {}) {
	const requests: Array<{ request: Request; init: RequestInit | undefined }> = []
	const lookups: string[] = []
	const fetch: typeof globalThis.fetch = async (input, init) => {
		const request = new Request(input, init)
		const url = new URL(request.url)
		if (url.hostname === 'cloudflare-dns.com') {
			expect(request.headers.get('accept')).toBe('application/dns-json')
			const name = url.searchParams.get('name') ?? ''
			const type = url.searchParams.get('type')
			lookups.push(`${name} ${type}`)
			const records = dns[name] ?? ['93.184.215.14']
			if (records === 'fail') return new Response('resolver down', { status: 502 })
			const wanted = records.filter((ip) => ip.includes(':') === (type === 'AAAA'))
			return Response.json({
				Status: 0,
				Answer: wanted.map((data) => ({ name, type: type === 'A' ? 1 : 28, TTL: 30, data })),
			})
		}
		requests.push({ request, init })
		const route = routes[request.url]
		if (!route) return new Response('no such page', { status: 404 })
		return route(request, init?.signal ?? undefined)
	}
	return { fetch, requests, lookups }
}

const text =
	(body: string, type = 'text/plain; charset=utf-8'): Route =>
	() =>
		new Response(body, { headers: { 'content-type': type } })
const redirect =
	(location: string, status = 302): Route =>
	() =>
		new Response(null, { status, headers: { location } })

/** A server that answers only when the request is aborted (with the abort reason). */
const hang = (signal: AbortSignal | undefined) =>
	new Promise<Response>((_, reject) => {
		if (signal?.aborted) reject(signal.reason)
		signal?.addEventListener('abort', () => reject(signal.reason))
	})

const web = (over: Record<string, unknown> = {}) => ToolsConfig.parse({ web: over })

async function call(args: unknown, over: Partial<ToolContext>): Promise<ToolOutcome> {
	return runTool(webFetch, args, toolContext(over))
}

function result(outcome: ToolOutcome): WebFetchResult {
	expect(outcome, outcome.text).toMatchObject({ ok: true })
	return WebFetchResult.parse(JSON.parse(outcome.text))
}

describe('web_fetch: plain requests', () => {
	it('GETs a text page, manually redirected, after checking its name in DNS', async () => {
		const site = fakeWeb({ 'https://example.com/hello': text('héllo wörld') })
		const r = result(await call({ url: 'https://example.com/hello' }, { fetch: site.fetch }))
		expect(r).toEqual({
			status: 200,
			url: 'https://example.com/hello',
			contentType: 'text/plain; charset=utf-8',
			body: 'héllo wörld',
			truncated: false,
			redirects: 0,
		})
		expect(site.lookups.sort()).toEqual(['example.com A', 'example.com AAAA'])
		const [sent] = site.requests
		expect(sent?.request.method).toBe('GET')
		expect(sent?.init?.redirect).toBe('manual')
		expect(sent?.request.headers.get('user-agent')).toMatch(/^edgeclaw-web-fetch/)
	})

	it('returns error statuses as results, not failures', async () => {
		const site = fakeWeb({})
		const r = result(await call({ url: 'https://example.com/missing' }, { fetch: site.fetch }))
		expect(r).toMatchObject({ status: 404, body: 'no such page' })
	})

	it('returns JSON and XML bodies as text', async () => {
		const site = fakeWeb({
			'https://api.example.com/j': text('{"a":1}', 'application/ld+json'),
			'https://api.example.com/x': text('<a/>', 'application/xml'),
		})
		const j = result(await call({ url: 'https://api.example.com/j' }, { fetch: site.fetch }))
		const x = result(await call({ url: 'https://api.example.com/x' }, { fetch: site.fetch }))
		expect([j.body, x.body]).toEqual(['{"a":1}', '<a/>'])
	})

	it('summarises binary content instead of returning it', async () => {
		const png = new Uint8Array(300).fill(0x89)
		const site = fakeWeb({
			'https://example.com/logo.png': () =>
				new Response(png, { headers: { 'content-type': 'image/png' } }),
			'https://example.com/blob': () => new Response(new Uint8Array([1, 0, 2, 0])),
			'https://example.com/untyped': () => new Response(new TextEncoder().encode('plain words')),
		})
		const image = result(await call({ url: 'https://example.com/logo.png' }, { fetch: site.fetch }))
		expect(image).toMatchObject({
			contentType: 'image/png',
			body: '<300 bytes of image/png omitted>',
		})
		const blob = result(await call({ url: 'https://example.com/blob' }, { fetch: site.fetch }))
		expect(blob.body).toBe('<4 bytes of unknown content omitted>')
		const untyped = result(
			await call({ url: 'https://example.com/untyped' }, { fetch: site.fetch }),
		)
		expect(untyped.body).toBe('plain words')
	})

	it('POSTs a body with an allowed content type', async () => {
		const site = fakeWeb({
			'https://example.com/form': async (request) =>
				Response.json({
					method: request.method,
					type: request.headers.get('content-type'),
					body: await request.text(),
				}),
		})
		const r = result(
			await call(
				{
					url: 'https://example.com/form',
					method: 'POST',
					headers: { 'Content-Type': 'application/json', 'accept-language': 'fr' },
					body: '{"q":"edge"}',
				},
				{ fetch: site.fetch },
			),
		)
		expect(JSON.parse(r.body)).toEqual({
			method: 'POST',
			type: 'application/json',
			body: '{"q":"edge"}',
		})
		expect(site.requests[0]?.request.headers.get('accept-language')).toBe('fr')
	})
})

describe('web_fetch: arguments', () => {
	it.each(['authorization', 'Cookie', 'host', 'x-forwarded-for', 'proxy-authorization'])(
		'refuses the %s header before any request',
		async (name) => {
			const site = fakeWeb({ 'https://example.com/': text('x') })
			const out = await call(
				{ url: 'https://example.com/', headers: { [name]: 'v' } },
				{ fetch: site.fetch },
			)
			expect(out).toMatchObject({ ok: false, code: 'invalid_args' })
			expect(out.text).toContain(name)
			expect(site.requests).toHaveLength(0)
			expect(site.lookups).toHaveLength(0)
		},
	)

	it.each([
		['a body on GET', { url: 'https://example.com/', body: 'x' }],
		['header injection', { url: 'https://example.com/', headers: { accept: 'a\r\nx-evil: 1' } }],
		['an unknown argument', { url: 'https://example.com/', follow: false }],
		['another method', { url: 'https://example.com/', method: 'DELETE' }],
		['an overlong URL', { url: `https://example.com/${'a'.repeat(2_048)}` }],
		[
			'an overlong body',
			{ url: 'https://example.com/', method: 'POST', body: 'a'.repeat(100_001) },
		],
	])('refuses %s', async (_label, args) => {
		const site = fakeWeb({})
		expect(await call(args, { fetch: site.fetch })).toMatchObject({
			ok: false,
			code: 'invalid_args',
		})
		expect(site.requests).toHaveLength(0)
	})

	it('shows the model a strict JSON Schema', () => {
		const schema = z.toJSONSchema(webFetch.parameters, { io: 'input' })
		expect(schema).toMatchObject({ type: 'object', additionalProperties: false, required: ['url'] })
	})
})

describe('web_fetch: the SSRF guard', () => {
	it.each([
		'http://169.254.169.254/latest/meta-data/',
		'http://localhost:8080/',
		'file:///etc/passwd',
		'http://[::ffff:127.0.0.1]/',
		'http://user:pw@example.com/',
	])('refuses %s without fetching it', async (url) => {
		const site = fakeWeb({})
		expect(await call({ url }, { fetch: site.fetch })).toMatchObject({
			ok: false,
			code: 'url_blocked',
		})
		expect(site.requests).toHaveLength(0)
	})

	it('refuses a name that resolves to a private address', async () => {
		const site = fakeWeb({}, { 'intranet.example.com': ['10.0.0.1'] })
		const out = await call({ url: 'https://intranet.example.com/' }, { fetch: site.fetch })
		expect(out).toMatchObject({ ok: false, code: 'url_blocked' })
		expect(out.text).toContain('10.0.0.1')
		expect(site.requests).toHaveLength(0)
	})

	it('fails (retryably) when DNS cannot answer', async () => {
		const site = fakeWeb({}, { 'example.com': 'fail' })
		await expect(
			runTool(webFetch, { url: 'https://example.com/' }, toolContext({ fetch: site.fetch }), {
				rethrowTransient: true,
			}),
		).rejects.toMatchObject({ code: 'dns_failed', transient: true })
		expect(site.requests).toHaveLength(0)
	})

	it('applies the agent allow and deny lists', async () => {
		const site = fakeWeb({ 'https://docs.example.com/': text('docs') })
		const tools = web({ allowHosts: ['*.example.com'], denyHosts: ['secret.example.com'] })
		const ok = result(
			await call({ url: 'https://docs.example.com/' }, { fetch: site.fetch, tools }),
		)
		expect(ok.body).toBe('docs')
		for (const url of [
			'https://example.com/',
			'https://secret.example.com/',
			'https://other.org/',
		]) {
			const out = await call({ url }, { fetch: site.fetch, tools })
			expect(out, url).toMatchObject({ ok: false, code: 'url_blocked' })
		}
		expect(site.requests).toHaveLength(1)
	})
})

describe('web_fetch: redirects', () => {
	it('refuses a redirect to the metadata address and never requests it', async () => {
		const site = fakeWeb({
			'https://example.com/go': redirect('http://169.254.169.254/latest/meta-data/'),
		})
		const out = await call({ url: 'https://example.com/go' }, { fetch: site.fetch })
		expect(out).toMatchObject({ ok: false, code: 'url_blocked' })
		expect(out.text).toContain('Redirect 1')
		expect(site.requests.map((r) => r.request.url)).toEqual(['https://example.com/go'])
	})

	it('re-checks DNS and the allow list on every hop', async () => {
		const site = fakeWeb(
			{
				'https://a.example.com/': redirect('https://rebind.example.com/'),
				'https://b.example.com/': redirect('https://elsewhere.org/'),
			},
			{ 'rebind.example.com': ['192.168.0.10'] },
		)
		const rebind = await call({ url: 'https://a.example.com/' }, { fetch: site.fetch })
		expect(rebind).toMatchObject({ ok: false, code: 'url_blocked' })
		expect(rebind.text).toContain('192.168.0.10')
		const tools = web({ allowHosts: ['*.example.com'] })
		const away = await call({ url: 'https://b.example.com/' }, { fetch: site.fetch, tools })
		expect(away).toMatchObject({ ok: false, code: 'url_blocked' })
		expect(site.requests).toHaveLength(2)
	})

	it('resolves relative and protocol-relative Locations against the current URL', async () => {
		const site = fakeWeb({
			'https://example.com/a/b': redirect('../c?x=1', 301),
			'https://example.com/c?x=1': redirect('//cdn.example.net/file.txt', 308),
			'https://cdn.example.net/file.txt': text('done'),
			'https://example.com/sneaky': redirect('//127.0.0.1/admin'),
		})
		const r = result(await call({ url: 'https://example.com/a/b' }, { fetch: site.fetch }))
		expect(r).toMatchObject({ url: 'https://cdn.example.net/file.txt', body: 'done', redirects: 2 })
		const sneaky = await call({ url: 'https://example.com/sneaky' }, { fetch: site.fetch })
		expect(sneaky).toMatchObject({ ok: false, code: 'url_blocked' })
	})

	it('follows at most 5 redirects', async () => {
		const chain = (last: number) => {
			const routes: Record<string, Route> = {}
			for (let i = 0; i < last; i++) routes[`https://example.com/${i}`] = redirect(`/${i + 1}`)
			routes[`https://example.com/${last}`] = text(`end ${last}`)
			return fakeWeb(routes)
		}
		const five = chain(5)
		const r = result(await call({ url: 'https://example.com/0' }, { fetch: five.fetch }))
		expect(r).toMatchObject({ body: 'end 5', redirects: 5, url: 'https://example.com/5' })
		const six = chain(6)
		const out = await call({ url: 'https://example.com/0' }, { fetch: six.fetch })
		expect(out).toMatchObject({ ok: false, code: 'too_many_redirects' })
		expect(six.requests).toHaveLength(6)
	})

	it('turns POST into GET on 303 and keeps it on 307', async () => {
		const echo: Route = async (request) =>
			Response.json({ method: request.method, body: await request.text() })
		const site = fakeWeb({
			'https://example.com/see-other': redirect('/echo', 303),
			'https://example.com/temporary': redirect('/echo', 307),
			'https://example.com/echo': echo,
		})
		const post = (url: string) =>
			call(
				{ url, method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } },
				{ fetch: site.fetch },
			)
		expect(JSON.parse(result(await post('https://example.com/see-other')).body)).toEqual({
			method: 'GET',
			body: '',
		})
		expect(site.requests[1]?.request.headers.get('content-type')).toBeNull()
		expect(JSON.parse(result(await post('https://example.com/temporary')).body)).toEqual({
			method: 'POST',
			body: 'payload',
		})
	})

	it('returns a 3xx without Location as it is', async () => {
		const site = fakeWeb({
			'https://example.com/odd': () => new Response('moved?', { status: 302 }),
		})
		const r = result(await call({ url: 'https://example.com/odd' }, { fetch: site.fetch }))
		expect(r).toMatchObject({ status: 302, redirects: 0, body: 'moved?' })
	})
})

describe('web_fetch: caps', () => {
	/** A body of `chunks` × 512 bytes that counts how much was pulled and whether it was cancelled. */
	function countedBody(chunks: number) {
		const state = { pulled: 0, cancelled: false }
		const stream = new ReadableStream<Uint8Array>(
			{
				pull(controller) {
					if (state.pulled === chunks) return controller.close()
					state.pulled++
					controller.enqueue(new TextEncoder().encode('a'.repeat(512)))
				},
				cancel() {
					state.cancelled = true
				},
			},
			{ highWaterMark: 0 },
		)
		return { stream, state }
	}

	it('cuts the body at maxBytes, stops reading and cancels the stream', async () => {
		const { stream, state } = countedBody(100)
		const site = fakeWeb({
			'https://example.com/big': () =>
				new Response(stream, { headers: { 'content-type': 'text/plain' } }),
		})
		const tools = web({ maxBytes: 1_024 })
		const r = result(await call({ url: 'https://example.com/big' }, { fetch: site.fetch, tools }))
		expect(r.truncated).toBe(true)
		expect(r.body).toBe('a'.repeat(1_024))
		expect(state.pulled).toBeLessThan(10)
		await expect.poll(() => state.cancelled).toBe(true)
	})

	it('is not truncated at exactly maxBytes', async () => {
		const { stream } = countedBody(2)
		const site = fakeWeb({
			'https://example.com/exact': () =>
				new Response(stream, { headers: { 'content-type': 'text/plain' } }),
		})
		const tools = web({ maxBytes: 1_024 })
		const r = result(await call({ url: 'https://example.com/exact' }, { fetch: site.fetch, tools }))
		expect(r).toMatchObject({ truncated: false })
		expect(r.body).toHaveLength(1_024)
	})

	it('counts omitted binary content up to the cap', async () => {
		const site = fakeWeb({
			'https://example.com/video': () =>
				new Response(new Uint8Array(5_000), { headers: { 'content-type': 'video/mp4' } }),
		})
		const tools = web({ maxBytes: 1_024 })
		const r = result(await call({ url: 'https://example.com/video' }, { fetch: site.fetch, tools }))
		expect(r).toMatchObject({ body: '<1024 bytes of video/mp4 omitted>', truncated: true })
	})

	/** The agent's web settings with a deadline shorter than the config's 1 s floor. */
	const quick = () => {
		const tools = web()
		return { ...tools, web: { ...tools.web, timeoutMs: 50 } }
	}

	it('times out a server that never answers', async () => {
		const site = fakeWeb({
			'https://example.com/slow': (_request, signal) => hang(signal),
		})
		const started = Date.now()
		const out = await call(
			{ url: 'https://example.com/slow' },
			{ fetch: site.fetch, tools: quick() },
		)
		expect(out).toMatchObject({ ok: false, code: 'timeout' })
		expect(out.text).toContain('50 ms')
		expect(Date.now() - started).toBeLessThan(30_000)
	})

	it('times out a body that stalls after the headers', async () => {
		const stalled = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('first bytes'))
			},
		})
		const site = fakeWeb({
			'https://example.com/drip': () =>
				new Response(stalled, { headers: { 'content-type': 'text/plain' } }),
		})
		const out = await call(
			{ url: 'https://example.com/drip' },
			{ fetch: site.fetch, tools: quick() },
		)
		expect(out).toMatchObject({ ok: false, code: 'timeout' })
	})

	it("stops when the caller's signal aborts", async () => {
		const controller = new AbortController()
		const site = fakeWeb({
			'https://example.com/slow': (_request, signal) => {
				controller.abort(new Error('run cancelled'))
				return hang(signal)
			},
		})
		await expect(
			call({ url: 'https://example.com/slow' }, { fetch: site.fetch, signal: controller.signal }),
		).rejects.toThrow('run cancelled')
	})
})
