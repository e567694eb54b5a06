// The web app served by the Worker: browser navigations (`/`, app paths) get dist/web's index.html
// with the app's strict headers; API paths, webhooks, WebSocket upgrades and anything that is not a
// GET/HEAD asking for HTML keep their own answers. The API reference at /docs is the build's
// docs.html, its script and styles local hashed assets. Needs `npm run build:web` first.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { call } from '../helpers'
import { openWire } from './openclaw/wire'

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }

beforeAll(async () => {
	const index = await env.ASSETS.fetch(new Request('http://assets.test/'))
	await index.body?.cancel()
	if (!index.ok) {
		throw new Error(
			`dist/web/index.html is missing (the assets binding answered ${index.status}): build the web app first with \`npm run build:web\` (\`npm test\` does).`,
		)
	}
})

/** The app's index.html, as the build writes it. */
const isAppShell = (body: string) =>
	body.includes('<div id="app"></div>') && /<script type="module"[^>]* src="\/assets\//.test(body)

function expectAppHeaders(res: Response): void {
	const csp = res.headers.get('content-security-policy') ?? ''
	const directives = csp.split(';').map((d) => d.trim())
	expect(directives).toEqual(
		expect.arrayContaining(["default-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]),
	)
	expect(csp).not.toContain('unsafe-inline')
	expect(csp).not.toContain('unsafe-eval')
	expect(res.headers.get('x-content-type-options')).toBe('nosniff')
	expect(res.headers.get('referrer-policy')).toBe('no-referrer')
	expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/)
	expect(res.headers.get('cache-control')).toBe('no-cache')
	expect(res.headers.get('content-type')).toMatch(/^text\/html/)
}

describe('the web app', () => {
	it('answers a browser at / with index.html and its strict headers', async () => {
		const res = await call('/', { headers: HTML })
		expect(res.status).toBe(200)
		expectAppHeaders(res)
		expect(isAppShell(await res.text())).toBe(true)
	})

	it('answers app paths with the same page, so the client router takes over', async () => {
		for (const path of ['/chat', '/chat?agent=main&session=s1', '/sessions/x', '/keys']) {
			const res = await call(path, { headers: HTML })
			expect(res.status, path).toBe(200)
			expectAppHeaders(res)
			expect(isAppShell(await res.text()), path).toBe(true)
		}
	})

	it('answers HEAD with the headers and no body', async () => {
		const res = await call('/chat', { method: 'HEAD', headers: HTML })
		expect(res.status).toBe(200)
		expectAppHeaders(res)
		expect(await res.text()).toBe('')
	})

	it('never answers the API, its reference or webhooks with the app', async () => {
		for (const path of [
			'/v1/me',
			'/v1/agents',
			'/v1',
			'/health',
			'/ready',
			'/openapi.json',
			'/hooks/telegram/x',
		]) {
			const res = await call(path, { headers: HTML })
			const body = await res.text()
			expect(isAppShell(body), path).toBe(false)
			expect(res.headers.get('content-security-policy') ?? '', path).not.toContain(
				"connect-src 'self'",
			)
		}
		expect((await call('/v1/me', { headers: HTML })).status).toBe(401)
		expect((await call('/health', { headers: HTML })).status).toBe(200)
		expect(isAppShell(await (await call('/docs', { headers: HTML })).text())).toBe(false)
	})

	it('keeps the OpenClaw socket at / for a WebSocket upgrade, even one that accepts HTML', async () => {
		const wire = await openWire('/', HTML)
		const challenge = await wire.next((f) => f.event === 'connect.challenge')
		expect(challenge.type).toBe('event')
		wire.ws.close()
	})

	it('keeps the old answer at / for clients that do not ask for HTML, and for POST', async () => {
		for (const init of [
			{},
			{ headers: { accept: 'application/json' } },
			{ method: 'POST', headers: HTML },
		]) {
			const res = await call('/', init)
			expect(res.status).toBeGreaterThanOrEqual(400)
			expect(res.headers.get('content-type')).toBe('application/problem+json')
			expect(isAppShell(await res.text())).toBe(false)
		}
		// The OpenClaw route's answer to a plain GET: it needs a WebSocket upgrade.
		const plain = (await (await call('/')).json()) as { code: string; detail: string }
		expect(plain.code).toBe('upgrade_required')
		expect(plain.detail).toContain('WebSocket upgrade')
	})
})

describe('the API reference at /docs', () => {
	/** The paths of the page's scripts and stylesheets. */
	const assetsOf = (body: string) =>
		[...body.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '')

	it('is a page whose script and styles are local hashed assets, under the strict headers', async () => {
		for (const init of [{}, { headers: HTML }]) {
			const res = await call('/docs', init)
			expect(res.status).toBe(200)
			expectAppHeaders(res)
			// The app's own headers, not the API's laxer defaults.
			expect(res.headers.get('x-frame-options')).toBe('DENY')
			const body = await res.text()
			expect(body).toContain('data-spec-url="/openapi.json"')
			const assets = assetsOf(body)
			expect(assets.filter((a) => a.endsWith('.js')).length).toBeGreaterThan(0)
			expect(assets.filter((a) => a.endsWith('.css')).length).toBeGreaterThan(0)
			for (const asset of assets) expect(asset, asset).toMatch(/^\/assets\/[\w.-]+-[\w-]{6,}\.\w+$/)
			expect(body).not.toMatch(/https?:\/\//)
		}
	})

	it('its assets are in the build: Swagger UI, served as script and stylesheet', async () => {
		const body = await (await call('/docs')).text()
		for (const asset of assetsOf(body).filter((a) => /\.(js|css)$/.test(a))) {
			const res = await env.ASSETS.fetch(new Request(`http://assets.test${asset}`))
			expect(res.status, asset).toBe(200)
			expect(res.headers.get('content-type'), asset).toMatch(/javascript|text\/css/)
			const text = await res.text()
			if (asset.endsWith('.js')) expect(text).toContain('SwaggerUI')
		}
	})

	it('answers HEAD with the headers and no body', async () => {
		const res = await call('/docs', { method: 'HEAD' })
		expect(res.status).toBe(200)
		expectAppHeaders(res)
		expect(await res.text()).toBe('')
	})
})
