// XSS in the transcript, in a real browser: user text, the model's answer (the offline model echoes
// the user's text back) and a tool call's arguments and result carry script in every shape markdown
// lets through. All of it must render inert, stopped by the sanitiser alone: the CSP is the second
// wall, and a violation of it (checked after every test, browser.ts) means the first one failed.
import type { Page } from 'playwright-core'
import { describe, expect, inject, it } from 'vitest'
import { type App, baseUrl, freshSession, signInAt, useBrowser } from './browser.js'
import { chatPage, chatPath } from './chat-page.js'

const memberKey = inject('apiKey')
const browser = useBrowser()

/** The last line tells the test the whole echo has streamed in. */
const END = 'end of payload'
const PAYLOAD = [
	'<img src=x onerror="window.__xss=1">',
	'[click](javascript:window.__xss=2)',
	'<script>window.__xss=3</script>',
	'<a href="javascript:window.__xss=5">raw link</a> <svg onload="window.__xss=6"></svg>',
	'<iframe src="javascript:window.__xss=7"></iframe>',
	'![pixel](https://tracker.example/pixel.png)',
	END,
].join('\n\n')

/** Resolves once every image in the page has loaded or failed (an `onerror` would have run). */
const imagesSettled = (page: Page) =>
	page.evaluate(() =>
		Promise.all(
			[...document.images].map((img) =>
				img.complete
					? null
					: new Promise((settled) => {
							img.addEventListener('load', settled, { once: true })
							img.addEventListener('error', settled, { once: true })
						}),
			),
		),
	)

/** What in the transcript could run script or reach another origin. */
const dangerousNodes = (app: App) =>
	chatPage(app.page).transcript.evaluate((log) => {
		const found: string[] = []
		for (const el of log.querySelectorAll('*')) {
			const tag = el.tagName.toLowerCase()
			if (['script', 'iframe', 'object', 'embed', 'frame', 'base', 'meta', 'link'].includes(tag))
				found.push(`<${tag}>`)
			for (const attr of el.attributes) {
				const name = attr.name.toLowerCase()
				const value = attr.value.trim().toLowerCase()
				if (name.startsWith('on')) found.push(`<${tag} ${name}>`)
				if (/^(javascript|vbscript|data:text\/html)/.test(value.replace(/\s/g, '')))
					found.push(`<${tag} ${name}="${attr.value}">`)
				// Links may point anywhere (a click is the reader's choice); nothing else may load remotely.
				if (tag !== 'a' && ['src', 'srcset', 'xlink:href', 'poster', 'action'].includes(name)) {
					const url = URL.parse(attr.value, document.baseURI)
					const local = url?.origin === location.origin || url?.protocol === 'data:'
					if (!local) found.push(`<${tag} ${name}="${attr.value}"> (remote)`)
				}
			}
		}
		return found
	})

describe('markdown is inert', () => {
	it('user and model text: no script runs, no handler or javascript: link survives, nothing remote loads', async () => {
		const app = await browser.open()
		const remote: string[] = []
		app.page.on('request', (r) => {
			if (new URL(r.url()).origin !== new URL(baseUrl).origin) remote.push(r.url())
		})
		await signInAt(app, chatPath('main', freshSession('xss')), memberKey)
		const chat = chatPage(app.page)
		await chat.send(PAYLOAD)
		// Twice: once as the user's message, once in the echo; the echo's last line ends the answer.
		const echo = chat.transcript.locator('.markdown', { hasText: /^\s*echo:/ })
		await echo.getByText(END).waitFor()
		await imagesSettled(app.page)

		expect(await app.page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined()
		expect(await dangerousNodes(app)).toEqual([])
		// The text is still there, only defused: the link's label, without its javascript: target.
		const link = echo.getByText('click', { exact: true })
		await link.waitFor()
		const href = await link.evaluate((a) => a.closest('a')?.getAttribute('href') ?? null)
		expect(href ?? '').not.toMatch(/^\s*javascript:/i)
		await link.click()
		expect(await app.page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined()
		expect(remote).toEqual([])
	})

	it('tool text: a call whose argument and result carry markup renders it as text', async () => {
		const app = await browser.open()
		await signInAt(app, chatPath('main', freshSession('xss-tool')), memberKey)
		const chat = chatPage(app.page)
		// An unknown zone: the tool fails with the argument in its message, and the model repeats it.
		await chat.send('/tool time_now {"timezone": "<img src=x onerror=window.__xss=4>"}')
		await chat.transcript
			.locator('.markdown')
			.getByText(/^time_now failed /)
			.waitFor()
		const summary = chat.transcript.locator('details > summary', { hasText: /^\s*Tool time_now/ })
		await summary.click()
		await imagesSettled(app.page)
		expect(await app.page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined()
		expect(await dangerousNodes(app)).toEqual([])
	})
})
