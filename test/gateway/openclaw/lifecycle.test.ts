// The connection object's lifecycle: ticks and the handshake deadline come from its alarm, a
// revoked key is noticed at its next request, lane event or tick, a closed socket stops the lanes
// relaying to it, and no frame a client can send after connect drops the socket (fast-check).
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import fc from 'fast-check'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { HANDSHAKE_TIMEOUT_MS } from '../../../src/gateway/openclaw/protocol'
import { fakeHost } from '../../fakes/openclaw-host'
import { ADMIN_TOKEN, call, eventually } from '../../helpers'
import { key, tenant } from '../../security/helpers'
import { connected, connectParams, type Wire } from './wire'

let member: { id: string; secret: string }

beforeAll(async () => {
	await tenant('life')
	member = await key('life', 'member')
})

const connOf = async (wire: Wire) => {
	const status = await wire.request('status')
	const id = (status.payload?.connection as { id: string } | undefined)?.id ?? ''
	return env.GATEWAY_CONNECTION.get(env.GATEWAY_CONNECTION.idFromString(id))
}

describe('alarms', () => {
	it('sends a tick on each alarm, without a seq', async () => {
		const wire = await connected(member.secret)
		const stub = await connOf(wire)
		expect(await runDurableObjectAlarm(stub)).toBe(true)
		const tick = await wire.next((f) => f.event === 'tick')
		expect(typeof tick.payload?.ts).toBe('number')
		expect(tick.seq).toBeUndefined()
		wire.ws.close(1000)
	})

	it('closes a socket that never completes connect', async () => {
		const h = fakeHost(env)
		h.conn.open({ tenant: 'life', requestId: 'r' })
		expect(JSON.parse(h.sent[0] ?? '{}')).toMatchObject({ event: 'connect.challenge' })
		expect(h.alarms).toEqual([h.clock.now + HANDSHAKE_TIMEOUT_MS])
		await h.conn.alarm()
		expect(h.closes).toEqual([[1008, 'connect not completed in time']])
	})

	it('closes a JWT-authenticated socket when the JWT expires', async () => {
		const pair = await generateKeyPair('RS256', { extractable: true })
		const jwks = JSON.stringify({
			keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }],
		})
		const jwt = await new SignJWT({ tenant: 'life', role: 'member' })
			.setProtectedHeader({ alg: 'RS256', kid: 'k1' })
			.setSubject('someone@life.test')
			.setIssuer('https://issuer.test')
			.setAudience('edgeclaw')
			.setIssuedAt()
			.setExpirationTime('2m')
			.sign(pair.privateKey)
		const h = fakeHost({
			...env,
			EDGECLAW_JWT_JWKS: jwks,
			EDGECLAW_JWT_ISSUER: 'https://issuer.test',
			EDGECLAW_JWT_AUDIENCE: 'edgeclaw',
		} as Env)
		h.conn.open({ tenant: 'life', requestId: 'r' })
		await h.conn.receive(
			JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: connectParams(jwt) }),
		)
		expect(JSON.parse(h.sent[1] ?? '{}')).toMatchObject({ id: 'c', ok: true })
		await h.conn.alarm()
		expect(h.closes).toEqual([])
		// The alarm comes at the next tick, or at the JWT's expiry when that is sooner.
		expect(h.alarms.at(-1)).toBe(h.clock.now + 30_000)
		h.clock.now += 3 * 60_000
		await h.conn.receive(JSON.stringify({ type: 'req', id: 's', method: 'status' }))
		expect(JSON.parse(h.sent.at(-2) ?? '{}')).toMatchObject({
			id: 's',
			ok: false,
			error: { details: { code: 'AUTH_UNAUTHORIZED' } },
		})
		expect(h.closes).toEqual([[4001, 'credentials revoked or expired']])
	})

	it('closes with 4001 at the next tick once the API key is revoked', async () => {
		const k = await key('life', 'member')
		const wire = await connected(k.secret)
		const stub = await connOf(wire)
		await revoke(k.id)
		// The tick right after connecting re-checks: there is no minute-long grace any more.
		await runDurableObjectAlarm(stub)
		expect(await wire.closed).toEqual({ code: 4001, reason: 'credentials revoked or expired' })
		expect(wire.frames.some((f) => f.event === 'tick')).toBe(false)
	})
})

