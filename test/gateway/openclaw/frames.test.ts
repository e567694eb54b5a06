// The OpenClaw gateway protocol frame by frame: handshake, every error path, and a chat turn
// with its streamed events — through the Worker's real entry point and a real connection object.
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN } from '../../helpers'
import { key, tenant } from '../../security/helpers'
import { connected, connectParams, openWire } from './wire'

let member: string
let viewer: string
let operator: string

beforeAll(async () => {
	await tenant('oc')
	member = (await key('oc', 'member')).secret
	viewer = (await key('oc', 'viewer')).secret
	operator = (await key('oc', 'operator')).secret
})

describe('handshake', () => {
	it('challenges first, then answers connect with hello-ok', async () => {
		const wire = await openWire()
		const challenge = await wire.next((f) => f.event === 'connect.challenge')
		expect(wire.frames[0]).toBe(challenge)
		expect(typeof challenge.payload?.nonce).toBe('string')
		expect(Number.isInteger(challenge.payload?.ts)).toBe(true)
		const hello = await wire.request('connect', connectParams(member))
		expect(hello.ok).toBe(true)
		// biome-ignore lint/suspicious/noExplicitAny: a wire payload, asserted field by field
		const p = hello.payload as Record<string, any>
		expect(p.type).toBe('hello-ok')
		expect(p.protocol).toBe(4)
		expect(p.server.connId).toMatch(/^[0-9a-f]{64}$/)
		expect(p.features.methods).toEqual(
			expect.arrayContaining(['status', 'chat.send', 'agent.wait']),
		)
		expect(p.policy).toMatchObject({ maxPayload: 1_048_576, tickIntervalMs: 30_000 })
		// A member may hold read + write, never approvals: asked ∩ what the role allows.
		expect(p.auth).toEqual({ role: 'operator', scopes: ['operator.read', 'operator.write'] })
		expect(p.snapshot).toMatchObject({ presence: [], stateVersion: { presence: 0, health: 0 } })
		wire.ws.close(1000)
	})

	it('asking for operator.admin (the stock client default) grants the role its ceiling', async () => {
		const wire = await openWire()
		await wire.next((f) => f.event === 'connect.challenge')
		const hello = await wire.request(
			'connect',
			connectParams(member, { scopes: ['operator.admin'] }),
		)
		expect(hello.payload?.auth).toEqual({
			role: 'operator',
			scopes: ['operator.read', 'operator.write', 'operator.questions'],
		})
		const none = await connected(viewer, { scopes: [] })
		expect(
			((await none.request('status')).payload?.connection as { scopes?: string[] } | undefined)
				?.scopes,
		).toEqual(['operator.read'])
		wire.ws.close(1000)
		none.ws.close(1000)
	})

	it('also answers at / for clients that connect to the bare host', async () => {
		const wire = await openWire('/')
		await wire.next((f) => f.event === 'connect.challenge')
		expect((await wire.request('connect', connectParams(member))).ok).toBe(true)
		wire.ws.close(1000)
	})

	it('refuses a request before connect and closes the socket', async () => {
		const wire = await openWire()
		await wire.next((f) => f.event === 'connect.challenge')
		const res = await wire.request('status')
		expect(res.ok).toBe(false)
		expect(res.error).toMatchObject({
			code: 'INVALID_REQUEST',
			details: { code: 'CONNECT_REQUIRED' },
		})
		expect((await wire.closed).code).toBe(1008)
	})

	it('rejects an incompatible protocol range', async () => {
		const wire = await openWire()
		await wire.next((f) => f.event === 'connect.challenge')
		const res = await wire.request(
			'connect',
			connectParams(member, { minProtocol: 5, maxProtocol: 6 }),
		)
		expect(res.error).toMatchObject({
			code: 'INVALID_REQUEST',
			details: { code: 'PROTOCOL_MISMATCH', expectedProtocol: 4, clientMinProtocol: 5 },
		})
		expect((await wire.closed).code).toBe(1002)
	})

	it('rejects a bad token and a missing one', async () => {
		for (const auth of [{ token: 'ek_nope_nope' }, {}]) {
			const wire = await openWire()
			await wire.next((f) => f.event === 'connect.challenge')
			const res = await wire.request('connect', { ...connectParams(member), auth })
			expect(res.error?.code).toBe('INVALID_REQUEST')
			expect(['AUTH_TOKEN_MISMATCH', 'AUTH_TOKEN_MISSING']).toContain(res.error?.details?.code)
			expect(JSON.stringify(res)).not.toContain('ek_nope')
			expect((await wire.closed).code).toBe(1008)
		}
	})

	it('closes on JSON that does not parse before connect', async () => {
		const wire = await openWire()
		await wire.next((f) => f.event === 'connect.challenge')
		wire.send('{not json')
		expect((await wire.closed).code).toBe(1008)
	})

	it('closes on a pre-connect frame over 64 KiB', async () => {
		const wire = await openWire()
		await wire.next((f) => f.event === 'connect.challenge')
		wire.send({ type: 'req', id: 'big', method: 'connect', params: { pad: 'x'.repeat(70_000) } })
		expect((await wire.closed).code).toBe(1009)
	})

	it('rejects the node role', async () => {
		const wire = await openWire()
		await wire.next((f) => f.event === 'connect.challenge')
		const res = await wire.request('connect', connectParams(member, { role: 'node' }))
		expect(res.error?.details?.code).toBe('ROLE_UNSUPPORTED')
		expect((await wire.closed).code).toBe(1008)
	})
})

