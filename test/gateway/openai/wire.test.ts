// The OpenAI-compatible API on the wire, without the SDK: exact SSE framing, the exact completion
// object, and OpenAI's error shape for the errors the shared middleware raises on these paths
// (while every other path keeps problem+json).
import { env, runInDurableObject } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { createGateway } from '../../../src/gateway/app'
import { laneName } from '../../../src/lanes/name'
import { captureLogs } from '../../fakes/logs'
import { ADMIN_TOKEN, call, createAgent, eventually, problem } from '../../helpers'
import { key } from '../../security/helpers'
import { completion, openAIError, sseData } from './helpers'

let member: string

beforeAll(async () => {
	member = (await key('default', 'member')).secret
})

const hello = { model: 'edgeclaw/main', messages: [{ role: 'user', content: 'hello' }] }

describe('the completion object', () => {
	it('has exactly the members OpenAI sends', async () => {
		const res = await completion(member, hello, { 'x-request-id': 'wire-1' })
		expect(res.status).toBe(200)
		expect(res.headers.get('content-type')).toMatch(/^application\/json/)
		expect(res.headers.get('x-request-id')).toBe('wire-1')
		const body = (await res.json()) as Record<string, unknown>
		expect(Object.keys(body).sort()).toEqual([
			'choices',
			'created',
			'id',
			'model',
			'object',
			'usage',
		])
		expect(body.choices).toEqual([
			{
				index: 0,
				message: { role: 'assistant', content: 'echo: hello', refusal: null },
				finish_reason: 'stop',
				logprobs: null,
			},
		])
		expect(Object.keys(body.usage as object).sort()).toEqual([
			'completion_tokens',
			'prompt_tokens',
			'total_tokens',
		])
	})
})

describe('Server-Sent Events', () => {
	it('frames every chunk as one data line, one id throughout, [DONE] last', async () => {
		const res = await completion(member, {
			...hello,
			stream: true,
			stream_options: { include_usage: true },
		})
		expect(res.status).toBe(200)
		expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
		expect(res.headers.get('cache-control')).toContain('no-cache')
		expect(res.headers.get('x-edgeclaw-session')).toMatch(/^openai-/)
		expect(res.headers.get('x-request-id')).toBeTruthy()
		const text = await res.text()
		const data = sseData(text)
		expect(data.at(-1)).toBe('[DONE]')
		expect(text.endsWith('data: [DONE]\n\n')).toBe(true)
		const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Record<string, unknown>)
		const ids = new Set(chunks.map((c) => c.id))
		expect(ids.size).toBe(1)
		const created = new Set(chunks.map((c) => c.created))
		expect(created.size).toBe(1)
		for (const c of chunks) {
			expect(Object.keys(c).sort()).toEqual([
				'choices',
				'created',
				'id',
				'model',
				'object',
				'usage',
			])
			expect(c).toMatchObject({ object: 'chat.completion.chunk', model: 'edgeclaw/main' })
		}
		const choices = chunks.map((c) => (c.choices as Record<string, unknown>[])[0])
		expect(choices[0]).toEqual({
			index: 0,
			delta: { role: 'assistant', content: '' },
			finish_reason: null,
			logprobs: null,
		})
		const deltas = choices.slice(1, -2)
		expect(
			deltas.map((c) => (c?.delta as { content?: string } | undefined)?.content).join(''),
		).toBe('echo: hello')
		for (const c of deltas) expect(c).toMatchObject({ finish_reason: null, logprobs: null })
		expect(choices.at(-2)).toEqual({ index: 0, delta: {}, finish_reason: 'stop', logprobs: null })
		// The usage chunk: no choices, and the only chunk whose usage is not null.
		const usage = chunks.at(-1) as { choices: unknown[]; usage: Record<string, number> }
		expect(usage.choices).toEqual([])
		expect(usage.usage.completion_tokens).toBe(3)
		expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true)
	})

	it('ends a failed run with an error frame and no [DONE]', async () => {
		const res = await completion(member, {
			model: 'main',
			messages: [{ role: 'user', content: '/fail 400' }],
			stream: true,
		})
		expect(res.status).toBe(200)
		const data = sseData(await res.text())
		expect(data).toHaveLength(2)
		expect(data).not.toContain('[DONE]')
		const { error } = JSON.parse(data[1] as string) as { error: Record<string, unknown> }
		expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type'])
		expect(error).toMatchObject({ type: 'api_error', code: 'models_exhausted', param: null })
	})

	it('answers errors before the stream starts as JSON, not as a stream', async () => {
		const res = await completion(member, { ...hello, model: 'ghost', stream: true })
		expect(res.status).toBe(404)
		expect(await openAIError(res)).toMatchObject({ code: 'model_not_found', param: 'model' })
	})
})

