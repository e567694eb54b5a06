// Contract tests with the official openai SDK, unchanged: chat completions (plain and streamed),
// models, sessions by `user` and header, history seeding, and every error class the SDK raises.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { utcDay } from '../../../src/db/usage'
import { ADMIN_TOKEN, admin, createAgent, eventually } from '../../helpers'
import { key } from '../../security/helpers'
import { client, transcript } from './helpers'
import { OpenAI } from './sdk.js'

let member: string
let viewer: string

beforeAll(async () => {
	await createAgent(env.DB, 'capped', { params: { maxOutputTokens: 2 } })
	member = (await key('default', 'member')).secret
	viewer = (await key('default', 'viewer')).secret
})

/** Asserts the SDK raised `kind` with this status, type and code, from an OpenAI-shaped body. */
async function rejects<T extends typeof OpenAI.APIError>(
	promise: Promise<unknown>,
	kind: T,
	expected: { status: number; type: string; code?: string | null; param?: string | null },
): Promise<InstanceType<T>> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	)
	expect(error).toBeInstanceOf(kind)
	const e = error as InstanceType<T>
	expect(e.status).toBe(expected.status)
	expect(e.type).toBe(expected.type)
	if (expected.code !== undefined) expect(e.code).toBe(expected.code)
	if (expected.param !== undefined) expect(e.param).toBe(expected.param)
	// The SDK keeps the body's `error` object: exactly OpenAI's four members.
	expect(Object.keys(e.error as object).sort()).toEqual(['code', 'message', 'param', 'type'])
	expect(e.requestID).toBeTruthy()
	return e
}

