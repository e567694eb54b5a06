// Signed webhooks end to end inside workerd: Standard Webhooks requests in through POST /hooks/…,
// the answer out as a signed POST to the channel's callback URL (a fake host) or in the response
// when the caller waits — signatures, rotation, retried callbacks under one webhook-id.
import { beforeAll, describe, expect, it } from 'vitest'
import {
	signStandardWebhook,
	verifyStandardWebhook,
} from '../../src/channels/webhook/standard-webhooks'
import { encodeBase64 } from '../../src/security/bytes'
import { FakePlatforms } from '../fakes/platforms'
import { call, eventually, problem } from '../helpers'
import * as flow from './flow-setup'

const TENANT = 'webhook-flow'
const whsec = (seed: string) =>
	`whsec_${encodeBase64(new TextEncoder().encode(seed.padEnd(32, '.')))}`
const SIGNING = whsec('inbound-signing-key')
const CALLBACK = whsec('callback-signing-key')
const platforms = FakePlatforms.install()

/** A webhook channel whose replies go to `https://<id>.platform.test/callback`. */
async function channel(
	id: string,
	secrets: Record<string, string> = {},
	extra: { agent?: string; allowFrom?: string[] } = {},
): Promise<void> {
	await flow.createChannel(TENANT, {
		id,
		kind: 'webhook',
		...(extra.agent && { agent: extra.agent }),
		config: {
			...(extra.allowFrom && { allowFrom: extra.allowFrom }),
			secrets: { signingSecret: 'WH_SIGNING', ...secrets },
			// The callers are known systems holding the secret, not people to pair with.
			dmPolicy: 'open',
			callbackUrl: `https://${id}.platform.test/callback`,
		},
	})
}

let nextId = 1
const nowS = () => Math.floor(Date.now() / 1000)

interface Signing {
	id?: string
	timestamp?: number
	secret?: string
	/** Replaces the computed signature header (rotation, garbage). */
	signature?: (valid: string) => string
	query?: string
}

/** Posts `body` signed per Standard Webhooks (a fresh webhook-id unless one is given). */
async function post(channelId: string, body: unknown, signing: Signing = {}): Promise<Response> {
	const raw = typeof body === 'string' ? body : JSON.stringify(body)
	const id = signing.id ?? `msg_flow_${nextId++}`
	const timestamp = signing.timestamp ?? nowS()
	const valid = await signStandardWebhook(signing.secret ?? SIGNING, id, timestamp, raw)
	return call(`/hooks/${TENANT}/${channelId}${signing.query ?? ''}`, {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			'webhook-id': id,
			'webhook-timestamp': String(timestamp),
			'webhook-signature': signing.signature ? signing.signature(valid) : valid,
		},
		body: raw,
	})
}

/** The callbacks the fake receiver got from one channel, in order of arrival. */
const callbacks = (channelId: string) =>
	platforms.calls.filter((c) => c.url.hostname === `${channelId}.platform.test`)

const session = (channelId: string, senderId: string, agent = 'main') =>
	flow.laneOf(TENANT, agent, `${channelId}:dm:${senderId}`)

const accepts = async (secret: string, c: { headers: Headers; body: string }) =>
	verifyStandardWebhook(secret, c.headers, new TextEncoder().encode(c.body), Date.now())

beforeAll(async () => {
	await flow.prepareTenant(TENANT, { WH_SIGNING: SIGNING, WH_CALLBACK: CALLBACK })
})