describe("errors in OpenAI's shape", () => {
	it('401 without credentials, with the Bearer challenge', async () => {
		const res = await call('/v1/chat/completions', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(hello),
		})
		expect(res.status).toBe(401)
		expect(res.headers.get('www-authenticate')).toContain('Bearer')
		expect(await openAIError(res)).toMatchObject({
			type: 'authentication_error',
			code: 'invalid_api_key',
			param: null,
		})
	})

	it('400 for malformed JSON, a schema violation and credentials in the URL', async () => {
		const malformed = await completion(member, '{"model": "main",')
		expect(malformed.status).toBe(400)
		expect(await openAIError(malformed)).toMatchObject({
			type: 'invalid_request_error',
			code: 'malformed_json',
		})
		const invalid = await completion(member, { ...hello, top_p: 2 })
		expect(invalid.status).toBe(400)
		expect(await openAIError(invalid)).toMatchObject({
			type: 'invalid_request_error',
			code: 'validation_failed',
			param: 'top_p',
		})
		const unknown = await completion(member, { ...hello, bogus: 1 })
		expect(unknown.status).toBe(400)
		expect((await openAIError(unknown)).message).toContain('bogus')
		const leaked = await call(`/v1/models?api_key=${ADMIN_TOKEN}`)
		expect(leaked.status).toBe(400)
		const error = await openAIError(leaked)
		expect(error.code).toBe('credentials_in_url')
		expect(JSON.stringify(error)).not.toContain(ADMIN_TOKEN)
	})

	it('415 for another content type, 413 above the body cap', async () => {
		const text = await call('/v1/chat/completions', {
			method: 'POST',
			headers: { authorization: `Bearer ${member}`, 'content-type': 'text/plain' },
			body: JSON.stringify(hello),
		})
		expect(text.status).toBe(415)
		expect(await openAIError(text)).toMatchObject({ type: 'invalid_request_error' })
		const big = await completion(member, {
			...hello,
			messages: [{ role: 'user', content: 'x'.repeat(1_100_000) }],
		})
		expect(big.status).toBe(413)
		expect(await openAIError(big)).toMatchObject({
			type: 'invalid_request_error',
			code: 'payload_too_large',
		})
	})

	it('404 for unknown routes under /v1/chat and /v1/models (and the unserved /v1/completions), 405 with Allow', async () => {
		const auth = { authorization: `Bearer ${member}` }
		for (const path of ['/v1/chat/nope', '/v1/models/a/b/c', '/v1/completions']) {
			const res = await call(path, { headers: auth })
			expect(res.status, path).toBe(404)
			expect(await openAIError(res)).toMatchObject({
				type: 'invalid_request_error',
				code: 'not_found',
			})
		}
		const get = await call('/v1/chat/completions', { headers: auth })
		expect(get.status).toBe(405)
		expect(get.headers.get('allow')).toBe('POST, OPTIONS')
		expect(await openAIError(get)).toMatchObject({ code: 'method_not_allowed' })
		const options = await call('/v1/chat/completions', { method: 'OPTIONS', headers: auth })
		expect(options.status).toBe(204)
	})

	it('500 in the same shape, without the details', async () => {
		const { sink, entries } = captureLogs()
		const app = createGateway({ sink })
		app.get('/v1/chat/boom', () => {
			throw new Error('secret internals hunter2')
		})
		const res = await app.request(
			'/v1/chat/boom',
			{ headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-request-id': 'boom-1' } },
			env,
		)
		expect(res.status).toBe(500)
		expect(res.headers.get('x-request-id')).toBe('boom-1')
		const error = await openAIError(res)
		expect(error).toMatchObject({ type: 'api_error', code: 'internal_error', param: null })
		expect(error.message).toContain('request id')
		expect(JSON.stringify(error)).not.toContain('hunter2')
		const logged = entries().find((l) => l.msg === 'unhandled')
		expect(logged?.requestId).toBe('boom-1')
		expect(JSON.stringify(logged)).toContain('hunter2')
	})

	it('keeps problem+json everywhere else', async () => {
		const res = await call('/v1/sessions/x/messages', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{}',
		})
		expect(res.status).toBe(401)
		expect((await problem(res)).code).toBe('unauthorized')
		expect((await problem(await call('/v1/nothing-here'))).code).toBe('unauthorized')
		expect((await problem(await call('/nothing-here'))).code).toBe('not_found')
	})
})

