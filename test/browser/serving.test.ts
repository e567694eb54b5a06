// How the Worker serves the app to a real browser: index.html at `/` and at every app path with the
// security headers (a strict CSP, nosniff, no referrer) and no caching; the hashed bundles under
// /assets/ cached for a year. The app then boots under that CSP without a single violation; so does
// the API reference at /docs, every byte of it from this origin.
import type { Response } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { baseUrl, useBrowser } from './browser.js'

const browser = useBrowser()

/** The security headers every answer carrying the app's HTML must have. */
function expectAppHeaders(res: Response | null, headers: Record<string, string>) {
	expect(res?.status()).toBe(200)
	expect(headers['content-type']).toMatch(/^text\/html/)
	const csp = (headers['content-security-policy'] ?? '').split(';').map((d) => d.trim())
	expect(csp).toEqual(
		expect.arrayContaining(["default-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]),
	)
	expect(headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval|\*/)
	expect(headers['x-content-type-options']).toBe('nosniff')
	expect(headers['referrer-policy']).toBe('no-referrer')
	expect(headers['cache-control']).toMatch(/no-cache|no-store/)
}

describe('serving the app', () => {
	it('/ and an app path: index.html with the security headers, not cached', async () => {
		const app = await browser.open()
		const assets: Response[] = []
		app.page.on('response', (r) => {
			if (new URL(r.url()).pathname.startsWith('/assets/')) assets.push(r)
		})
		for (const path of ['/', '/sessions/some-session']) {
			const res = await app.page.goto(path)
			expectAppHeaders(res, (await res?.allHeaders()) ?? {})
			// The app booted: the sign-in form, rendered by the bundle (no inline script).
			await app.page.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
		}
		const scripts = assets.filter((r) => /\.js$/.test(new URL(r.url()).pathname))
		expect(scripts.length).toBeGreaterThan(0)
	})

	it('hashed assets: a year of immutable cache, nosniff, the right type', async () => {
		const app = await browser.open()
		const assets: Response[] = []
		app.page.on('response', (r) => {
			if (new URL(r.url()).pathname.startsWith('/assets/')) assets.push(r)
		})
		await app.page.goto('/')
		await app.page.getByRole('button', { name: 'Sign in', exact: true }).waitFor()
		const bundles = assets.filter((r) => /\/assets\/[\w.-]+-[\w-]{6,}\.(js|css)$/.test(r.url()))
		expect(bundles.map((r) => new URL(r.url()).pathname.split('.').at(-1)).sort()).toEqual(
			expect.arrayContaining(['css', 'js']),
		)
		for (const res of bundles) {
			const headers = await res.allHeaders()
			expect(res.status(), res.url()).toBe(200)
			const cache = headers['cache-control'] ?? ''
			expect(cache, res.url()).toMatch(/\bimmutable\b/)
			expect(Number(/max-age=(\d+)/.exec(cache)?.[1]), res.url()).toBeGreaterThanOrEqual(31_536_000)
			expect(headers['x-content-type-options'], res.url()).toBe('nosniff')
			expect(headers['content-type'], res.url()).toMatch(/javascript|text\/css/)
		}
	})

	it('an API path is never the app, even for a browser', async () => {
		const app = await browser.open()
		const res = await app.page.goto('/v1/agents')
		expect(res?.status()).toBe(401)
		expect((await res?.allHeaders())?.['content-type']).toMatch(/^application\/problem\+json/)
	})
})

describe('the API reference at /docs', () => {
	it('renders /openapi.json from local assets only, cached for a year, under the strict CSP', async () => {
		const app = await browser.open()
		const origin = new URL(baseUrl).origin
		const requested: string[] = []
		const assets: Response[] = []
		app.page.on('request', (r) => {
			requested.push(r.url())
		})
		app.page.on('response', (r) => {
			if (new URL(r.url()).pathname.startsWith('/assets/')) assets.push(r)
		})
		const res = await app.page.goto('/docs')
		expectAppHeaders(res, (await res?.allHeaders()) ?? {})
		// Swagger UI rendered the document: an operation of the chat completions route.
		await app.page
			.locator('.opblock-summary-path', { hasText: '/v1/chat/completions' })
			.first()
			.waitFor()
		expect(
			requested.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin),
		).toEqual([])
		const scripts = assets.filter((r) => /\.js$/.test(new URL(r.url()).pathname))
		expect(scripts.length).toBeGreaterThan(0)
		for (const asset of assets) {
			const cache = (await asset.allHeaders())['cache-control'] ?? ''
			expect(cache, asset.url()).toMatch(/\bimmutable\b/)
		}
	})
})
