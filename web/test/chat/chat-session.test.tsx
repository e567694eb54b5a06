// The chat session as a page shows it, against a stubbed gateway (fetch) and a fake WebSocket:
// the stored transcript, going live, sending with an idempotency key, streaming, stop, an
// approval refused by the server, and controls hidden from a principal that may not use them.
import './dom-conformance'
import { render } from 'preact'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ChatSessionView } from '../../src/chat/chat-session'
import type { LaneEvent, MessageView } from '../../src/chat/types'
import { stored } from './fixtures'
import { closePage, openPage, signInAs, TOKEN } from './page'

class FakeWebSocket {
	static all: FakeWebSocket[] = []
	readyState = 0
	onopen: ((ev: Event) => void) | null = null
	onmessage: ((ev: MessageEvent) => void) | null = null
	onclose: ((ev: CloseEvent) => void) | null = null
	onerror: ((ev: Event) => void) | null = null
	closedWith: number | null = null
	constructor(
		readonly url: string,
		readonly protocols: string[],
	) {
		FakeWebSocket.all.push(this)
	}
	send() {}
	close(code = 1000) {
		this.closedWith = code
	}
	open() {
		this.readyState = 1
		this.onopen?.(new Event('open'))
	}
	emit(
		seq: number,
		type: LaneEvent['type'],
		data: Record<string, unknown>,
		runId: string | null = 'r2',
	) {
		const event: LaneEvent = { seq, ts: seq, type, runId, data }
		this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(event) }))
	}
}

interface Call {
	method: string
	path: string
	query: URLSearchParams
	body: Record<string, unknown> | undefined
	auth: string | null
}

function gateway() {
	const calls: Call[] = []
	let transcript: MessageView[] = [
		stored(1, 'user', 'hi', 'r1'),
		stored(2, 'assistant', 'hello **there**', 'r1'),
	]
	const json = (status: number, body: unknown, type = 'application/json') =>
		new Response(JSON.stringify(body), { status, headers: { 'content-type': type } })
	// The app's API client hands fetch one Request, on the page's own origin.
	const fetchStub = vi.fn(async (request: Request) => {
		const url = new URL(request.url)
		expect(url.origin).toBe('http://127.0.0.1:8787')
		const method = request.method
		const text = await request.text()
		const body = text ? JSON.parse(text) : undefined
		const auth = request.headers.get('authorization')
		calls.push({ method, path: url.pathname, query: url.searchParams, body, auth })
		const route = `${method} ${url.pathname}`
		if (route === 'GET /v1/sessions/web-1') {
			return json(200, { sessionKey: 'web-1', agent: 'main', activeRunId: null, lastEventSeq: 4 })
		}
		if (route === 'GET /v1/sessions/web-1/messages') {
			const after = Number(url.searchParams.get('after'))
			return json(200, { messages: transcript.filter((m) => m.seq > after), next: null })
		}
		if (route === 'GET /v1/sessions/web-1/approvals') return json(200, { approvals: [] })
		if (route === 'POST /v1/sessions/web-1/messages') {
			return json(202, { runId: 'r2', status: 'queued', disposition: 'queued', duplicate: false })
		}
		if (route === 'POST /v1/sessions/web-1/runs/r2/cancel')
			return json(200, { runId: 'r2', status: 'cancelled' })
		if (route === 'POST /v1/sessions/web-1/reset') {
			transcript = []
			return json(200, { sessionKey: 'web-1', agent: 'main', activeRunId: null, lastEventSeq: 9 })
		}
		if (route === 'POST /v1/sessions/web-1/approvals/a1') {
			return json(
				403,
				{ code: 'approval_self_denied', detail: 'Another principal must allow it.', status: 403 },
				'application/problem+json',
			)
		}
		return json(404, { code: 'not_found', detail: route })
	})
	return {
		calls,
		fetchStub,
		store: (m: MessageView) => {
			transcript = [...transcript, m]
		},
	}
}

let root: HTMLElement
const text = () => root.querySelector('[role="log"]')?.textContent ?? ''
const status = () => root.querySelector('[role="status"]')?.textContent
const button = (name: string) =>
	[...root.querySelectorAll('button')].find((b) => b.textContent?.trim() === name) ?? null
const socket = () => FakeWebSocket.all.at(-1) as FakeWebSocket

beforeEach(() => {
	FakeWebSocket.all = []
	vi.stubGlobal('WebSocket', FakeWebSocket)
	root = openPage('http://127.0.0.1:8787/chat?agent=main&session=web-1', [])
})

afterEach(() => closePage(root))

/** The lane asks for approval of `exec` (call c1). */
const requestApproval = (seq: number, args: string) =>
	socket().emit(seq, 'approval.requested', { approvalId: 'a1', callId: 'c1', tool: 'exec', args })

