// Choosing agent and session: the choice goes into the URL (`/chat?agent=&session=`), a bare /chat
// opens the default agent's newest session, "New session" makes a fresh key; no token in the URL.
import { render } from 'preact'
import { LocationProvider } from 'preact-iso'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ChatPage } from '../../src/chat/chat-page'
import { closePage, openPage, signInAs, TOKEN } from './page'

const SESSIONS: Record<string, { sessionKey: string; messageCount: number }[]> = {
	main: [
		{ sessionKey: 'support-2', messageCount: 4 },
		{ sessionKey: 'support-1', messageCount: 9 },
	],
	ops: [],
}

function stubGateway() {
	const json = (status: number, body: unknown) =>
		new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
	vi.stubGlobal(
		'fetch',
		// The app's API client hands fetch one Request, on the page's own origin.
		vi.fn(async (request: Request) => {
			const url = new URL(request.url)
			expect(url.origin).toBe('http://127.0.0.1:8787')
			if (url.pathname === '/v1/agents') {
				return json(200, {
					agents: [
						{ id: 'ops', name: 'Operations' },
						{ id: 'main', name: 'main' },
					],
				})
			}
			if (url.pathname === '/v1/sessions') {
				const agent = url.searchParams.get('agent') ?? ''
				const sessions = (SESSIONS[agent] ?? []).map((s, i) => ({ ...s, agent, updatedAt: 10 - i }))
				return json(200, { sessions, nextCursor: null })
			}
			// Each session reads as not created yet: the page under test is the picker.
			return json(404, { code: 'not_found', detail: 'No such session.' })
		}),
	)
}

let root: HTMLElement
const select = (id: string) => root.querySelector(`#${id}`) as HTMLSelectElement
const query = () => new URLSearchParams(location.search)

beforeEach(() => {
	stubGateway()
	root = openPage('http://127.0.0.1:8787/chat', ['sessions:send'])
	render(
		<LocationProvider>
			<ChatPage />
		</LocationProvider>,
		root,
	)
})

afterEach(() => closePage(root))

describe('ChatPage', () => {
	it("opens the default agent's newest session and names its pickers", async () => {
		await vi.waitFor(() => expect(location.search).toBe('?agent=main&session=support-2'))
		await vi.waitFor(() => expect(select('chat-session').value).toBe('support-2'))
		expect(select('chat-agent').value).toBe('main')
		expect(root.querySelector('label[for="chat-agent"]')?.textContent).toBe('Agent')
		expect(root.querySelector('label[for="chat-session"]')?.textContent).toBe('Session')
		expect(root.querySelector('h1')?.textContent).toBe('Chat')
		expect([...select('chat-agent').options].map((o) => o.textContent)).toEqual([
			'ops — Operations',
			'main',
		])
		expect(location.href).not.toContain(TOKEN)
	})

	it('starts a new session under a fresh key, and one for an agent without sessions', async () => {
		await vi.waitFor(() => expect(query().get('session')).toBe('support-2'))
		const fresh = [...root.querySelectorAll('button')].find((b) => b.textContent === 'New session')
		fresh?.click()
		await vi.waitFor(() => expect(query().get('session')).toMatch(/^web-[a-z0-9]{12}$/))
		await vi.waitFor(() => expect(select('chat-session').value).toBe(query().get('session')))

		select('chat-agent').value = 'ops'
		select('chat-agent').dispatchEvent(new Event('change', { bubbles: true }))
		await vi.waitFor(() => expect(query().get('agent')).toBe('ops'))
		await vi.waitFor(() => expect(query().get('session')).toMatch(/^web-[a-z0-9]{12}$/))
	})

	it('opens the newest session for a viewer, read-only: no New session', async () => {
		signInAs(['agents:list', 'sessions:list', 'sessions:read', 'sessions:stream'])
		await vi.waitFor(() => expect(query().get('session')).toBe('support-2'))
		await vi.waitFor(() => expect(root.querySelector('h1')?.textContent).toBe('Chat'))
		const labels = [...root.querySelectorAll('button')].map((b) => b.textContent)
		expect(labels).not.toContain('New session')
		expect(root.querySelector('textarea')).toBeNull()
	})
})