describe('signed webhooks end to end', () => {
	it('takes a signed message with 202 {runId} and POSTs the answer, signed, to the callback URL', async () => {
		await channel('webhook-1')
		const res = await post('webhook-1', { text: 'hello hook', sender: { id: 'u1', name: 'Una' } })
		expect(res.status).toBe(202)
		const taken = (await res.json()) as { runId: string; duplicate: boolean }
		expect(taken).toMatchObject({ runId: expect.any(String), duplicate: false })
		const [reply] = await eventually(async () => {
			const c = callbacks('webhook-1')
			return c.length > 0 ? c : undefined
		})
		expect(reply?.method).toBe('POST')
		expect(reply?.url.pathname).toBe('/callback')
		expect(reply?.json).toMatchObject({
			type: 'message',
			text: 'echo: hello hook',
			part: 1,
			parts: 1,
			peer: { kind: 'dm', id: 'u1' },
		})
		expect(await accepts(SIGNING, reply as NonNullable<typeof reply>)).toBe(true)
		const [run] = await flow.finishedRuns(session('webhook-1', 'u1'))
		expect(run?.runId).toBe(taken.runId)
	})

	it('retries a failed callback under the same webhook-id, signed with the callback secret', async () => {
		await channel('webhook-2', { callbackSecret: 'WH_CALLBACK' })
		platforms.script('webhook-2.platform.test/callback', new Response('busy', { status: 500 }))
		expect((await post('webhook-2', { text: 'again', sender: { id: 'u2' } })).status).toBe(202)
		const [first, second] = await eventually(async () => {
			const c = callbacks('webhook-2')
			return c.length >= 2 ? c : undefined
		})
		const id = first?.headers.get('webhook-id')
		expect(id).toMatch(/^msg_/)
		expect(second?.headers.get('webhook-id')).toBe(id)
		expect(second?.body).toBe(first?.body)
		for (const c of [first, second]) {
			expect(await accepts(CALLBACK, c as NonNullable<typeof c>)).toBe(true)
			expect(await accepts(SIGNING, c as NonNullable<typeof c>)).toBe(false)
		}
		await eventually(async () => {
			const d = await session('webhook-2', 'u2').listDeliveries(undefined, 10)
			return d.ok && d.value.deliveries.every((x) => x.status === 'sent') ? true : undefined
		})
		expect(callbacks('webhook-2')).toHaveLength(2)
	})

	it('answers in the response under ?wait= and sends no callback for that run', async () => {
		await channel('webhook-3')
		const res = await post(
			'webhook-3',
			{ text: 'inline', sender: { id: 'u3' } },
			{ query: '?wait=10' },
		)
		expect(res.status).toBe(200)
		const answered = (await res.json()) as { runId: string }
		expect(answered).toMatchObject({ status: 'succeeded', output: 'echo: inline', error: null })
		const lane = session('webhook-3', 'u3')
		await flow.finishedRuns(lane)
		const outbox = await lane.listDeliveries(undefined, 10)
		expect(outbox.ok && outbox.value.deliveries).toEqual([])
		// A later message in the same session is answered through the outbox, which sends in order:
		// once its callback is here, a callback of the waited run could only have come before it.
		expect((await post('webhook-3', { text: 'later', sender: { id: 'u3' } })).status).toBe(202)
		await eventually(async () => (callbacks('webhook-3').length > 0 ? true : undefined))
		expect(callbacks('webhook-3').map((c) => c.json?.text)).toEqual(['echo: later'])
	})

	it('takes the same webhook-id twice as one run', async () => {
		await channel('webhook-4')
		const body = { text: 'once', sender: { id: 'u4' } }
		const first = (await (await post('webhook-4', body, { id: 'msg_dup' })).json()) as {
			runId: string
		}
		const again = await post('webhook-4', body, { id: 'msg_dup' })
		expect(again.status).toBe(202)
		expect(await again.json()).toMatchObject({ runId: first.runId, duplicate: true })
		expect(await flow.finishedRuns(session('webhook-4', 'u4'))).toHaveLength(1)
	})

	it('accepts a rotation list whose second signature is the valid one', async () => {
		await channel('webhook-5')
		const stranger = `v1,${encodeBase64(crypto.getRandomValues(new Uint8Array(32)))}`
		const res = await post(
			'webhook-5',
			{ text: 'rotated', sender: { id: 'u5' } },
			{ signature: (valid) => `${stranger} ${valid}` },
		)
		expect(res.status).toBe(202)
		const [run] = await flow.finishedRuns(session('webhook-5', 'u5'))
		expect(run?.output).toBe('echo: rotated')
	})

	it('refuses bad, missing and stale signatures with 401, and nothing runs', async () => {
		await channel('webhook-6')
		const body = { text: 'forged', sender: { id: 'u6' } }
		const refused = [
			await post('webhook-6', body, { secret: CALLBACK }),
			await post('webhook-6', body, { signature: (valid) => valid.replace('v1,', 'v2,') }),
			await post('webhook-6', body, { timestamp: nowS() - 301 }),
			await post('webhook-6', body, { timestamp: nowS() + 301 }),
			await call(`/hooks/${TENANT}/webhook-6`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(body),
			}),
		]
		for (const res of refused) {
			expect(res.status).toBe(401)
			expect(await problem(res)).toMatchObject({ code: 'unauthorized' })
		}
		expect((await session('webhook-6', 'u6').info()).ok).toBe(false)
		expect(callbacks('webhook-6')).toEqual([])
	})

	it('answers a validly signed body that is not an event with a 400 bad_request problem', async () => {
		await channel('webhook-7')
		for (const body of ['not json', { text: 5, sender: { id: 'u7' } }, { text: 'no sender' }]) {
			const res = await post('webhook-7', body)
			expect(res.status).toBe(400)
			expect(await problem(res)).toMatchObject({ code: 'bad_request' })
		}
		const badWait = await post(
			'webhook-7',
			{ text: 'x', sender: { id: 'u7' } },
			{ query: '?wait=99' },
		)
		expect(badWait.status).toBe(400)
		expect((await session('webhook-7', 'u7').info()).ok).toBe(false)
	})

	it('posts an approval prompt; a decision by an allowed sender is taken with 202, then the answer comes', async () => {
		await channel('webhook-8', {}, { agent: 'guarded', allowFrom: ['boss'] })
		const res = await post('webhook-8', { text: '/tool time_now {}', sender: { id: 'u8' } })
		const { runId } = (await res.json()) as { runId: string }
		const lane = session('webhook-8', 'u8', 'guarded')
		const approval = await flow.pendingApproval(lane)
		const [prompt] = await eventually(async () => {
			const c = callbacks('webhook-8')
			return c.length > 0 ? c : undefined
		})
		expect(prompt?.json).toMatchObject({
			type: 'approval',
			approval: { id: approval.id, tool: 'time_now' },
			peer: { kind: 'dm', id: 'u8' },
		})
		const decision = (senderId: string) => ({
			action: { approvalId: approval.id, choice: 'once' },
			sender: { id: senderId },
			peer: { kind: 'dm', id: 'u8' },
		})
		const refused = await post('webhook-8', decision('u8'))
		expect(refused.status).toBe(200)
		expect(await refused.json()).toEqual({
			status: 'dropped',
			reason: 'you may not decide approvals here',
		})
		expect((await flow.approvalsOf(lane)).map((a) => a.status)).toEqual(['pending'])
		const taken = await post('webhook-8', decision('boss'))
		expect(taken.status).toBe(202)
		expect(await taken.json()).toMatchObject({ runId, status: 'accepted' })
		expect((await flow.approvalsOf(lane))[0]).toMatchObject({
			status: 'allowed',
			decidedBy: 'channel:webhook-8:boss',
		})
		const answer = await eventually(async () => callbacks('webhook-8')[1]?.json)
		expect(answer).toMatchObject({ type: 'message', peer: { kind: 'dm', id: 'u8' } })
		expect(String(answer.text)).toMatch(/^time_now returned /)
	})
})
