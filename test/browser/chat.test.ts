// WebChat end to end in Debian Chromium against `wrangler dev`: sign in, the streamed answer, the
// keyboard contract of the composer, an approval card that lets a waiting run finish, and the same
// chat on a phone-sized screen.
import { describe, expect, inject, it } from 'vitest'
import { freshSession, signInAt, useBrowser } from './browser.js'
import { chatPage, chatPath } from './chat-page.js'

const memberKey = inject('apiKey')
const operatorKey = inject('operatorKey')
const guardedAgent = inject('guardedAgent')
const browser = useBrowser()

describe('chat', () => {
	it('signs in with a member key, shows tenant and role, and streams the answer to "hello"', async () => {
		const app = await browser.open()
		const urls: string[] = []
		app.page.on('request', (r) => urls.push(r.url()))
		app.page.on('websocket', (ws) => urls.push(ws.url()))
		const who = await signInAt(app, chatPath('main', freshSession('hello')), memberKey)
		expect(who).toEqual({ tenant: 'default', role: 'member' })
		await app.page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor()

		const chat = chatPage(app.page)
		await chat.send('hello')
		await chat.rendered('echo: hello').waitFor()
		await chat.live.waitFor()
		expect(await chat.message.inputValue()).toBe('')

		// The token lives in this tab's sessionStorage only: never in a URL, never in localStorage.
		const stored = await app.page.evaluate(() => ({
			session: Object.values(sessionStorage),
			local: JSON.stringify(localStorage),
		}))
		expect(stored.session).toContain(memberKey)
		expect(stored.local).not.toContain(memberKey)
		expect(urls.length).toBeGreaterThan(0)
		expect(urls.filter((u) => u.includes(memberKey))).toEqual([])
	})

	it('Enter sends, Shift+Enter is a newline', async () => {
		const app = await browser.open()
		await signInAt(app, chatPath('main', freshSession('keys')), memberKey)
		const chat = chatPage(app.page)
		await chat.message.click()
		await app.page.keyboard.type('line one')
		await app.page.keyboard.press('Shift+Enter')
		await app.page.keyboard.type('line two')
		expect(await chat.message.inputValue()).toBe('line one\nline two')
		await app.page.keyboard.press('Enter')
		await chat.transcript
			.locator('.markdown')
			.getByText(/^echo: line one\s*line two$/)
			.waitFor()
		expect(await chat.message.inputValue()).toBe('')
	})

	it('an elevated tool call shows an approval card; "Allow once" lets the run finish', async () => {
		const app = await browser.open()
		await signInAt(app, chatPath(guardedAgent, freshSession('approve')), operatorKey)
		const chat = chatPage(app.page)
		await chat.send('/tool time_now {}')
		const card = app.page.getByRole('group', { name: 'Approval: time_now' })
		await card.getByRole('button', { name: 'Allow always' }).waitFor()
		await card.getByRole('button', { name: 'Deny' }).waitFor()
		await card.getByRole('button', { name: 'Allow once' }).click()

		// The tool ran: the offline model answers with a one-line summary of its result.
		await chat.transcript
			.locator('.markdown')
			.getByText(/^time_now returned /)
			.waitFor()
		await expect.poll(() => card.getByRole('button', { name: 'Allow once' }).count()).toBe(0)
		// The call itself is shown collapsible: its summary opens and closes it.
		const summary = chat.transcript.locator('details > summary', { hasText: /^\s*Tool time_now/ })
		const isOpen = () => summary.evaluate((s) => (s.parentElement as HTMLDetailsElement).open)
		const before = await isOpen()
		await summary.click()
		await expect.poll(isOpen).toBe(!before)
	})

	it('works on a phone-sized screen (375×740): sign in, send, read the answer', async () => {
		const app = await browser.open({ viewport: { width: 375, height: 740 } })
		const who = await signInAt(app, chatPath('main', freshSession('phone')), memberKey)
		expect(who.role).toBe('member')
		const chat = chatPage(app.page)
		await chat.send('from a phone')
		await chat.rendered('echo: from a phone').waitFor()
		expect(await chat.sendButton.isVisible()).toBe(true)
		// Nothing wider than the screen: no sideways scrolling to reach the composer.
		const width = await app.page.evaluate(() => document.documentElement.scrollWidth)
		expect(width).toBeLessThanOrEqual(375)
	})
})
