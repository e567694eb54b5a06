// OpenClaw's TUI session, with the client the TUI is built on (`@openclaw/gateway-client`, with the
// options `openclaw tui` gives it) against `wrangler dev` (setup.ts): hello, the startup calls the
// TUI must finish before it counts itself connected, a streamed turn, and an abort.
import { GatewayClient } from '@openclaw/gateway-client'
import { describe, expect, inject, it } from 'vitest'
import { STATE_WAIT_MS } from '../timeouts.js'

const baseUrl = inject('baseUrl')
const operatorKey = inject('operatorKey')

interface Event {
	event: string
	payload?: Record<string, unknown>
}

/** A client configured as the TUI's GatewayChatClient configures it. */
function tuiClient() {
	const events: Event[] = []
	const hello = Promise.withResolvers<Record<string, unknown>>()
	const client = new GatewayClient({
		url: `${baseUrl.replace(/^http/, 'ws')}/v1/gateway`,
		token: operatorKey,
		clientName: 'openclaw-tui',
		clientDisplayName: 'openclaw-tui',
		clientVersion: '2026.9.6',
		mode: 'ui',
		scopes: ['operator.admin', 'operator.read', 'operator.write', 'operator.approvals'],
		caps: ['agent-kind', 'plugin-approvals', 'task-suggestions', 'tool-events'],
		instanceId: crypto.randomUUID(),
		minProtocol: 4,
		maxProtocol: 4,
		onHelloOk: (h) => hello.resolve(h as unknown as Record<string, unknown>),
		onConnectError: (error) => hello.reject(error),
		onEvent: (e) => events.push(e as Event),
	})
	client.start()
	const until = async (pred: (e: Event) => boolean) => {
		const deadline = Date.now() + STATE_WAIT_MS
		while (!events.some(pred)) {
			if (Date.now() > deadline) throw new Error(`no such event in ${JSON.stringify(events)}`)
			await new Promise((r) => setTimeout(r, 20))
		}
		return events.find(pred) as Event
	}
	return { client, hello: hello.promise, events, until }
}

describe('openclaw tui (its gateway client)', () => {
	it('connects, subscribes, loads history, streams a turn and aborts a run', async () => {
		const { client, hello, until } = tuiClient()
		try {
			const h = (await hello) as { features: { methods: string[]; capabilities: string[] } }
			expect(h.features.methods).toEqual(
				expect.arrayContaining(['sessions.subscribe', 'sessions.describe', 'question.list']),
			)
			expect(h.features.capabilities).toContain('published-model-catalog')
			expect(await client.request('sessions.subscribe', {})).toEqual({ subscribed: true })
			const session = 'agent:main:contract-tui'
			const described = (await client.request('sessions.describe', { key: session })) as {
				session: unknown
			}
			expect(described.session).toBeNull()
			expect(await client.request('question.list', {})).toEqual({ questions: [] })
			expect(await client.request('plugin.approval.list', {})).toEqual([])
			const history = (await client.request('chat.history', {
				sessionKey: session,
				limit: 200,
			})) as { messages: unknown[]; defaults: Record<string, unknown> }
			expect(history.messages).toEqual([])
			expect(history.defaults).toMatchObject({ modelSelectionTarget: 'session' })

			const runId = crypto.randomUUID()
			await client.request('chat.send', {
				sessionKey: session,
				message: 'tui over the wire',
				idempotencyKey: runId,
			})
			const final = await until(
				(e) => e.event === 'chat' && e.payload?.runId === runId && e.payload?.state === 'final',
			)
			expect(JSON.stringify(final.payload?.message)).toContain('echo: tui over the wire')
			await until((e) => e.event === 'sessions.changed' && e.payload?.phase === 'end')

			const slow = crypto.randomUUID()
			await client.request('chat.send', {
				sessionKey: session,
				message: '/slow 60000 never',
				idempotencyKey: slow,
			})
			await until((e) => e.event === 'agent' && e.payload?.runId === slow)
			const abort = (await client.request('chat.abort', {
				sessionKey: session,
				preserveSideRuns: true,
			})) as { aborted: boolean }
			expect(abort.aborted).toBe(true)
			await until(
				(e) => e.event === 'chat' && e.payload?.runId === slow && e.payload?.state === 'aborted',
			)
		} finally {
			client.stop()
		}
	})
})
