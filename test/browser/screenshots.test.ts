// The pictures in the docs (docs/img/web-chat.png, web-usage.png), taken from the real app: a short
// conversation with markdown and a tool call, then the usage it made. Written only with
// EDGECLAW_SCREENSHOTS=1 (browser.ts); without it the same pages are still checked.
import { describe, inject, it } from 'vitest'
import { freshSession, screenshotForDocs, signInAt, useBrowser } from './browser.js'
import { chatPage, chatPath } from './chat-page.js'

const memberKey = inject('apiKey')
const browser = useBrowser()

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