describe('chat completions', () => {
	it("answers with the agent's reply in OpenAI's shape, with consistent usage", async () => {
		const openai = client(member)
		const { data: res, response } = await openai.chat.completions
			.create({ model: 'edgeclaw/main', messages: [{ role: 'user', content: 'hello there' }] })
			.withResponse()
		expect(res).toMatchObject({
			object: 'chat.completion',
			model: 'edgeclaw/main',
			choices: [
				{
					index: 0,
					message: { role: 'assistant', content: 'echo: hello there', refusal: null },
					finish_reason: 'stop',
					logprobs: null,
				},
			],
		})
		expect(res.id).toMatch(/^chatcmpl-[0-9a-f-]{36}$/)
		expect(Number.isInteger(res.created)).toBe(true)
		expect(Math.abs(res.created - Date.now() / 1000)).toBeLessThan(60)
		// The offline model counts 4 characters per token: "echo: hello there" is 17 → 5.
		expect(res.usage?.completion_tokens).toBe(5)
		expect(res.usage?.prompt_tokens).toBeGreaterThan(0)
		expect(res.usage?.total_tokens).toBe(
			(res.usage?.prompt_tokens ?? 0) + (res.usage?.completion_tokens ?? 0),
		)
		// A new session per request without user or header, named in the response: a throwaway
		// one, whose transcript is gone once it has answered.
		const session = response.headers.get('x-edgeclaw-session')
		expect(session).toMatch(/^openai-[0-9a-f-]{36}$/)
		await expect
			.poll(() => transcript(session as string).then(String, (error: Error) => error.message))
			.toBe(`transcript ${session}: 404`)
	})

	it('accepts every model spelling and text parts, and range-checked sampling fields', async () => {
		const openai = client(member)
		for (const model of ['edgeclaw/main', 'edgeclaw:main', 'main']) {
			const res = await openai.chat.completions.create({
				model,
				messages: [
					{
						role: 'user',
						content: [
							{ type: 'text', text: 'a' },
							{ type: 'text', text: 'b' },
						],
					},
				],
				temperature: 0.2,
				top_p: 1,
				max_tokens: 50,
				max_completion_tokens: 50,
				seed: 7,
				stop: ['\n'],
				n: 1,
				presence_penalty: 0,
				frequency_penalty: 0,
				user: undefined,
				metadata: { purpose: 'test' },
				tools: [],
				tool_choice: 'none',
				response_format: { type: 'text' },
			})
			expect(res.model).toBe(model)
			expect(res.choices[0]?.message.content).toBe('echo: ab')
		}
	})

	it('reports finish_reason length when the reply used all of the agent output cap', async () => {
		const res = await client(member).chat.completions.create({
			model: 'edgeclaw/capped',
			messages: [{ role: 'user', content: 'a fairly long question' }],
		})
		expect(res.choices[0]?.finish_reason).toBe('length')
	})

	it('keeps one session per user: the second call continues the first', async () => {
		const openai = client(member)
		const first = await openai.chat.completions
			.create({
				model: 'main',
				user: 'alice@example.com',
				messages: [{ role: 'user', content: 'one' }],
			})
			.withResponse()
		const second = await openai.chat.completions
			.create({
				model: 'main',
				user: 'alice@example.com',
				messages: [{ role: 'user', content: 'two' }],
			})
			.withResponse()
		const session = first.response.headers.get('x-edgeclaw-session') as string
		expect(session).toMatch(/^openai-user-[0-9a-f]{32}$/)
		expect(second.response.headers.get('x-edgeclaw-session')).toBe(session)
		expect(session).not.toContain('alice')
		expect(second.data.choices[0]?.message.content).toBe('echo: two')
		expect(await transcript(session)).toEqual([
			{ role: 'user', text: 'one' },
			{ role: 'assistant', text: 'echo: one' },
			{ role: 'user', text: 'two' },
			{ role: 'assistant', text: 'echo: two' },
		])
		const other = await openai.chat.completions
			.create({ model: 'main', user: 'bob', messages: [{ role: 'user', content: 'hi' }] })
			.withResponse()
		expect(other.response.headers.get('x-edgeclaw-session')).not.toBe(session)
	})

	it('seeds earlier messages as context into a new session only', async () => {
		const openai = client(member, { 'x-edgeclaw-session': 'seeded-1' })
		const res = await openai.chat.completions.create({
			model: 'main',
			messages: [
				{ role: 'system', content: 'Be brief.' },
				{ role: 'developer', content: [{ type: 'text', text: 'No jokes.' }] },
				{ role: 'user', content: 'earlier question' },
				{ role: 'assistant', content: 'earlier answer' },
				{ role: 'user', content: 'now' },
			],
		})
		expect(res.choices[0]?.message.content).toBe('echo: now')
		const seeded = [
			{ role: 'system', text: 'Be brief.' },
			{ role: 'system', text: 'No jokes.' },
			{ role: 'user', text: 'earlier question' },
			{ role: 'assistant', text: 'earlier answer' },
			{ role: 'user', text: 'now' },
			{ role: 'assistant', text: 'echo: now' },
		]
		expect(await transcript('seeded-1')).toEqual(seeded)
		// The session has a transcript now: history sent again (or rewritten) is not stored again.
		await openai.chat.completions.create({
			model: 'main',
			messages: [
				{ role: 'system', content: 'Something else entirely.' },
				{ role: 'user', content: 'now' },
				{ role: 'assistant', content: 'echo: now' },
				{ role: 'user', content: 'later' },
			],
		})
		expect(await transcript('seeded-1')).toEqual([
			...seeded,
			{ role: 'user', text: 'later' },
			{ role: 'assistant', text: 'echo: later' },
		])
	})

	it('takes the session from x-edgeclaw-session over user, and 400s an invalid one', async () => {
		const openai = client(member, { 'x-edgeclaw-session': 'header-wins' })
		const { response } = await openai.chat.completions
			.create({ model: 'main', user: 'carol', messages: [{ role: 'user', content: 'x' }] })
			.withResponse()
		expect(response.headers.get('x-edgeclaw-session')).toBe('header-wins')
		expect(await transcript('header-wins')).toHaveLength(2)
		await rejects(
			client(member, { 'x-edgeclaw-session': '-bad key!' }).chat.completions.create({
				model: 'main',
				messages: [{ role: 'user', content: 'x' }],
			}),
			OpenAI.BadRequestError,
			{ status: 400, type: 'invalid_request_error', param: 'x-edgeclaw-session' },
		)
	})

	it('replays a request with the same idempotency-key as the same completion', async () => {
		const openai = client(member, { 'x-edgeclaw-session': 'idem-1' })
		const ask = () =>
			openai.chat.completions.create(
				{ model: 'main', messages: [{ role: 'user', content: 'once' }] },
				{ headers: { 'idempotency-key': 'oai-once-1' } },
			)
		const [a, b] = [await ask(), await ask()]
		expect(b.id).toBe(a.id)
		expect(b.choices[0]?.message.content).toBe('echo: once')
		expect(await transcript('idem-1')).toHaveLength(2)
	})
})