describe('after connect', () => {
	it('answers unknown methods, bad frames and bad params without dropping the socket', async () => {
		const wire = await connected(member)
		const unknown = await wire.request('talk.speak', { text: 'hi' })
		expect(unknown.error).toMatchObject({
			code: 'INVALID_REQUEST',
			details: { code: 'UNKNOWN_METHOD', method: 'talk.speak' },
		})
		wire.send('{not json')
		const bad = await wire.next((f) => f.event === 'gateway.error')
		expect(bad.payload).toMatchObject({ code: 'INVALID_REQUEST' })
		wire.send({ type: 'req', id: 'no-method' })
		const noMethod = await wire.next((f) => f.id === 'no-method')
		expect(noMethod.error?.details?.code).toBe('INVALID_FRAME')
		const badParams = await wire.request('chat.send', { sessionKey: 'main', message: 'hi' })
		expect(badParams.error?.code).toBe('INVALID_REQUEST')
		expect(badParams.error?.message).toContain('idempotencyKey')
		const again = await wire.request('connect', connectParams(member))
		expect(again.error?.message).toBe('already connected')
		// Still alive:
		expect((await wire.request('status')).ok).toBe(true)
		wire.ws.close(1000)
	})

	it('closes a post-connect frame over maxPayload', async () => {
		const wire = await connected(member)
		wire.send({ type: 'req', id: 'huge', method: 'status', params: { pad: 'x'.repeat(1_100_000) } })
		expect((await wire.closed).code).toBe(1009)
	})

	it('enforces scopes: a viewer cannot send', async () => {
		const wire = await connected(viewer)
		const res = await wire.request('chat.send', {
			sessionKey: 'main',
			message: 'hi',
			idempotencyKey: 'v-1',
		})
		expect(res.error).toMatchObject({
			code: 'FORBIDDEN',
			details: { code: 'MISSING_SCOPE', missingScope: 'operator.write' },
		})
		wire.ws.close(1000)
	})

	it('keeps tenants apart: the admin token acts in the tenant the upgrade names', async () => {
		const wire = await connected(ADMIN_TOKEN)
		const list = await wire.request('sessions.list')
		expect(list.ok).toBe(true)
		const status = await wire.request('status')
		expect(status.payload?.tenant).toBe('default')
		wire.ws.close(1000)
	})
})

