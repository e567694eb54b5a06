// OpenClaw's Control UI against edgeclaw, with the frames it sends (fixtures/openclaw-clients.ts):
// its startup reads answer with what its chat, sessions, approvals and logs views read (e.g.
// `sessions.list` → `defaults.modelSelectionTarget`, which it dereferences), from edgeclaw's own
// data; config.get shows no secret; features edgeclaw lacks answer empty, never invented.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../helpers'
import { key, tenant } from '../../security/helpers'
import { controlUi, controlUiConnect } from './fixtures/openclaw-clients'
import { connected } from './wire'

let operator: string
let member: string

beforeAll(async () => {
	await tenant('ocui')
	// An agent whose provider names a secret and a private endpoint: neither may leak.
	await env.DB.prepare('INSERT INTO agents (tenant_id, id, name, config) VALUES (?, ?, ?, ?)')
		.bind(
			'ocui',
			'private',
			'Private Agent',
			JSON.stringify({
				model: { primary: 'corp:gpt-internal', fallbacks: ['offline:echo'] },
				providers: {
					corp: {
						kind: 'openai-compatible',
						baseURL: 'https://llm.corp.example/v1',
						profiles: [{ id: 'main', secret: 'CORP_LLM_SECRET_KEY' }],
					},
				},
				instructions: 'internal instructions',
			}),
		)
		.run()
	operator = (await key('ocui', 'operator')).secret
	member = (await key('ocui', 'member')).secret
})