describe('ChatSessionView', () => {
	it('shows the transcript, goes live, sends, streams, stops and shows an approval refusal', async () => {
		const gw = gateway()
		vi.stubGlobal('fetch', gw.fetchStub)
		signInAs(['sessions:send', 'sessions:cancel', 'sessions:reset', 'sessions:approve'])
		render(<ChatSessionView agent="main" sessionKey="web-1" />, root)

		await vi.waitFor(() =>
			expect(root.querySelector('.markdown strong')?.textContent).toBe('there'),
		)
		expect(text()).toContain('hi')
		await vi.waitFor(() => expect(FakeWebSocket.all).toHaveLength(1))
		expect(socket().url).toBe('ws://127.0.0.1:8787/v1/sessions/web-1/ws?agent=main&after=4')
		expect(socket().protocols).toEqual(['edgeclaw', `bearer.${TOKEN}`])
		expect(status()).toBe('Reconnecting…')
		socket().open()
		await vi.waitFor(() => expect(status()).toBe('Live'))

		const box = root.querySelector('textarea') as HTMLTextAreaElement
		box.value = 'hello'
		box.dispatchEvent(new Event('input', { bubbles: true }))
		box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', shiftKey: true, bubbles: true }))
		expect(gw.calls.filter((c) => c.method === 'POST')).toEqual([])
		box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
		await vi.waitFor(() => expect(gw.calls.some((c) => c.method === 'POST')).toBe(true))
		const post = gw.calls.find((c) => c.method === 'POST')
		expect(post?.body).toMatchObject({ agent: 'main', content: 'hello', mode: 'followup' })
		expect(String(post?.body?.idempotencyKey)).toMatch(/^web-[a-z0-9]{24}$/)
		expect(post?.auth).toBe(`Bearer ${TOKEN}`)
		expect(text()).toContain('hello')
		expect(box.value).toBe('')

		gw.store(stored(3, 'user', 'hello', 'r2'))
		socket().emit(5, 'queued', { messageId: 'm3', mode: 'followup' })
		socket().emit(6, 'started', { attempt: 1, deadline: 1 })
		socket().emit(7, 'delta', { text: 'echo: he' })
		await vi.waitFor(() => expect(text()).toContain('echo: he'))
		await vi.waitFor(() =>
			expect(
				gw.calls.some((c) => c.path.endsWith('/messages') && c.query.get('after') === '2'),
			).toBe(true),
		)
		await vi.waitFor(() => expect(text().match(/hello/g)?.length).toBe(2)) // hi's answer + the stored message
		;(button('Stop') as HTMLButtonElement).click()
		await vi.waitFor(() =>
			expect(gw.calls.some((c) => c.path.endsWith('/runs/r2/cancel'))).toBe(true),
		)

		socket().emit(8, 'tool', {
			phase: 'call',
			name: 'exec',
			callId: 'c1',
			data: { args: { cmd: 'ls' } },
		})
		requestApproval(9, '{"cmd":"ls"}')
		await vi.waitFor(() =>
			expect(root.querySelector('[aria-label="Approval: exec"]')).not.toBeNull(),
		)
		expect(root.querySelector('details summary')?.textContent).toMatch(/^Tool exec/)
		;(button('Allow once') as HTMLButtonElement).click()
		await vi.waitFor(() =>
			expect(
				root.querySelector('[aria-label="Approval: exec"] [role="alert"]')?.textContent,
			).toContain('approval_self_denied'),
		)
		const decision = gw.calls.find((c) => c.path.endsWith('/approvals/a1'))
		expect(decision?.body).toEqual({ decision: 'allow-once' })

		socket().emit(10, 'approval.resolved', {
			approvalId: 'a1',
			decision: 'allow-once',
			by: 'key:k2',
		})
		socket().emit(11, 'final', { output: 'echo: hello' })
		await vi.waitFor(() => expect(text()).toContain('echo: hello'))
		expect(root.querySelector('[aria-label="Approval decided: exec"]')?.textContent).toContain(
			'Allowed once by key:k2',
		)
	})

	it('hides what the principal may not do', async () => {
		const gw = gateway()
		vi.stubGlobal('fetch', gw.fetchStub)
		signInAs([])
		render(<ChatSessionView agent="main" sessionKey="web-1" />, root)
		await vi.waitFor(() => expect(text()).toContain('hi'))
		await vi.waitFor(() => expect(FakeWebSocket.all).toHaveLength(1))
		socket().open()
		requestApproval(5, '{}')
		await vi.waitFor(() =>
			expect(root.querySelector('[aria-label="Approval: exec"]')).not.toBeNull(),
		)
		expect(root.querySelector('textarea')).toBeNull()
		for (const name of ['Send', 'Stop', 'Reset session', 'Allow once', 'Allow always', 'Deny']) {
			expect(button(name)).toBeNull()
		}
	})

	it('resets only after a confirmation, and empties the transcript when the lane says so', async () => {
		const gw = gateway()
		vi.stubGlobal('fetch', gw.fetchStub)
		signInAs(['sessions:reset'])
		render(<ChatSessionView agent="main" sessionKey="web-1" />, root)
		await vi.waitFor(() => expect(button('Reset session')).not.toBeNull())
		;(button('Reset session') as HTMLButtonElement).click()
		// Focus follows each step: the button pressed has just gone away.
		await vi.waitFor(() => expect(document.activeElement).toBe(button('Confirm reset')))
		;(button('Keep') as HTMLButtonElement).click()
		await vi.waitFor(() => expect(document.activeElement).toBe(button('Reset session')))
		;(button('Reset session') as HTMLButtonElement).click()
		await vi.waitFor(() => expect(button('Confirm reset')).not.toBeNull())
		expect(gw.calls.some((c) => c.path.endsWith('/reset'))).toBe(false)
		;(button('Confirm reset') as HTMLButtonElement).click()
		await vi.waitFor(() => expect(document.activeElement).toBe(button('Reset session')))
		const reset = gw.calls.find((c) => c.path.endsWith('/reset'))
		expect(reset?.method).toBe('POST')
		expect(reset?.query.get('agent')).toBe('main')
		socket().open()
		socket().emit(5, 'reset', {}, null)
		await vi.waitFor(() => expect(text()).toContain('No messages yet.'))
	})

	it('closes the socket when the session is closed', async () => {
		vi.stubGlobal('fetch', gateway().fetchStub)
		signInAs(['sessions:send'])
		render(<ChatSessionView agent="main" sessionKey="web-1" />, root)
		await vi.waitFor(() => expect(FakeWebSocket.all).toHaveLength(1))
		render(null, root)
		// Preact runs an unmounted component's effect cleanups after the next paint.
		await vi.waitFor(() => expect(socket().closedWith).toBe(1000))
	})
})
