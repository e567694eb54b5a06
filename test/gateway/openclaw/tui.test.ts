// The OpenClaw TUI against edgeclaw, with the frames it sends (fixtures/openclaw-clients.ts): its
// connect, the startup sequence it must finish before it counts itself connected
// (sessions.subscribe → agents.list → sessions.describe/list → question.list →
// plugin.approval.list → chat.history), then a streamed chat turn and an abort.
import { beforeAll, describe, expect, it } from 'vitest'
import { key, tenant } from '../../security/helpers'
import { cliModelsList, tui, tuiConnect } from './fixtures/openclaw-clients'
import { connected, type Frame, type Wire } from './wire'

let operator: string
let member: string

beforeAll(async () => {
	await tenant('octui')
	operator = (await key('octui', 'operator')).secret
	member = (await key('octui', 'member')).secret
})

const SESSION = 'agent:main:tui-1'

/** What the TUI does on hello-ok, in its order; each answer must be one it accepts. */
async function startup(wire: Wire, sessionKey: string) {
	const subscribed = await wire.request('sessions.subscribe', tui.subscribe)
	expect(subscribed.payload).toEqual({ subscribed: true })
	const agents = await wire.request('agents.list', tui.agents)
	expect(agents.payload).toMatchObject({ defaultId: 'main', agents: [{ id: 'main' }] })
	const [described, listing] = await Promise.all([
		wire.request('sessions.describe', tui.describe(sessionKey)),
		wire.request('sessions.list', tui.listForDefaults('main')),
	])
	expect(described.ok).toBe(true)
	// The footer's model comes from the listing's defaults.
	expect(listing.payload?.defaults).toMatchObject({
		modelProvider: 'offline',
		model: 'echo',
		modelSelectionTarget: 'session',
	})
	const questions = await wire.request('question.list', tui.questions)
	expect(questions.payload).toEqual({ questions: [] })
	const plugin = await wire.request('plugin.approval.list', tui.pluginApprovals)
	expect(plugin.payload).toEqual([])
	const history = await wire.request('chat.history', tui.history(sessionKey))
	expect(history.ok).toBe(true)
	return { described, history }
}

const chatOf = (runId: string, state: string) => (f: Frame) =>
	f.event === 'chat' && f.payload?.runId === runId && f.payload?.state === state