describe('ephemeral sessions', () => {
	const exists = async (sessionKey: string) => {
		const res = await call(`/v1/sessions/${sessionKey}?agent=main`, {
			headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
		})
		await res.body?.cancel()
		return res.status === 200
	}
	const gone = (sessionKey: string) =>
		eventually(async () => ((await exists(sessionKey)) ? undefined : true))

	/** What the session's lane object still stores: its tables (none once it is deleted), its alarm. */
	const stored = (agentId: string, sessionKey: string) =>
		runInDurableObject(
			env.SESSION_LANE.getByName(laneName({ tenantId: 'default', agentId, sessionKey })),
			async (_lane, state) => ({
				tables: state.storage.sql
					.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
					.toArray()
					.map((t) => t.name)
					.filter((name) => !name.startsWith('_cf_')),
				alarm: await state.storage.getAlarm(),
			}),
		)
	const indexRows = async (sessionKey: string) =>
		(
			await env.DB.prepare('SELECT count(*) AS n FROM sessions WHERE session_key = ?')
				.bind(sessionKey)
				.first<{ n: number }>()
		)?.n
	const callsOf = async (agentId: string) =>
		(
			await env.DB.prepare(
				"SELECT coalesce(sum(calls), 0) AS n FROM usage_daily WHERE tenant_id = 'default' AND agent_id = ?",
			)
				.bind(agentId)
				.first<{ n: number }>()
		)?.n ?? 0

	it('a request that names no session gets its own, deleted once it has answered', async () => {
		const res = await completion(member, hello)
		expect(res.status).toBe(200)
		const sessionKey = res.headers.get('x-edgeclaw-session') ?? ''
		expect(sessionKey).toMatch(/^openai-/)
		expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices).toEqual(
			[expect.objectContaining({ message: expect.objectContaining({ content: 'echo: hello' }) })],
		)
		expect(await gone(sessionKey)).toBe(true)
	})

	it('deletes itself: no index row, storage and alarm gone, its usage still counted', async () => {
		// An agent of its own, so that only this request's model call counts for it.
		await createAgent(env.DB, 'throwaway', {})
		const res = await completion(member, { ...hello, model: 'edgeclaw/throwaway' })
		expect(res.status).toBe(200)
		const sessionKey = res.headers.get('x-edgeclaw-session') ?? ''
		const body = (await res.json()) as { choices: { message: { content: string } }[] }
		expect(body.choices[0]?.message.content).toBe('echo: hello')
		// The lane empties itself after the answer, with nobody asking it to.
		await expect.poll(() => stored('throwaway', sessionKey)).toEqual({ tables: [], alarm: null })
		// The model call is counted for the tenant like any other: budgets hold without `user`.
		await expect.poll(() => callsOf('throwaway')).toBe(1)
		// It never entered the sessions index: nothing lists it, and nothing removes a row.
		expect(await indexRows(sessionKey)).toBe(0)
		const listed = await call('/v1/sessions?agent=throwaway', {
			headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
		})
		expect(((await listed.json()) as { sessions: unknown[] }).sessions).toEqual([])
		const messages = await call(`/v1/sessions/${sessionKey}/messages?agent=throwaway`, {
			headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
		})
		expect(messages.status).toBe(404)
	})

	it('also after a stream, while a named session stays', async () => {
		const res = await completion(member, { ...hello, stream: true })
		const sessionKey = res.headers.get('x-edgeclaw-session') ?? ''
		await res.text()
		expect(await gone(sessionKey)).toBe(true)
		const kept = await completion(member, hello, { 'x-edgeclaw-session': 'kept-1' })
		await kept.json()
		expect(await exists('kept-1')).toBe(true)
	})
})

describe('CORS for browser clients', () => {
	it('allows the session, idempotency and OpenAI SDK headers in a preflight', async () => {
		const app = createGateway()
		const res = await app.request(
			'/v1/chat/completions',
			{
				method: 'OPTIONS',
				headers: {
					origin: 'https://app.example',
					'access-control-request-method': 'POST',
					'access-control-request-headers': 'authorization,x-edgeclaw-session,x-stainless-os',
				},
			},
			{ ...env, EDGECLAW_CORS_ORIGINS: 'https://app.example' },
		)
		const allowed = res.headers.get('access-control-allow-headers') ?? ''
		for (const h of ['x-edgeclaw-session', 'idempotency-key', 'x-stainless-os']) {
			expect(allowed).toContain(h)
		}
	})
})
