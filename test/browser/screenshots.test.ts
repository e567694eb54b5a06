// The pictures in the docs (docs/img/web-chat.png, web-usage.png), taken from the real app: a short
// conversation with markdown and a tool call, then the usage it made. Written only with
// EDGECLAW_SCREENSHOTS=1 (browser.ts); without it the same pages are still checked.
import { describe, expect, inject, it } from 'vitest'
import { baseUrl, freshSession, screenshotForDocs, signInAt, useBrowser } from './browser.js'
import { chatPage, chatPath } from './chat-page.js'

const memberKey = inject('apiKey')
const browser = useBrowser()

/** The tenant's usage rows, as the Usage page reads them. */
async function usageRows(): Promise<unknown[]> {
	const res = await fetch(`${baseUrl}/v1/usage`, {
		headers: { authorization: `Bearer ${memberKey}` },
	})
	return res.ok ? ((await res.json()) as { rows: unknown[] }).rows : []
}

describe('docs screenshots', () => {
	it('the chat page with a conversation, then the usage chart', async () => {
		const app = await browser.open({ viewport: { width: 1280, height: 800 } })
		await signInAt(app, chatPath('main', freshSession('tour')), memberKey)
		const chat = chatPage(app.page)
		await chat.send('hello')
		await chat.rendered('echo: hello').waitFor()
		await chat.send('What does **markdown** look like?\n\n- a list\n- `inline code`')
		await chat.transcript.locator('.markdown strong', { hasText: 'markdown' }).first().waitFor()
		await chat.transcript
			.locator('.markdown', { hasText: /^\s*echo:/ })
			.getByText('inline code')
			.first()
			.waitFor()
		await chat.send('/tool time_now {"timezone": "Europe/Paris"}')
		await chat.transcript
			.locator('.markdown')
			.getByText(/^time_now returned /)
			.waitFor()
		await chat.live.waitFor()
		await screenshotForDocs(app.page, 'web-chat.png')

		// Usage day totals land in D1 a few seconds after the turns (paced writes): wait for them.
		await expect.poll(async () => (await usageRows()).length).toBeGreaterThan(0)

		await app.page
			.getByRole('navigation', { name: 'Pages' })
			.getByRole('link', { name: 'Usage' })
			.click()
		await app.page.getByRole('heading', { level: 1, name: 'Usage' }).waitFor()
		await app.page
			.getByRole('img', { name: /^Tokens per day/ })
			.first()
			.waitFor()
		await screenshotForDocs(app.page, 'web-usage.png')
	})
})