describe('chat', () => {
	it('chat.send acks, then streams chat deltas to a final, and history shows the turn', async () => {
		const wire = await connected(member)
		const ack = await wire.request('chat.send', {
			sessionKey: 'agent:main:chat-1',
			message: 'hello there',
			idempotencyKey: 'k-1',
		})
		// OpenClaw's runId is the idempotencyKey; events carry it too.
		expect(ack.payload).toMatchObject({ status: 'started', runId: 'k-1' })
		const runId = ack.payload?.runId as string
		const final = await wire.next(
			(f) => f.event === 'chat' && f.payload?.runId === runId && f.payload?.state === 'final',
		)
		expect(final.payload).toMatchObject({
			sessionKey: 'agent:main:chat-1',
			message: { role: 'assistant', content: [{ type: 'text', text: 'echo: hello there' }] },
		})
		const chat = wire.frames.filter((f) => f.event === 'chat' && f.payload?.runId === runId)
		const deltas = chat.filter((f) => f.payload?.state === 'delta')
		expect(deltas.length).toBeGreaterThan(0)
		expect(deltas.map((f) => f.payload?.deltaText).join('')).toBe('echo: hello there')
		// Per-run chat seq counts up; connection seq is strictly increasing across all events.
		expect(chat.map((f) => f.payload?.seq)).toEqual(chat.map((_, i) => i + 1))
		const seqs = wire.frames.filter((f) => f.seq !== undefined).map((f) => f.seq as number)
		expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
		expect(new Set(seqs).size).toBe(seqs.length)
		await wire.next(
			(f) =>
				f.event === 'agent' && (f.payload?.data as { phase?: string } | undefined)?.phase === 'end',
		)
		const lifecycle = wire.frames
			.filter((f) => f.event === 'agent' && f.payload?.stream === 'lifecycle')
			.map((f) => (f.payload?.data as { phase?: string } | undefined)?.phase)
		expect(lifecycle).toEqual(['start', 'end'])

		const history = await wire.request('chat.history', { sessionKey: 'agent:main:chat-1' })
		expect(history.payload?.messages).toMatchObject([
			{ role: 'user', content: [{ type: 'text', text: 'hello there' }] },
			{ role: 'assistant', content: [{ type: 'text', text: 'echo: hello there' }] },
		])
		// The same session seen over HTTP: one lane, two protocols.
		const wait = await wire.request('agent.wait', { runId, timeoutMs: 1_000 })
		expect(wait.payload).toMatchObject({ runId, status: 'ok' })
		wire.ws.close(1000)
	})

	it('a duplicate idempotencyKey names the first run and starts nothing', async () => {
		const wire = await connected(member)
		const params = { sessionKey: 'dup-1', message: 'once', idempotencyKey: 'same-key' }
		const first = await wire.request('chat.send', params)
		const second = await wire.request('chat.send', params)
		expect(first.payload?.runId).toBe('same-key')
		expect(second.payload).toMatchObject({ runId: 'same-key', duplicate: true })
		const runs = await env.SESSION_LANE.getByName('oc/main/dup-1').listRuns(0, 10)
		expect(runs.ok && runs.value.runs.length).toBe(1)
		wire.ws.close(1000)
	})

	it('chat.abort cancels the active run and streams aborted', async () => {
		const wire = await connected(member)
		const ack = await wire.request('chat.send', {
			sessionKey: 'abort-1',
			message: '/slow 60000 never',
			idempotencyKey: 'a-1',
		})
		const runId = ack.payload?.runId as string
		await wire.next((f) => f.event === 'agent' && f.payload?.runId === runId)
		const abort = await wire.request('chat.abort', { sessionKey: 'abort-1', runId })
		expect(abort.payload).toMatchObject({ ok: true, aborted: true, runIds: [runId] })
		await wire.next((f) => f.event === 'chat' && f.payload?.state === 'aborted')
		wire.ws.close(1000)
	})

	it('agent answers accepted, then the final result on the same request id', async () => {
		const wire = await connected(member)
		wire.send({
			type: 'req',
			id: 'ag-1',
			method: 'agent',
			params: { message: 'two phase', idempotencyKey: 'ag-1', sessionKey: 'agent-1' },
		})
		const accepted = await wire.next((f) => f.id === 'ag-1')
		expect(accepted.payload).toMatchObject({ status: 'accepted' })
		const final = await wire.next((f) => f.id === 'ag-1' && f.payload?.status === 'ok')
		expect(final.payload).toMatchObject({ summary: 'echo: two phase' })
		wire.ws.close(1000)
	})

	it('an unknown agent is a clear error, not a dropped socket', async () => {
		const wire = await connected(member)
		const res = await wire.request('chat.send', {
			sessionKey: 'agent:ghost:x',
			message: 'hi',
			idempotencyKey: 'g-1',
		})
		expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'NOT_FOUND' } })
		expect((await wire.request('status')).ok).toBe(true)
		wire.ws.close(1000)
	})
})

describe('sessions', () => {
	it('lists, subscribes to messages, resets and deletes', async () => {
		const wire = await connected(member)
		await wire.request('chat.send', { sessionKey: 's-1', message: 'one', idempotencyKey: 's-1a' })
		await wire.next((f) => f.event === 'chat' && f.payload?.state === 'final')
		const sub = await wire.request('sessions.messages.subscribe', { key: 's-1' })
		expect(sub.payload).toMatchObject({ subscribed: true, key: 'agent:main:s-1' })
		await wire.request('chat.send', { sessionKey: 's-1', message: 'two', idempotencyKey: 's-1b' })
		const message = await wire.next((f) => f.event === 'session.message')
		expect(message.payload).toMatchObject({
			sessionKey: 'agent:main:s-1',
			message: { role: 'assistant', content: [{ type: 'text', text: 'echo: two' }] },
		})
		const reset = await wire.request('sessions.reset', { key: 's-1' })
		expect(reset.ok).toBe(true)
		expect((await wire.request('chat.history', { sessionKey: 's-1' })).payload?.messages).toEqual(
			[],
		)
		// Scope is not enough: the tenant's policies decide too, and a member may not delete.
		const denied = await wire.request('sessions.delete', { key: 'agent:main:s-1' })
		expect(denied.error).toMatchObject({
			code: 'FORBIDDEN',
			details: { code: 'POLICY_DENIED', action: 'sessions:delete' },
		})
		wire.ws.close(1000)
		const op = await connected(operator)
		const del = await op.request('sessions.delete', { key: 'agent:main:s-1' })
		expect(del.payload).toMatchObject({ ok: true, deleted: true })
		op.ws.close(1000)
	})

	it('agents.list and models.list show the tenant’s agents', async () => {
		const wire = await connected(member)
		const agents = await wire.request('agents.list')
		expect(agents.payload).toMatchObject({ defaultId: 'main', agents: [{ id: 'main' }] })
		const models = await wire.request('models.list')
		// As OpenClaw names a model: provider id and model id (the CLI shows `offline/echo`).
		expect(models.payload?.models).toEqual([
			expect.objectContaining({ id: 'echo', provider: 'offline', tags: ['default'] }),
		])
		wire.ws.close(1000)
	})
})