describe('openclaw tui', () => {
	it('connects, loads history, sends with streaming, and hears session events', async () => {
		const wire = await connected(operator, tuiConnect(operator))
		const { described, history } = await startup(wire, SESSION)
		expect(described.payload?.session).toBeNull()
		expect(history.payload).toMatchObject({
			sessionKey: SESSION,
			messages: [],
			defaults: { model: 'echo', modelSelectionTarget: 'session' },
		})

		const ack = await wire.request('chat.send', tui.send(SESSION, 'hello tui', 'tui-run-1'))
		expect(ack.payload).toMatchObject({ runId: 'tui-run-1', status: 'started' })
		const final = await wire.next(chatOf('tui-run-1', 'final'))
		expect(final.payload?.message).toMatchObject({
			role: 'assistant',
			content: [{ type: 'text', text: 'echo: hello tui' }],
		})
		const deltas = wire.frames.filter(chatOf('tui-run-1', 'delta'))
		expect(deltas.map((f) => f.payload?.deltaText).join('')).toBe('echo: hello tui')
		// Subscribed to session events: the run's edges and its answer as a transcript message.
		const ended = await wire.next(
			(f) => f.event === 'sessions.changed' && f.payload?.phase === 'end',
		)
		expect(ended.payload).toMatchObject({
			sessionKey: SESSION,
			agentId: 'main',
			runId: 'tui-run-1',
		})
		expect(
			wire.frames.some((f) => f.event === 'sessions.changed' && f.payload?.phase === 'start'),
		).toBe(true)
		const message = await wire.next((f) => f.event === 'session.message')
		expect(message.payload).toMatchObject({ sessionKey: SESSION, runId: 'tui-run-1' })

		// A reload shows the turn, with the session's row.
		const again = await wire.request('chat.history', tui.history(SESSION))
		expect(again.payload?.messages).toMatchObject([
			{ role: 'user', content: [{ type: 'text', text: 'hello tui' }] },
			{ role: 'assistant', content: [{ type: 'text', text: 'echo: hello tui' }] },
		])
		expect(again.payload?.sessionInfo).toMatchObject({ key: SESSION, kind: 'direct' })
		wire.ws.close(1000)
	})

	it('aborts the active run the way the TUI asks (no run id, preserveSideRuns)', async () => {
		const wire = await connected(operator, tuiConnect(operator))
		await startup(wire, 'agent:main:tui-abort')
		await wire.request('chat.send', tui.send('agent:main:tui-abort', '/slow 60000 x', 'tui-slow'))
		await wire.next((f) => f.event === 'agent' && f.payload?.runId === 'tui-slow')
		const abort = await wire.request('chat.abort', tui.abort('agent:main:tui-abort'))
		expect(abort.payload).toMatchObject({ ok: true, aborted: true })
		await wire.next(chatOf('tui-slow', 'aborted'))
		wire.ws.close(1000)
	})

	it('a second TUI on the same session streams a run the first one started', async () => {
		const first = await connected(operator, tuiConnect(operator))
		const second = await connected(operator, tuiConnect(operator))
		await startup(first, 'agent:main:tui-shared')
		// Reading the history while subscribed follows the session.
		await startup(second, 'agent:main:tui-shared')
		await first.request('chat.send', tui.send('agent:main:tui-shared', 'both see this', 'shared-1'))
		const seen = await second.next((f) => f.event === 'chat' && f.payload?.state === 'final')
		expect(seen.payload).toMatchObject({
			sessionKey: 'agent:main:tui-shared',
			message: { content: [{ type: 'text', text: 'echo: both see this' }] },
		})
		first.ws.close(1000)
		second.ws.close(1000)
	})

	it('lists models as `openclaw models list` reads them, after checking the capability', async () => {
		const wire = await connected(operator, tuiConnect(operator))
		const hello = wire.frames.find((f) => f.payload?.type === 'hello-ok')
		expect(hello?.payload?.features).toMatchObject({ capabilities: ['published-model-catalog'] })
		const models = await wire.request('models.list', cliModelsList)
		expect(models.payload?.models).toEqual([
			{
				id: 'echo',
				name: 'echo',
				provider: 'offline',
				contextWindow: 128_000,
				supportsTools: true,
				input: ['text'],
				tags: ['default'],
			},
		])
		const unknown = await wire.request('models.list', { agentId: 'ghost' })
		expect(unknown.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'NOT_FOUND' } })
		wire.ws.close(1000)
	})

	it('a member has no approvals scope: plugin.approval.list is refused, the rest works', async () => {
		const wire = await connected(member, tuiConnect(member))
		const plugin = await wire.request('plugin.approval.list', tui.pluginApprovals)
		// The TUI reports this as a system line and carries on.
		expect(plugin.error).toMatchObject({
			code: 'FORBIDDEN',
			details: { code: 'MISSING_SCOPE', missingScope: 'operator.approvals' },
		})
		expect((await wire.request('question.list', tui.questions)).payload).toEqual({ questions: [] })
		expect((await wire.request('chat.history', tui.history(SESSION))).ok).toBe(true)
		wire.ws.close(1000)
	})

	it('answers bad params with INVALID_REQUEST and keeps the socket', async () => {
		const wire = await connected(operator, tuiConnect(operator))
		for (const [method, params] of [
			['sessions.describe', {}],
			['sessions.describe', { key: 'agent:main:bad key!' }],
			['chat.history', { sessionKey: SESSION, limit: 0 }],
			['sessions.subscribe', { limit: 'all' }],
			['models.list', { view: 'everything' }],
		] as const) {
			const res = await wire.request(method, params)
			expect(res.error?.code, `${method} ${JSON.stringify(params)}`).toBe('INVALID_REQUEST')
		}
		expect((await wire.request('status')).ok).toBe(true)
		wire.ws.close(1000)
	})
})