describe('streaming', () => {
	it('streams deltas that add up to the same answer, then finish_reason stop and [DONE]', async () => {
		const stream = await client(member).chat.completions.create({
			model: 'edgeclaw/main',
			messages: [{ role: 'user', content: 'stream me please' }],
			stream: true,
		})
		const chunks: OpenAI.ChatCompletionChunk[] = []
		for await (const chunk of stream) chunks.push(chunk)
		const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
		expect(text).toBe('echo: stream me please')
		expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' })
		// The offline model streams in three chunks within one task: the lane writes them as one delta.
		expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBe(1)
		expect(chunks.at(-1)?.choices[0]).toEqual({
			index: 0,
			delta: {},
			finish_reason: 'stop',
			logprobs: null,
		})
		expect(new Set(chunks.map((c) => c.id)).size).toBe(1)
		for (const c of chunks) {
			expect(c.object).toBe('chat.completion.chunk')
			expect(c.model).toBe('edgeclaw/main')
			expect(c).not.toHaveProperty('usage')
		}
	})

	it('sends a usage chunk with include_usage, and usage: null on the others', async () => {
		const openai = client(member, { 'x-edgeclaw-session': 'stream-usage' })
		const stream = await openai.chat.completions.create({
			model: 'main',
			messages: [{ role: 'user', content: 'count me' }],
			stream: true,
			stream_options: { include_usage: true },
		})
		const chunks: OpenAI.ChatCompletionChunk[] = []
		for await (const chunk of stream) chunks.push(chunk)
		const last = chunks.at(-1) as OpenAI.ChatCompletionChunk
		expect(last.choices).toEqual([])
		// "echo: count me" is 14 characters → 4 tokens.
		expect(last.usage?.completion_tokens).toBe(4)
		expect(last.usage?.total_tokens).toBe(
			(last.usage?.prompt_tokens ?? 0) + (last.usage?.completion_tokens ?? 0),
		)
		for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull()
		// The same numbers as the run the native API shows.
		const session = await admin('/v1/sessions/stream-usage?agent=main')
		expect(session.status).toBe(200)
		const runId = last.id.slice('chatcmpl-'.length)
		const run = (await (
			await admin(`/v1/sessions/stream-usage/runs/${runId}?agent=main`)
		).json()) as {
			usage: { inputTokens: number; outputTokens: number }
		}
		expect(last.usage?.prompt_tokens).toBe(run.usage.inputTokens)
	})

	it('raises a run that fails mid-stream as an APIError from the error frame', async () => {
		const stream = await client(member).chat.completions.create({
			model: 'main',
			messages: [{ role: 'user', content: '/fail 400' }],
			stream: true,
		})
		const seen: OpenAI.ChatCompletionChunk[] = []
		const error = await (async () => {
			for await (const chunk of stream) seen.push(chunk)
		})().then(
			() => undefined,
			(e: unknown) => e,
		)
		expect(error).toBeInstanceOf(OpenAI.APIError)
		expect((error as OpenAI.APIError).type).toBe('api_error')
		expect((error as OpenAI.APIError).code).toBe('models_exhausted')
		expect(seen.map((c) => c.choices[0]?.delta)).toEqual([{ role: 'assistant', content: '' }])
	})

	it('ends a stream whose run is cancelled with a run_cancelled error', async () => {
		const stream = await client(member, {
			'x-edgeclaw-session': 'cancel-stream',
		}).chat.completions.create({
			model: 'main',
			messages: [{ role: 'user', content: '/slow 60000 never' }],
			stream: true,
		})
		const iterator = stream[Symbol.asyncIterator]()
		const first = (await iterator.next()).value as OpenAI.ChatCompletionChunk
		const runId = first.id.slice('chatcmpl-'.length)
		const cancelled = await admin(`/v1/sessions/cancel-stream/runs/${runId}/cancel?agent=main`, {
			method: 'POST',
		})
		expect(cancelled.status).toBe(200)
		const error = await iterator.next().then(
			() => undefined,
			(e: unknown) => e,
		)
		expect(error).toBeInstanceOf(OpenAI.APIError)
		expect((error as OpenAI.APIError).code).toBe('run_cancelled')
	})
})

