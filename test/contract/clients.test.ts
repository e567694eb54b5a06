// Contract tests with the real clients people bring: the official `openai` SDK and OpenClaw's
// reference `@openclaw/gateway-client`, against `wrangler dev` over real sockets (setup.ts).
import { GatewayClient } from '@openclaw/gateway-client'
import { PROTOCOL_VERSION } from '@openclaw/gateway-protocol/version'
import OpenAI from 'openai'
import { describe, expect, inject, it } from 'vitest'
import { STATE_WAIT_MS } from '../timeouts.js'

const baseUrl = inject('baseUrl')
const apiKey = inject('apiKey')

describe('openai SDK', () => {
	const client = new OpenAI({ apiKey, baseURL: `${baseUrl}/v1`, maxRetries: 0 })

	it('chat: a completion from the agent', async () => {
		const res = await client.chat.completions.create({
			model: 'edgeclaw/main',
			messages: [{ role: 'user', content: 'hello contract' }],
		})
		expect(res.object).toBe('chat.completion')
		expect(res.choices[0]?.message.content).toBe('echo: hello contract')
		expect(res.choices[0]?.finish_reason).toBe('stop')
		expect(res.usage?.total_tokens).toBe(
			(res.usage?.prompt_tokens ?? 0) + (res.usage?.completion_tokens ?? 0),
		)
	})

	it('stream: deltas concatenate to the answer, with usage at the end', async () => {
		const stream = await client.chat.completions.create({
			model: 'edgeclaw/main',
			messages: [{ role: 'user', content: 'stream me' }],
			stream: true,
			stream_options: { include_usage: true },
		})
		let text = ''
		let finish: string | null | undefined
		let usage: OpenAI.CompletionUsage | null | undefined
		for await (const chunk of stream) {
			text += chunk.choices[0]?.delta.content ?? ''
			finish = chunk.choices[0]?.finish_reason ?? finish
			usage = chunk.usage ?? usage
		}
		expect(text).toBe('echo: stream me')
		expect(finish).toBe('stop')
		expect(usage?.completion_tokens).toBeGreaterThan(0)
	})

	it('errors: bad key, unknown model, bad request', async () => {
		const bad = new OpenAI({ apiKey: 'ek_wrong_wrong', baseURL: `${baseUrl}/v1`, maxRetries: 0 })
		await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError)
		const missing = await client.chat.completions
			.create({ model: 'edgeclaw/ghost', messages: [{ role: 'user', content: 'x' }] })
			.catch((e: unknown) => e)
		expect(missing).toBeInstanceOf(OpenAI.NotFoundError)
		expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found')
		const invalid = await client.chat.completions
			.create({ model: 'edgeclaw/main', messages: [{ role: 'assistant', content: 'no user' }] })
			.catch((e: unknown) => e)
		expect(invalid).toBeInstanceOf(OpenAI.BadRequestError)
	})

	it('models: the tenant’s agents', async () => {
		const ids = []
		for await (const m of client.models.list()) ids.push(m.id)
		expect(ids).toContain('edgeclaw/main')
	})
})

describe('@openclaw/gateway-client', () => {
	function connect(token = apiKey) {
		const events: { event: string; payload?: unknown }[] = []
		const hello = Promise.withResolvers<unknown>()
		const client = new GatewayClient({
			url: `${baseUrl.replace(/^http/, 'ws')}/v1/gateway`,
			token,
			minProtocol: PROTOCOL_VERSION,
			maxProtocol: PROTOCOL_VERSION,
			scopes: ['operator.read', 'operator.write'],
			onHelloOk: (h) => hello.resolve(h),
			onConnectError: (error) => hello.reject(error),
			onEvent: (event) => events.push(event as { event: string; payload?: unknown }),
		})
		client.start()
		return { client, hello: hello.promise, events }
	}

	it('connects, answers status, and streams chat.send to its final event', async () => {
		const { client, hello, events } = connect()
		try {
			const h = (await hello) as { protocol: number; auth: { scopes: string[] } }
			expect(h.protocol).toBe(4)
			expect(h.auth.scopes).toEqual(['operator.read', 'operator.write'])
			const status = (await client.request('status', {})) as { ok: boolean; version: string }
			expect(status.ok).toBe(true)
			const ack = (await client.request('chat.send', {
				sessionKey: 'agent:main:contract',
				message: 'over the gateway',
				idempotencyKey: crypto.randomUUID(),
			})) as { runId: string; status: string }
			expect(ack.status).toBe('started')
			const deadline = Date.now() + STATE_WAIT_MS
			const isFinal = (e: { event: string; payload?: unknown }) =>
				e.event === 'chat' &&
				(e.payload as { runId?: string; state?: string }).runId === ack.runId &&
				(e.payload as { state?: string }).state === 'final'
			while (!events.some(isFinal) && Date.now() < deadline)
				await new Promise((r) => setTimeout(r, 20))
			const chat = events
				.filter((e) => e.event === 'chat')
				.map(
					(e) =>
						e.payload as {
							state: string
							deltaText?: string
							message?: { content: { text: string }[] }
						},
				)
			const final = chat.find((c) => c.state === 'final')
			expect(final?.message?.content[0]?.text).toBe('echo: over the gateway')
			expect(
				chat
					.filter((c) => c.state === 'delta')
					.map((c) => c.deltaText)
					.join(''),
			).toBe('echo: over the gateway')
		} finally {
			client.stop()
		}
	})

	it('a bad token fails the handshake', async () => {
		const { client, hello } = connect('ek_bad_token')
		try {
			await expect(hello).rejects.toThrow(/unauthorized/)
		} finally {
			client.stop()
		}
	})
})
