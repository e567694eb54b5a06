// A network drop mid-answer, in a real browser: the session's socket goes through a proxy in the
// test (Playwright's routeWebSocket), which cuts it right after a run's `started` frame. The app
// must reconnect with `after=<the last seq it got>`, and across both sockets every event arrives
// once, in order, with no gap — so the answer shows exactly once.
import type { WebSocketRoute } from 'playwright-core'
import { describe, expect, inject, it } from 'vitest'
import { freshSession, signInAt, useBrowser } from './browser.js'
import { chatPage, chatPath } from './chat-page.js'

const memberKey = inject('apiKey')
const browser = useBrowser()

/** One socket the page opened to a session stream, and the seqs the proxy passed on to it. */
interface Connection {
	url: URL
	seqs: number[]
}

const seqOf = (frame: string | Buffer): { seq: number; type: string } | null => {
	try {
		const event = JSON.parse(String(frame)) as { seq?: unknown; type?: unknown }
		return typeof event.seq === 'number' ? { seq: event.seq, type: String(event.type) } : null
	} catch {
		return null // "pong"
	}
}

describe('reconnect', () => {
	it('a socket cut after `started` resumes with after=<last seq>: the answer once, every seq once and in order', async () => {
		const app = await browser.open()
		const connections: Connection[] = []
		/** Set while the next `started` frame should cut its socket; then the seq it carried. */
		let cut: { armed: boolean; seq?: number; at?: number } = { armed: false }
		await app.page.routeWebSocket(/\/v1\/sessions\/[^/?]+\/ws(\?|$)/, (page: WebSocketRoute) => {
			const connection: Connection = { url: new URL(page.url()), seqs: [] }
			connections.push(connection)
			const server = page.connectToServer()
			let open = true
			server.onMessage((frame) => {
				if (!open) return
				page.send(frame)
				const event = seqOf(frame)
				if (!event) return
				connection.seqs.push(event.seq)
				if (cut.armed && event.type === 'started') {
					// As a dropped network looks to the page: no close frame from the server, code 1006.
					open = false
					cut = { armed: false, seq: event.seq, at: connections.length }
					void page.close({ code: 1006, reason: 'network drop (test)' })
					void server.close()
				}
			})
		})
		const session = freshSession('reconnect')
		await signInAt(app, chatPath('main', session), memberKey)
		const chat = chatPage(app.page)
		// The session exists and its socket is live before the run that will be cut.
		await chat.send('hello')
		await chat.rendered('echo: hello').waitFor()
		await chat.live.waitFor()

		cut = { armed: true }
		await chat.send('/slow 1500 hello again')
		await chat.rendered('echo: hello again').waitFor()
		await chat.live.waitFor()

		expect(cut.seq, 'the proxy never saw a `started` frame to cut after').toBeTypeOf('number')
		const after = connections.slice(cut.at ?? 0)
		expect(after.length, 'the app never reconnected').toBeGreaterThan(0)
		expect(after[0]?.url.searchParams.get('after')).toBe(String(cut.seq))
		expect(await chat.rendered('echo: hello again').count()).toBe(1)
		// Across every socket: each seq once, in order, none missing from the first one on.
		const seqs = connections.flatMap((c) => c.seqs)
		const first = seqs[0] ?? 0
		expect(seqs).toEqual(seqs.map((_, i) => first + i))
		expect(after.flatMap((c) => c.seqs).length, 'nothing came over the new socket').toBeGreaterThan(
			0,
		)
	})
})
