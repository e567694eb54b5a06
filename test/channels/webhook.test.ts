// The generic webhook plugin called directly: verification with the channel's secret, the inbound
// body and wait, the responses, and signed callbacks a Standard Webhooks receiver accepts. The
// signature scheme itself is tested in standard-webhooks.test.ts.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InboundInvalid, type Outbound, type RawInbound } from '../../src/channels/plugin'
import { webhook } from '../../src/channels/webhook'
import {
	signStandardWebhook,
	verifyStandardWebhook,
} from '../../src/channels/webhook/standard-webhooks'
import { bytesOf, channelContext } from '../fakes/channel-context'

const NOW = 1_760_000_000_000
const SIGNING = 'whsec_c2lnbmluZy1zZWNyZXQtZm9yLXRlc3RzLW9ubHk='
const CALLBACK = 'whsec_Y2FsbGJhY2stc2VjcmV0LWZvci10ZXN0cy1vbmx5'
const HOOK = 'https://edgeclaw.example/hooks/acme/wh1'

function fake(config: Record<string, unknown> = {}) {
	return channelContext(
		webhook,
		{ secrets: { signingSecret: 'WH_SIGNING', ...(config.secrets as object) }, ...config },
		{ now: NOW, secrets: { WH_SIGNING: SIGNING, WH_CALLBACK: CALLBACK } },
	)
}

/** An inbound request with its Standard Webhooks headers (and an optional query). */
async function request(
	body: unknown,
	options: { id?: string; query?: string; headers?: HeadersInit } = {},
) {
	const text = typeof body === 'string' ? body : JSON.stringify(body)
	const id = options.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'
	const timestamp = Math.floor(NOW / 1000)
	const headers = new Headers(options.headers)
	headers.set('webhook-id', id)
	headers.set('webhook-timestamp', String(timestamp))
	headers.set('webhook-signature', await signStandardWebhook(SIGNING, id, timestamp, text))
	return {
		url: new URL(`${HOOK}${options.query ?? ''}`),
		headers,
		body: bytesOf(text),
	} satisfies RawInbound
}