describe('models', () => {
	it("lists the tenant's agents and reads one by any spelling", async () => {
		const openai = client(viewer)
		const page = await openai.models.list()
		const ids = page.data.map((m) => m.id)
		expect(ids).toEqual(expect.arrayContaining(['edgeclaw/main', 'edgeclaw/capped']))
		for (const m of page.data) {
			expect(Object.keys(m).sort()).toEqual(['created', 'id', 'object', 'owned_by'])
			expect(m).toMatchObject({ object: 'model', owned_by: 'edgeclaw' })
		}
		for (const id of ['edgeclaw/main', 'edgeclaw:main', 'main']) {
			expect(await openai.models.retrieve(id)).toMatchObject({
				id: 'edgeclaw/main',
				object: 'model',
			})
		}
		const raw = await admin('/v1/models/edgeclaw/main')
		expect(((await raw.json()) as { id: string }).id).toBe('edgeclaw/main')
		await rejects(openai.models.retrieve('edgeclaw/nope'), OpenAI.NotFoundError, {
			status: 404,
			type: 'invalid_request_error',
			code: 'model_not_found',
			param: 'model',
		})
		await rejects(openai.models.retrieve('gpt-4o'), OpenAI.NotFoundError, {
			status: 404,
			type: 'invalid_request_error',
			code: 'model_not_found',
		})
	})
})

