// The browser tests' harness: one Debian Chromium per test file, a fresh context (own
// sessionStorage) per app a test opens, and what a test reads off a page — Content-Security-Policy
// violations, uncaught errors, console errors. After each test every app it opened must have run
// without a CSP violation or an uncaught error: the app works under its strict CSP.
/// <reference lib="dom" />
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, inject } from 'vitest'
import { launchChromium, signIn } from '../../bench/chromium.mjs'
import { STATE_WAIT_MS } from '../timeouts.js'

export const baseUrl = inject('baseUrl')

const root = join(import.meta.dirname, '..', '..')

/** What a `securitypolicyviolation` event said. */
export interface CspViolation {
	directive: string
	blocked: string
	sample: string
	url: string
}

export interface App {
	page: Page
	context: BrowserContext
	/** Every CSP violation on any document of this context, in order. */
	cspViolations: CspViolation[]
	/** Uncaught exceptions of the page. */
	pageErrors: string[]
	/** `console.error` lines (a refused request logs one too), for failure messages. */
	consoleErrors: string[]
}

export interface OpenOptions {
	viewport?: { width: number; height: number }
}

/** Reports every CSP violation of every document to Node (the binding outlives navigations). */
function reportViolations() {
	document.addEventListener('securitypolicyviolation', (e) => {
		const report = (window as unknown as { __reportCsp: (v: unknown) => void }).__reportCsp
		report({
			directive: e.effectiveDirective,
			blocked: e.blockedURI,
			sample: e.sample,
			url: e.documentURI,
		})
	})
}

/**
 * Launches Chromium before the file's tests and closes it after them; `open()` gives a test a
 * fresh app, closed (and checked) after the test.
 */
export function useBrowser() {
	let browser: Browser | undefined
	let opened: App[] = []
	beforeAll(async () => {
		browser = await launchChromium()
	})
	afterAll(async () => {
		await browser?.close()
	})
	afterEach(async () => {
		const apps = opened
		opened = []
		await Promise.all(apps.map((a) => a.context.close()))
		for (const app of apps) {
			expect(app.cspViolations, 'CSP violations').toEqual([])
			expect(app.pageErrors, 'uncaught errors in the page').toEqual([])
		}
	})
	return {
		async open(options: OpenOptions = {}): Promise<App> {
			if (!browser) throw new Error('useBrowser: Chromium is not running (beforeAll failed)')
			const context = await browser.newContext({
				baseURL: baseUrl,
				viewport: options.viewport ?? { width: 1280, height: 800 },
			})
			context.setDefaultTimeout(STATE_WAIT_MS)
			const app: App = {
				page: await context.newPage(),
				context,
				cspViolations: [],
				pageErrors: [],
				consoleErrors: [],
			}
			await context.exposeFunction('__reportCsp', (v: CspViolation) => app.cspViolations.push(v))
			await context.addInitScript(reportViolations)
			app.page.on('pageerror', (error) => app.pageErrors.push(String(error)))
			app.page.on('console', (message) => {
				if (message.type() === 'error') app.consoleErrors.push(message.text())
			})
			opened.push(app)
			return app
		},
	}
}

/** Opens `path` signed out and signs in with `token`; resolves with the header's tenant and role. */
export function signInAt(app: App, path: string, token: string) {
	return signIn(app.page, new URL(path, baseUrl).href, token)
}

/**
 * Saves a screenshot for the docs (docs/img/<name>) when EDGECLAW_SCREENSHOTS=1, so that a plain
 * `npm test` leaves the tree as it was.
 */
export async function screenshotForDocs(page: Page, name: string): Promise<void> {
	if (process.env.EDGECLAW_SCREENSHOTS !== '1') return
	const file = join(root, 'docs', 'img', name)
	mkdirSync(dirname(file), { recursive: true })
	await page.screenshot({ path: file })
}

/** A session key no other test uses. */
export const freshSession = (name: string) => `e2e-${name}-${crypto.randomUUID().slice(0, 8)}`