describe('verify', () => {
	it('checks the request with the channel signing secret', async () => {
		const { ctx } = fake()
		const req = await request({ text: 'hi', sender: { id: 'u1' } })
		expect(await webhook.verify(ctx, req)).toBe(true)
		const forged = new Headers(req.headers)
		forged.set(
			'webhook-signature',
			await signStandardWebhook(CALLBACK, 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', NOW / 1000, '{}'),
		)
		expect(await webhook.verify(ctx, { ...req, headers: forged })).toBe(false)
	})

	it('throws when the secret cannot be read: the route logs verify_failed, not a bad signature', async () => {
		const { ctx } = fake({ secrets: { signingSecret: 'MISSING' } })
		await expect(
			webhook.verify(ctx, await request({ text: 'hi', sender: { id: 'u1' } })),
		).rejects.toThrow('cannot be read')
	})
})

describe('parse', () => {
	/** What a message and an action from a sender without a peer both carry: a DM with the sender. */
	const dmWith = (sender: { id: string; name?: string }, eventId: string) => {
		const peer = { kind: 'dm', id: sender.id }
		return { eventId, dedupeKey: `msg:${eventId}`, peer, sender, reply: { peer, sender, eventId } }
	}

	it('reads a message, its peer defaulting to a DM with the sender', async () => {
		const { ctx } = fake()
		const inbound = webhook.parse(
			ctx,
			await request({ text: 'hello', sender: { id: 'u1', name: 'Ada' } }, { id: 'msg_1' }),
		)
		expect(inbound).toEqual({
			type: 'message',
			envelope: {
				...dmWith({ id: 'u1', name: 'Ada' }, 'msg_1'),
				text: 'hello',
				attachments: [],
				mentioned: true,
			},
		})
	})

	it('keeps a given peer, thread and attachments', async () => {
		const { ctx } = fake()
		const attachment = {
			kind: 'image',
			name: 'a.png',
			mime: 'image/png',
			url: 'https://cdn.example/a.png',
			bytes: 10,
		}
		const inbound = webhook.parse(
			ctx,
			await request({
				text: 'look',
				sender: { id: 'u1' },
				peer: { kind: 'group', id: 'team-7' },
				thread: 't.42',
				attachments: [attachment],
			}),
		)
		expect(inbound.type).toBe('message')
		if (inbound.type !== 'message') return
		expect(inbound.envelope).toMatchObject({
			peer: { kind: 'group', id: 'team-7' },
			thread: 't.42',
			attachments: [attachment],
			reply: { peer: { kind: 'group', id: 'team-7' }, thread: 't.42' },
		})
	})

	it('reads an approval decision as an action', async () => {
		const { ctx } = fake()
		const inbound = webhook.parse(
			ctx,
			await request(
				{ action: { approvalId: 'apr-1', choice: 'deny' }, sender: { id: 'u1' } },
				{ id: 'msg_9' },
			),
		)
		expect(inbound).toEqual({
			type: 'action',
			action: {
				...dmWith({ id: 'u1' }, 'msg_9'),
				approvalId: 'apr-1',
				choice: 'deny',
			},
		})
	})

	it('refuses a body it cannot read, saying what is wrong', async () => {
		const { ctx } = fake()
		const sender = { id: 'u1' }
		const cases: [unknown, RegExp][] = [
			['{"text":', /the body is not JSON/],
			[{ sender }, /text: /],
			[{ text: '', sender }, /text: /],
			[{ text: 'x'.repeat(32_001), sender }, /text: /],
			[{ text: 'hi' }, /sender: /],
			[{ text: 'hi', sender: { id: 'has space' } }, /sender\.id: must be 1-128 chars/],
			[{ text: 'hi', sender: { id: 'u1', name: 'n'.repeat(201) } }, /sender\.name: /],
			[{ text: 'hi', sender, peer: { kind: 'room', id: 'r' } }, /peer\.kind: /],
			[{ text: 'hi', sender, extra: 1 }, /^a webhook message: /],
			[{ text: 'hi', sender, attachments: Array(11).fill({ kind: 'file' }) }, /attachments: /],
			[
				{ action: { approvalId: 'a b', choice: 'once' }, sender },
				/action\.approvalId: is not an approval id/,
			],
			[{ action: { approvalId: 'a', choice: 'maybe' }, sender }, /action\.choice: /],
			[{ action: { approvalId: 'a', choice: 'once' }, text: 'hi', sender }, /^a webhook action: /],
			[[1, 2], /^a webhook message: /],
		]
		for (const [body, message] of cases) {
			const req = await request(body)
			expect(() => webhook.parse(ctx, req)).toThrow(InboundInvalid)
			expect(() => webhook.parse(ctx, req)).toThrow(message)
		}
		const noId = await request({ text: 'hi', sender })
		noId.headers.set('webhook-id', 'has space')
		expect(() => webhook.parse(ctx, noId)).toThrow(/webhook-id/)
	})

	it('reads how long the caller waits from ?wait= or Prefer: wait=', async () => {
		const { ctx } = fake()
		const body = { text: 'hi', sender: { id: 'u1' } }
		const waitOf = async (options: { query?: string; headers?: HeadersInit }) => {
			const inbound = webhook.parse(ctx, await request(body, options))
			return inbound.type === 'message' ? inbound.waitMs : 'not a message'
		}
		expect(await waitOf({})).toBeUndefined()
		expect(await waitOf({ query: '?wait=10' })).toBe(10_000)
		expect(await waitOf({ query: '?wait=30' })).toBe(30_000)
		expect(await waitOf({ headers: { prefer: 'wait=5' } })).toBe(5_000)
		expect(await waitOf({ headers: { prefer: 'respond-async, wait=100' } })).toBe(30_000)
		expect(await waitOf({ headers: { prefer: 'wait=soon' } })).toBeUndefined()
		expect(await waitOf({ headers: { prefer: 'wait=0' } })).toBeUndefined()
		expect(await waitOf({ query: '?wait=2', headers: { prefer: 'wait=20' } })).toBe(2_000)
		for (const query of ['?wait=0', '?wait=31', '?wait=abc', '?wait=', '?wait=1.5'])
			await expect(waitOf({ query })).rejects.toThrow(
				/wait must be a whole number of seconds from 1 to 30/,
			)
	})
})

describe('respond', () => {
	const message = { type: 'ignore', reason: 'unused' } as const

	it('answers 202 accepted, 200 with the answer, and 200 dropped', async () => {
		const { ctx } = fake()
		const accepted = webhook.respond(ctx, message, {
			kind: 'accepted',
			runId: 'r1',
			duplicate: true,
		})
		expect(accepted.status).toBe(202)
		expect(accepted.headers.get('content-type')).toContain('application/json')
		expect(await accepted.json()).toEqual({ runId: 'r1', duplicate: true, status: 'accepted' })
		const answered = webhook.respond(ctx, message, {
			kind: 'answered',
			runId: 'r1',
			status: 'succeeded',
			output: 'Paris',
			error: null,
		})
		expect(answered.status).toBe(200)
		expect(await answered.json()).toEqual({
			runId: 'r1',
			status: 'succeeded',
			output: 'Paris',
			error: null,
		})
		const dropped = webhook.respond(ctx, message, { kind: 'dropped', reason: 'not allowed' })
		expect(dropped.status).toBe(200)
		expect(await dropped.json()).toEqual({ status: 'dropped', reason: 'not allowed' })
	})
})

describe('send', () => {
	const target = { peer: { kind: 'dm', id: 'u1' }, sender: { id: 'u1' }, eventId: 'msg_1' }
	const text = (part: number, body = 'hello'): Outbound => ({
		kind: 'text',
		text: body,
		part,
		parts: 2,
		target,
	})

	it('POSTs a reply to the callback URL, signed so a Standard Webhooks receiver accepts it', async () => {
		const { ctx, calls, answer } = fake({ callbackUrl: 'https://app.example/agent-replies' })
		answer(new Response(null, { status: 204 }))
		expect(await webhook.send(ctx, text(1))).toEqual({ ok: true })
		const call = calls[0]
		expect(call?.method).toBe('POST')
		expect(call?.url).toBe('https://app.example/agent-replies')
		expect(call?.headers.get('content-type')).toBe('application/json')
		expect(call?.headers.get('webhook-id')).toMatch(/^msg_[0-9a-f]{32}$/)
		expect(call?.headers.get('webhook-timestamp')).toBe(String(NOW / 1000))
		expect(JSON.parse(call?.body ?? '')).toEqual({
			type: 'message',
			text: 'hello',
			part: 1,
			parts: 2,
			peer: { kind: 'dm', id: 'u1' },
			inReplyTo: 'msg_1',
		})
		expect(
			await verifyStandardWebhook(
				SIGNING,
				call?.headers ?? new Headers(),
				bytesOf(call?.body ?? ''),
				NOW,
			),
		).toBe(true)
	})

	it('signs with the callback secret when there is one', async () => {
		const { ctx, calls, answer } = fake({
			callbackUrl: 'https://app.example/r',
			secrets: { signingSecret: 'WH_SIGNING', callbackSecret: 'WH_CALLBACK' },
		})
		answer(new Response('ok'))
		await webhook.send(ctx, text(1))
		const [headers, body] = [calls[0]?.headers ?? new Headers(), bytesOf(calls[0]?.body ?? '')]
		expect(await verifyStandardWebhook(CALLBACK, headers, body, NOW)).toBe(true)
		expect(await verifyStandardWebhook(SIGNING, headers, body, NOW)).toBe(false)
	})

	it('keeps the webhook-id of a delivery across retries, and gives each message its own', async () => {
		const { ctx, calls, answer } = fake({ callbackUrl: 'https://app.example/r' })
		answer(
			new Response(null, { status: 503 }),
			new Response(null, { status: 200 }),
			new Response(null, { status: 200 }),
		)
		expect(await webhook.send(ctx, text(1))).toMatchObject({ ok: false })
		expect(await webhook.send(ctx, text(1))).toEqual({ ok: true })
		await webhook.send(ctx, text(2))
		const ids = calls.map((c) => c.headers.get('webhook-id'))
		expect(ids[0]).toBe(ids[1])
		expect(ids[2]).not.toBe(ids[0])
	})

	it('sends an approval prompt with the choices the caller answers with', async () => {
		const { ctx, calls, answer } = fake({ callbackUrl: 'https://app.example/r' })
		answer(new Response(null, { status: 202 }))
		const approval = { id: 'apr-3', tool: 'shell', summary: 'ls /' }
		expect(
			await webhook.send(ctx, { kind: 'approval', approval, target: { ...target, thread: 't1' } }),
		).toEqual({ ok: true })
		expect(JSON.parse(calls[0]?.body ?? '')).toEqual({
			type: 'approval',
			approval,
			peer: { kind: 'dm', id: 'u1' },
			thread: 't1',
			actions: [
				{ choice: 'once', label: 'Allow once' },
				{ choice: 'always', label: 'Always allow' },
				{ choice: 'deny', label: 'Deny' },
			],
		})
	})

	it('maps failures: no callbackUrl, a bad target, 429 Retry-After, 4xx, an unreachable host', async () => {
		expect(await webhook.send(fake().ctx, text(1))).toEqual({
			ok: false,
			error: 'webhook: no callbackUrl',
			permanent: true,
		})
		const { ctx, answer, calls } = fake({ callbackUrl: 'https://app.example/r' })
		expect(await webhook.send(ctx, { ...text(1), target: { chat: 1 } })).toMatchObject({
			permanent: true,
		})
		answer(
			new Response('slow down', { status: 429, headers: { 'retry-after': '7' } }),
			new Response('gone', { status: 410 }),
			new TypeError('connection refused'),
		)
		expect(await webhook.send(ctx, text(1))).toMatchObject({ ok: false, retryAfterMs: 7_000 })
		expect(await webhook.send(ctx, text(1))).toMatchObject({ ok: false, permanent: true })
		const unreachable = await webhook.send(ctx, text(1))
		expect(unreachable).toMatchObject({
			ok: false,
			error: expect.stringContaining('connection refused'),
		})
		expect(unreachable).not.toHaveProperty('permanent')
		expect(calls).toHaveLength(3)
	})
})

describe('register and urls', () => {
	it('returns the webhook URL with the inbound format, and lists the callback URL for the guard', async () => {
		const registration = await webhook.register(fake().ctx, HOOK)
		expect(registration).toMatchObject({ webhookUrl: HOOK, registered: false })
		for (const part of ['webhook-id', 'webhook-timestamp', 'webhook-signature', '"text"', '?wait='])
			expect(registration.instructions).toContain(part)
		expect(webhook.urls(fake().ctx.config)).toEqual([])
		expect(webhook.urls(fake({ callbackUrl: 'https://app.example/r' }).ctx.config)).toEqual([
			'https://app.example/r',
		])
		expect(webhook.config.safeParse({ secrets: {} }).success).toBe(false)
		expect(webhook.config.safeParse({ secrets: { signingSecret: 'lower' } }).success).toBe(false)
	})
})

describe('properties', () => {
	const sender = fc.record(
		{ id: fc.string({ maxLength: 12 }), name: fc.string() },
		{ requiredKeys: [] },
	)
	const messageLike = fc.record(
		{
			text: fc.oneof(fc.string(), fc.jsonValue()),
			sender: fc.oneof(sender, fc.jsonValue()),
			peer: fc.record({ kind: fc.constantFrom('dm', 'group', 'room'), id: fc.string() }),
			thread: fc.jsonValue(),
			attachments: fc.array(fc.record({ kind: fc.string(), bytes: fc.jsonValue() })),
			action: fc.record({ approvalId: fc.string(), choice: fc.string() }),
		},
		{ requiredKeys: [] },
	)

	it('parse only ever throws InboundInvalid', () => {
		const { ctx } = fake()
		const headers = new Headers({ 'webhook-id': 'msg_1' })
		fc.assert(
			fc.property(
				fc.oneof(
					fc.uint8Array({ maxLength: 200 }),
					fc.jsonValue().map((v) => bytesOf(JSON.stringify(v))),
					messageLike.map((v) => bytesOf(v)),
				),
				fc.string({ maxLength: 20 }),
				(body, query) => {
					const url = new URL(HOOK)
					url.searchParams.set('wait', query)
					try {
						webhook.parse(ctx, { url, headers, body })
					} catch (error) {
						expect(error).toBeInstanceOf(InboundInvalid)
					}
				},
			),
		)
	})

	it('verify never throws and never accepts what was not signed', async () => {
		const { ctx } = fake()
		const value = fc.string({ maxLength: 60 }).map((v) => v.replace(/[^\x20-\x7e]/g, ''))
		await fc.assert(
			fc.asyncProperty(
				value,
				fc.oneof(value, fc.constant(String(NOW / 1000))),
				value,
				fc.uint8Array({ maxLength: 100 }),
				async (id, timestamp, signature, body) => {
					const headers = new Headers({
						'webhook-id': id,
						'webhook-timestamp': timestamp,
						'webhook-signature': signature,
					})
					expect(await webhook.verify(ctx, { url: new URL(HOOK), headers, body })).toBe(false)
				},
			),
			{ numRuns: 100 },
		)
	})
})
