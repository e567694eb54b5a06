// How the Worker serves the app to a real browser: index.html at `/` and at every app path with the
// security headers (a strict CSP, nosniff, no referrer) and no caching; the hashed bundles under
// /assets/ cached for a year. The app then boots under that CSP without a single violation.
import type { Response } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { useBrowser } from './browser.js'

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