describe('errors the SDK raises', () => {
	it('401 → AuthenticationError with invalid_api_key', async () => {
		const e = await rejects(
			client('ek_0000000000000000_wrongwrongwrongwrongwrongwrongwrong').chat.completions.create({
				model: 'main',
				messages: [{ role: 'user', content: 'x' }],
			}),
			OpenAI.AuthenticationError,
			{ status: 401, type: 'authentication_error', code: 'invalid_api_key', param: null },
		)
		expect(e.headers?.get('www-authenticate')).toContain('Bearer')
		expect(JSON.stringify(e.error)).not.toContain('wrongwrong')
		await rejects(client('not-an-api-key').models.list(), OpenAI.AuthenticationError, {
			status: 401,
			type: 'authentication_error',
			code: 'invalid_api_key',
		})
	})

	it('403 → PermissionDeniedError for a role or a policy that does not allow it', async () => {
		await rejects(
			client(viewer).chat.completions.create({
				model: 'main',
				messages: [{ role: 'user', content: 'x' }],
			}),
			OpenAI.PermissionDeniedError,
			{ status: 403, type: 'permission_error', code: 'forbidden' },
		)
		// A policy on one session applies although the session is not in the path.
		const created = await admin('/v1/policies', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({
				id: 'lock-sessions',
				effect: 'deny',
				resources: ['tenant:default/session:locked-*'],
				actions: ['sessions:send'],
				conditions: [{ key: 'subject.role', operator: 'equals', value: 'member' }],
			}),
		})
		expect(created.status).toBe(201)
		await rejects(
			client(member, { 'x-edgeclaw-session': 'locked-1' }).chat.completions.create({
				model: 'main',
				messages: [{ role: 'user', content: 'x' }],
			}),
			OpenAI.PermissionDeniedError,
			{ status: 403, type: 'permission_error' },
		)
		expect(
			(
				await client(member, { 'x-edgeclaw-session': 'open-1' }).chat.completions.create({
					model: 'main',
					messages: [{ role: 'user', content: 'x' }],
				})
			).choices[0]?.message.content,
		).toBe('echo: x')
		expect((await admin('/v1/policies/lock-sessions', { method: 'DELETE' })).status).toBe(204)
	})

	it('404 → NotFoundError with model_not_found for an unknown agent', async () => {
		await rejects(
			client(member).chat.completions.create({
				model: 'edgeclaw/ghost',
				messages: [{ role: 'user', content: 'x' }],
			}),
			OpenAI.NotFoundError,
			{ status: 404, type: 'invalid_request_error', code: 'model_not_found', param: 'model' },
		)
	})

	it('400 → BadRequestError naming the parameter', async () => {
		const openai = client(member)
		const user = [{ role: 'user' as const, content: 'x' }]
		const cases: [Promise<unknown>, string | null, string | null][] = [
			[
				openai.chat.completions.create({
					model: 'main',
					messages: [{ role: 'system', content: 'only' }],
				}),
				'messages',
				'invalid_value',
			],
			[
				openai.chat.completions.create({ model: 'main', messages: user, n: 2 }),
				'n',
				'unsupported_value',
			],
			[
				openai.chat.completions.create({
					model: 'main',
					messages: user,
					tools: [{ type: 'custom', custom: { name: 'f' } }],
				}),
				'tools.0.type',
				'unsupported_value',
			],
			[
				openai.chat.completions.create({ model: 'main', messages: user, tool_choice: 'required' }),
				'tool_choice',
				'invalid_value',
			],
			[
				openai.chat.completions.create({
					model: 'main',
					messages: user,
					tools: [{ type: 'function', function: { name: 'f' } }],
					tool_choice: { type: 'function', function: { name: 'g' } },
				}),
				'tool_choice',
				'invalid_value',
			],
			[
				openai.chat.completions.create({
					model: 'main',
					messages: [
						{ role: 'user', content: 'x' },
						{ role: 'function', content: '42', name: 'f' },
						{ role: 'user', content: 'y' },
					],
				}),
				'messages.1.role',
				'unsupported_value',
			],
			[
				openai.chat.completions.create({
					model: 'main',
					messages: user,
					response_format: { type: 'json_schema' } as never,
				}),
				'response_format.json_schema',
				'missing_required_parameter',
			],
			[
				openai.chat.completions.create({
					model: 'main',
					messages: [
						{
							role: 'user',
							content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }],
						},
					],
				}),
				'messages.0.content.0.type',
				'unsupported_value',
			],
			[
				openai.chat.completions.create({ model: 'main', messages: user, temperature: 3 }),
				'temperature',
				null,
			],
			[
				openai.chat.completions.create({ model: 'main', messages: user, max_tokens: 0 }),
				'max_tokens',
				null,
			],
			[
				openai.chat.completions.create({
					model: 'main',
					messages: user,
					response_format: { type: 'grammar' } as never,
				}),
				'response_format.type',
				'unsupported_value',
			],
			[
				openai.chat.completions.create({
					model: 'main',
					messages: user,
					stream_options: { include_usage: true },
				}),
				'stream_options',
				'invalid_value',
			],
		]
		for (const [promise, param, code] of cases) {
			const e = await rejects(promise, OpenAI.BadRequestError, {
				status: 400,
				type: 'invalid_request_error',
				param,
			})
			if (code) expect(e.code).toBe(code)
		}
		const functions = await rejects(
			openai.chat.completions.create({
				model: 'main',
				messages: user,
				functions: [{ name: 'f' }],
			}),
			OpenAI.BadRequestError,
			{ status: 400, type: 'invalid_request_error', param: 'functions' },
		)
		expect(functions.message).toContain('send tools and tool_choice instead')
	})

	it('429 → RateLimitError for a used-up daily budget, with Retry-After and no retry', async () => {
		await env.DB.prepare('INSERT INTO tenants (id, name, settings) VALUES (?, ?, ?)')
			.bind('oai-thrifty', 'thrifty', JSON.stringify({ dailyTokenBudget: 100 }))
			.run()
		await createAgent(env.DB, 'main', {}, 'oai-thrifty')
		await env.DB.prepare(
			'INSERT INTO usage_daily (tenant_id, day, agent_id, model, calls, input_tokens, output_tokens) VALUES (?, ?, ?, ?, ?, ?, ?)',
		)
			.bind('oai-thrifty', utcDay(Date.now()), 'main', 'offline:echo', 1, 90, 20)
			.run()
		const thrifty = (await key('oai-thrifty', 'member')).secret
		const e = await rejects(
			client(thrifty).chat.completions.create({
				model: 'main',
				messages: [{ role: 'user', content: 'x' }],
			}),
			OpenAI.RateLimitError,
			{ status: 429, type: 'rate_limit_error', code: 'insufficient_quota' },
		)
		expect(Number(e.headers?.get('retry-after'))).toBeGreaterThan(0)
		expect(e.headers?.get('x-should-retry')).toBe('false')
	})

	it('429 → RateLimitError from the shared rate limiter, Retry-After kept', async () => {
		const bad = client('ek_ffffffffffffffff_nopenopenopenopenopenopenopenopenope', {
			'cf-connecting-ip': '203.0.113.99',
		})
		let limited: OpenAI.APIError | undefined
		for (let i = 0; i < 25 && !limited; i++) {
			const error = await bad.models.list().then(
				() => undefined,
				(e: unknown) => e as OpenAI.APIError,
			)
			if (error?.status === 429) limited = error
			else expect(error?.status).toBe(401)
		}
		expect(limited).toBeInstanceOf(OpenAI.RateLimitError)
		expect(limited?.type).toBe('rate_limit_error')
		expect(limited?.code).toBe('rate_limit_exceeded')
		expect(limited?.headers?.get('retry-after')).toMatch(/^\d+$/)
	})

	it('409 → ConflictError when the run is cancelled before it answers', async () => {
		const pending = client(member, {
			'x-edgeclaw-session': 'cancel-plain',
		}).chat.completions.create({
			model: 'main',
			messages: [{ role: 'user', content: '/slow 60000 never' }],
		})
		const runId = await eventually(async () => {
			const res = await admin('/v1/sessions/cancel-plain?agent=main')
			if (res.status !== 200) return undefined
			return ((await res.json()) as { activeRunId: string | null }).activeRunId ?? undefined
		})
		await admin(`/v1/sessions/cancel-plain/runs/${runId}/cancel?agent=main`, { method: 'POST' })
		const e = await rejects(pending, OpenAI.ConflictError, {
			status: 409,
			type: 'invalid_request_error',
			code: 'run_cancelled',
		})
		expect(e.headers?.get('x-edgeclaw-session')).toBe('cancel-plain')
	})

	it('502 → InternalServerError with api_error when every model fails', async () => {
		await rejects(
			client(member).chat.completions.create({
				model: 'main',
				messages: [{ role: 'user', content: '/fail 400' }],
			}),
			OpenAI.InternalServerError,
			{ status: 502, type: 'api_error', code: 'models_exhausted' },
		)
	})

	it('works with the admin token too', async () => {
		const res = await client(ADMIN_TOKEN).chat.completions.create({
			model: 'main',
			messages: [{ role: 'user', content: 'admin' }],
		})
		expect(res.choices[0]?.message.content).toBe('echo: admin')
	})
})
