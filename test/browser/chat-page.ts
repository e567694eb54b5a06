// The chat page (WebChat) as the browser tests drive it: by the accessible names of the UI contract
// (docs/web.md), never by CSS structure — except `.markdown`, the contract's mark of rendered text.
import type { Locator, Page } from 'playwright-core'

/** The chat page's URL for one agent and session. */
export const chatPath = (agent: string, session: string) =>
	`/chat?agent=${encodeURIComponent(agent)}&session=${encodeURIComponent(session)}`

export function chatPage(page: Page) {
	const transcript = page.getByRole('log', { name: 'Transcript' })
	const message = page.getByRole('textbox', { name: 'Message' })
	const sendButton = page.getByRole('button', { name: 'Send', exact: true })
	return {
		transcript,
		message,
		sendButton,
		/** The connection status once it says "Live" (the session's socket is open). */
		live: page.getByRole('status').filter({ hasText: /^Live$/ }),
		/** A rendered (markdown) block whose whole text is `text`. */
		rendered: (text: string): Locator =>
			transcript.locator('.markdown').getByText(text, { exact: true }),
		/** Types `text` into the composer and presses "Send". */
		async send(text: string): Promise<void> {
			await message.fill(text)
			await sendButton.click()
		},
	}
}