describe('openclaw control ui', () => {
	it('startup: subscribe, sessions with defaults, config, identity, metadata, auth, observer', async () => {
		const wire = await connected(operator, controlUiConnect(operator))
		const hello = wire.frames.find((f) => f.payload?.type === 'hello-ok')
		expect(hello?.payload?.auth).toMatchObject({
			scopes: expect.arrayContaining(['operator.questions', 'operator.approvals']),
		})
		// It requires `subscribed: true`, else it retries forever.
		expect((await wire.request('sessions.subscribe', controlUi.subscribe)).payload).toEqual({
			subscribed: true,
		})
		const sent = await wire.request('chat.send', controlUi.send('agent:main:main', 'hi ui', 'ui-1'))
		expect(sent.payload).toMatchObject({ runId: 'ui-1', status: 'started' })
		await wire.next((f) => f.event === 'chat' && f.payload?.state === 'final')

		const sessions = await wire.request('sessions.list', controlUi.sessions)
		// The chat view reads sessionsResult.defaults.modelSelectionTarget.
		expect(sessions.payload?.defaults).toMatchObject({
			modelSelectionTarget: 'session',
			model: 'echo',
			modelProvider: 'offline',
		})
		expect(sessions.payload?.sessions).toContainEqual(
			expect.objectContaining({ key: 'agent:main:main', kind: 'direct', isMain: true }),
		)

		const startup = await wire.request('chat.startup', controlUi.startup('agent:main:main'))
		expect(startup.payload).toMatchObject({
			sessionKey: 'agent:main:main',
			sessionInfo: { key: 'agent:main:main' },
			messages: [{ role: 'user' }, { role: 'assistant' }],
			hasMore: false,
		})

		const identity = await wire.request('agent.identity.get', controlUi.identity('private'))
		expect(identity.payload).toEqual({
			agentId: 'private',
			name: 'Private Agent',
			nameSource: 'config',
			avatarStatus: 'none',
		})
		const metadata = await wire.request(
			'chat.metadata',
			controlUi.metadata('private', 'agent:private:main'),
		)
		expect(metadata.payload).toMatchObject({
			agentId: 'private',
			modelSelectionTarget: 'session',
			models: [
				{ id: 'gpt-internal', provider: 'corp', tags: ['default'] },
				{ id: 'echo', provider: 'offline' },
			],
		})
		const models = await wire.request('models.list', controlUi.models('main', 'agent:main:main'))
		expect(models.payload?.models).toEqual([expect.objectContaining({ id: 'echo' })])
		const described = await wire.request('sessions.describe', controlUi.describe('agent:main:main'))
		expect(described.payload?.session).toMatchObject({ key: 'agent:main:main', isMain: true })
		const resolved = await wire.request('sessions.resolve', controlUi.resolve('agent:main:main'))
		expect(resolved.payload).toEqual({
			ok: true,
			key: 'agent:main:main',
			agentId: 'main',
			displayName: 'main',
		})
		// Short ids name nothing here; a missing session is not an error when allowed.
		const short = await wire.request('sessions.resolve', controlUi.resolveShortId('a1b2c3'))
		expect(short.payload).toEqual({ ok: false })
		const missing = await wire.request('sessions.resolve', { key: 'agent:main:never-used' })
		expect(missing.error?.details?.code).toBe('NOT_FOUND')
		const messages = await wire.request('sessions.messages.subscribe', controlUi.messages('x'))
		expect(messages.payload).toMatchObject({ subscribed: true, key: 'agent:main:x' })
		const auth = await wire.request('models.authStatus', controlUi.authStatus('main'))
		expect(auth.payload).toMatchObject({ providers: [], unavailable: { code: expect.any(String) } })
		expect(
			(await wire.request('sessions.observer.visibility', controlUi.observer)).payload,
		).toEqual({ ok: true })
		wire.ws.close(1000)
	})

	it('a send is found in the history by the client’s names; child sessions are none', async () => {
		const wire = await connected(operator, controlUiConnect(operator))
		await wire.request('chat.send', controlUi.send('agent:main:ui-send', 'find me', 'ui-send-1'))
		await wire.next((f) => f.event === 'chat' && f.payload?.state === 'final')
		const history = await wire.request(
			'chat.history',
			controlUi.historyAfterSend('agent:main:ui-send', 'ui-send-1'),
		)
		const [user, assistant] = (history.payload?.messages ?? []) as {
			__openclaw: Record<string, unknown>
		}[]
		// The pending bubble (idempotencyKey `<runId>:user`) and the streamed answer (its runId)
		// are matched to these, so each shows once.
		expect(user?.__openclaw).toMatchObject({ runId: 'ui-send-1', idempotencyKey: 'ui-send-1:user' })
		expect(assistant?.__openclaw).toMatchObject({ runId: 'ui-send-1' })
		expect(history.payload?.inputReceipts).toEqual([
			{ runId: 'ui-send-1', state: 'consumed', consumedByEventId: user?.__openclaw.id },
		])
		expect(history.payload?.inputConsumptions).toEqual([
			{ runId: 'ui-send-1', consumedByEventId: user?.__openclaw.id },
		])
		// `limit` has no bound in the protocol: a large one is read as the largest page.
		const children = await wire.request('sessions.list', controlUi.childSessions('agent:main:main'))
		expect(children.payload).toMatchObject({ count: 0, sessions: [] })
		wire.ws.close(1000)
	})

	it('config.get is a read-only view of the agents without a secret, endpoint or instructions', async () => {
		const wire = await connected(operator, controlUiConnect(operator))
		const config = await wire.request('config.get', controlUi.config)
		expect(config.payload).toMatchObject({ exists: true, valid: true, readOnly: true, issues: [] })
		// The TUI reads runtimeConfig.gateway.controlUi.basePath.
		expect(config.payload?.runtimeConfig).toMatchObject({
			gateway: { controlUi: { basePath: '' } },
		})
		expect(config.payload?.config).toMatchObject({
			agents: {
				defaults: { model: { primary: 'offline/echo' } },
				list: expect.arrayContaining([
					expect.objectContaining({
						id: 'private',
						model: { primary: 'corp/gpt-internal', fallbacks: ['offline/echo'] },
					}),
				]),
			},
		})
		const text = JSON.stringify(config.payload)
		for (const secret of ['CORP_LLM_SECRET_KEY', 'llm.corp.example', 'internal instructions']) {
			expect(text).not.toContain(secret)
		}
		wire.ws.close(1000)
	})

	it('what edgeclaw lacks answers empty: cron, presence, questions, plugin approvals', async () => {
		const wire = await connected(operator, controlUiConnect(operator))
		// The automations page checks the page's bookkeeping (a revision, offsets) before it renders.
		expect((await wire.request('cron.list', controlUi.cronList)).payload).toEqual({
			jobs: [],
			snapshotRevision: 'no-scheduler',
			total: 0,
			offset: 0,
			limit: 50,
			hasMore: false,
			nextOffset: null,
		})
		expect((await wire.request('cron.runs', controlUi.cronRuns)).payload).toMatchObject({
			entries: [],
			total: 0,
			hasMore: false,
		})
		expect((await wire.request('cron.status', controlUi.cronStatus)).payload).toEqual({
			enabled: false,
			jobs: 0,
			nextWakeAtMs: null,
		})
		expect((await wire.request('system-presence', controlUi.presence)).payload).toEqual([])
		expect((await wire.request('question.list', {})).payload).toEqual({ questions: [] })
		// Lists are arrays; edgeclaw has no plugin or system-agent approvals.
		expect((await wire.request('plugin.approval.list', controlUi.approvals)).payload).toEqual([])
		expect((await wire.request('openclaw.approval.list', controlUi.approvals)).payload).toEqual([])
		expect((await wire.request('exec.approval.list', controlUi.approvals)).payload).toEqual([])
		wire.ws.close(1000)
	})

	it('logs.tail tails the tenant audit log by sequence, and follows from its cursor', async () => {
		const wire = await connected(operator, controlUiConnect(operator))
		// The connect itself is audited (gateway.connected), once its row is written.
		const first = await eventually(async () => {
			const res = await wire.request('logs.tail', controlUi.logs())
			const lines = (res.payload?.lines ?? []) as string[]
			return lines.length > 0 ? res : undefined
		})
		const lines = first.payload?.lines as string[]
		expect(first.payload).toMatchObject({ file: 'audit:ocui' })
		expect(lines.length).toBeGreaterThan(0)
		const last = JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>
		expect(last).toMatchObject({ subsystem: 'audit', seq: first.payload?.cursor })
		expect(typeof last.action).toBe('string')
		// From its cursor on, only entries written after it (other writers may add some meanwhile).
		const cursor = first.payload?.cursor as number
		const next = await wire.request('logs.tail', controlUi.logs(cursor))
		const seqs = ((next.payload?.lines ?? []) as string[]).map(
			(l) => (JSON.parse(l) as { seq: number }).seq,
		)
		expect(seqs.every((seq) => seq > cursor)).toBe(true)
		expect(next.payload?.cursor).toBe(seqs.length > 0 ? seqs[seqs.length - 1] : cursor)
		// A cursor from another log starts over.
		const reset = await wire.request('logs.tail', controlUi.logs(10_000_000))
		expect(reset.payload).toMatchObject({ reset: true })
		wire.ws.close(1000)
	})

	it('policies decide: a member may not read the audit log; bad params are INVALID_REQUEST', async () => {
		const wire = await connected(member, controlUiConnect(member))
		const logs = await wire.request('logs.tail', controlUi.logs())
		expect(logs.error).toMatchObject({
			code: 'FORBIDDEN',
			details: { code: 'POLICY_DENIED', action: 'audit:read' },
		})
		for (const [method, params] of [
			['sessions.observer.visibility', {}],
			['logs.tail', { limit: 0 }],
			['chat.startup', { sessionKey: 'agent:main:main', limit: 'all' }],
			['agent.identity.get', { agentId: '' }],
			['cron.list', { limit: 1_000 }],
		] as const) {
			const res = await wire.request(method, params)
			expect(res.error?.code, `${method} ${JSON.stringify(params)}`).toBe('INVALID_REQUEST')
		}
		const ghost = await wire.request('agent.identity.get', { agentId: 'ghost' })
		expect(ghost.error?.details?.code).toBe('NOT_FOUND')
		wire.ws.close(1000)
	})
})