const revoke = async (id: string) => {
	const res = await call(`/v1/keys/${id}`, {
		method: 'DELETE',
		headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-edgeclaw-tenant': 'life' },
	})
	expect(res.status).toBe(204)
}

describe('a revoked key', () => {
	it('gets no answer to its next request: refused, and the socket closes with 4001', async () => {
		const k = await key('life', 'member')
		const wire = await connected(k.secret)
		expect((await wire.request('status')).ok).toBe(true)
		await revoke(k.id)
		const refused = await wire.request('status')
		expect(refused).toMatchObject({
			ok: false,
			error: { code: 'INVALID_REQUEST', details: { code: 'AUTH_UNAUTHORIZED' } },
		})
		expect(await wire.next((f) => f.event === 'shutdown')).toMatchObject({
			payload: { reason: 'credentials revoked or expired' },
		})
		expect((await wire.closed).code).toBe(4001)
	})

	it('gets no more events of the sessions it follows: the socket closes with 4001', async () => {
		const k = await key('life', 'member')
		const wire = await connected(k.secret)
		await wire.request('chat.send', {
			sessionKey: 'revoked-1',
			message: 'hi',
			idempotencyKey: 'v1',
		})
		await wire.next((f) => f.event === 'chat' && f.payload?.state === 'final')
		await revoke(k.id)
		const before = wire.frames.length
		// Someone else talks in the followed session; its events reach the connection first.
		const sent = await call('/v1/sessions/revoked-1/messages', {
			method: 'POST',
			headers: {
				authorization: `Bearer ${ADMIN_TOKEN}`,
				'x-edgeclaw-tenant': 'life',
				'content-type': 'application/json',
			},
			body: JSON.stringify({ content: 'still there?', wait: true }),
		})
		expect(sent.status).toBe(200)
		expect((await wire.closed).code).toBe(4001)
		const after = wire.frames.slice(before)
		expect(after.map((f) => f.event)).toEqual(['shutdown'])
	})
})

describe('relays', () => {
	it('a closed socket unfollows its lanes', async () => {
		const wire = await connected(member.secret)
		const stub = await connOf(wire)
		const connId = stub.id.toString()
		await wire.request('chat.send', { sessionKey: 'relay-1', message: 'hi', idempotencyKey: 'r1' })
		await wire.next((f) => f.event === 'chat' && f.payload?.state === 'final')
		const lane = env.SESSION_LANE.getByName('life/main/relay-1')
		const relays = () =>
			runInDurableObject(lane, (_i, state) =>
				state.storage.sql
					.exec<{ id: string }>('SELECT id FROM relays')
					.toArray()
					.map((r) => r.id),
			)
		expect(await relays()).toEqual([connId])
		wire.ws.close(1000)
		await wire.closed
		await eventually(async () => ((await relays()).length === 0 ? true : undefined))
		expect(await relays()).toEqual([])
	})
})

describe('fuzzing frames after connect', () => {
	it('every frame gets an answer or an error event, and the socket stays open', async () => {
		const wire = await connected(member.secret)
		const frame = fc.oneof(
			fc.string({ maxLength: 200 }),
			fc.json({ maxDepth: 3 }),
			fc.record({
				type: fc.constantFrom('req', 'res', 'event', 'nope'),
				id: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.integer()),
				method: fc.constantFrom(
					'status',
					'chat.send',
					'chat.history',
					'sessions.reset',
					'agent.wait',
					'exec.approval.resolve',
					'nope.nope',
					'',
				),
				params: fc.oneof(fc.anything({ maxDepth: 2 }), fc.constant(undefined)),
			}),
		)
		await fc.assert(
			fc.asyncProperty(frame, async (f) => {
				const before = wire.frames.length
				wire.send(typeof f === 'string' ? f : JSON.stringify(f))
				// A status request afterwards must still be answered: nothing hung, nothing closed.
				const ping = await wire.request('status')
				expect(ping.ok).toBe(true)
				expect(wire.frames.length).toBeGreaterThan(before)
			}),
			{ numRuns: 60 },
		)
		for (const f of wire.frames) {
			if (f.type === 'res' && f.ok === false) expect(typeof f.error?.code).toBe('string')
		}
		wire.ws.close(1000)
	})
})
