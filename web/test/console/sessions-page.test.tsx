import { render } from 'preact'
import { LocationProvider } from 'preact-iso'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { credentials } from '../../src/api'
import { SessionsPage } from '../../src/console/sessions'
import { buttons, click, fakeGateway, renderRoot, signInAs } from './dom'

const summary = (sessionKey: string, agent = 'main') => ({
	sessionKey,
	agent,
	messageCount: 4,
	lastRunId: 'r1',
	lastRunStatus: 'succeeded',
	createdAt: 1_772_000_000_000,
	updatedAt: 1_772_000_100_000,
})

const root = renderRoot()

beforeEach(() => {
	credentials.signIn('ek_0123456789abcdef_secret')
})

const show = () =>
	render(
		<LocationProvider>
			<SessionsPage />
		</LocationProvider>,
		root(),
	)

describe('Sessions page', () => {
	it('pages with the cursor and opens each session in the chat', async () => {
		signInAs('viewer', ['sessions:list'])
		const calls = fakeGateway({
			'GET /v1/sessions': (call) =>
				call.query.get('cursor') === 'c2'
					? { body: { sessions: [summary('s3')], nextCursor: null } }
					: { body: { sessions: [summary('s1'), summary('s2', 'bot')], nextCursor: 'c2' } },
		})
		show()
		await vi.waitFor(() => expect(buttons(root(), 'Load more')).toHaveLength(1))
		expect(root().querySelector('a[href="/chat?agent=bot&session=s2"]')?.textContent).toBe('Open')
		// A viewer may neither export nor delete.
		expect(buttons(root(), 'Export')).toHaveLength(0)
		expect(buttons(root(), 'Delete')).toHaveLength(0)
		click(buttons(root(), 'Load more')[0] as HTMLButtonElement)
		await vi.waitFor(() => expect(root().textContent).toContain('s3'))
		expect(root().querySelectorAll('tbody tr')).toHaveLength(3)
		expect(buttons(root(), 'Load more')).toHaveLength(0)
		expect(calls.map((c) => c.query.get('cursor'))).toEqual([null, 'c2'])
	})

	it('exports with the token in the header, never the URL, and deletes in two steps', async () => {
		signInAs('operator', ['sessions:list', 'sessions:export', 'sessions:delete'])
		vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:test/2')
		const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {})
		const calls = fakeGateway({
			'GET /v1/sessions': () => ({ body: { sessions: [summary('s1')], nextCursor: null } }),
			'GET /v1/sessions/s1/export': () => ({
				body: '{"type":"session"}\n',
				headers: { 'content-disposition': 'attachment; filename="main-s1.jsonl"' },
			}),
			'DELETE /v1/sessions/s1': () => ({ status: 204 }),
		})
		show()
		await vi.waitFor(() => expect(buttons(root(), 'Export')).toHaveLength(1))
		click(buttons(root(), 'Export')[0] as HTMLButtonElement)
		await vi.waitFor(() => expect(clicked).toHaveBeenCalledOnce())
		const exported = calls.find((c) => c.path === '/v1/sessions/s1/export')
		expect(exported?.headers.authorization).toBe('Bearer ek_0123456789abcdef_secret')
		expect(exported?.query.get('agent')).toBe('main')
		expect([...(exported?.query.values() ?? [])].join()).not.toContain('secret')

		click(buttons(root(), 'Delete')[0] as HTMLButtonElement)
		expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
		click(buttons(root(), 'Confirm delete')[0] as HTMLButtonElement)
		await vi.waitFor(() => expect(root().textContent).toContain('No sessions yet.'))
		expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.query.get('agent'))).toEqual([
			'main',
		])
	})

	it("links each session's last run to its trace when the principal may read sessions", async () => {
		signInAs('viewer', ['sessions:list', 'sessions:read'])
		fakeGateway({
			'GET /v1/sessions': () => ({
				body: {
					sessions: [
						summary('s1', 'bot'),
						{ ...summary('s2'), lastRunId: null, lastRunStatus: null },
					],
					nextCursor: null,
				},
			}),
		})
		show()
		await vi.waitFor(() => expect(root().querySelectorAll('tbody tr')).toHaveLength(2))
		const traces = [...root().querySelectorAll('a')].filter((a) => a.textContent === 'Trace')
		expect(traces.map((a) => a.getAttribute('href'))).toEqual([
			'/trace?agent=bot&session=s1&run=r1',
		])
		expect(traces[0]?.getAttribute('aria-describedby')).toBe('session-0')
	})
})
