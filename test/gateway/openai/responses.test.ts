// The Responses API on the wire: the response object, its typed Server-Sent Events in order,
// previous_response_id continuing the same session, retrieval and cancelling by id, another
// tenant's id finding nothing, and OpenAI-shaped 400s for what an agent cannot take.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { createAgent } from '../../helpers'
import { key } from '../../security/helpers'
import { openAIError, transcript } from './helpers'
import {
	created as createdAs,
	get as getAs,
	type ResponseBody,
	respond as respondAs,
} from './responses-helpers'

let member: string
let stranger: string

beforeAll(async () => {
	member = (await key('default', 'member')).secret
	await env.DB.prepare('INSERT INTO tenants (id, name) VALUES (?, ?)')
		.bind('resp-other', 'other')
		.run()
	await createAgent(env.DB, 'main', {}, 'resp-other')
	stranger = (await key('resp-other', 'member')).secret
})

const respond = (body: unknown, headers: Record<string, string> = {}, secret = member) =>
	respondAs(body, headers, secret)
const get = (path: string, secret = member, method = 'GET') => getAs(path, secret, method)
const created = (body: unknown, headers: Record<string, string> = {}) =>
	createdAs(body, member, headers)
type Response = ResponseBody

/** The SSE body as its events: each one `event:` line naming the `type` of its `data:` line. */
function events(text: string): Record<string, unknown>[] {
	expect(text.endsWith('\n\n')).toBe(true)
	return text
		.split('\n\n')
		.filter((block) => block !== '' && !block.startsWith(':'))
		.map((block) => {
			const [event, data, ...rest] = block.split('\n')
			expect(rest).toEqual([])
			const parsed = JSON.parse((data as string).replace(/^data: /, '')) as Record<string, unknown>
			expect(event).toBe(`event: ${parsed.type}`)
			return parsed
		})
}

describe('POST /v1/responses', () => {
	it("answers with a response object carrying the agent's reply and usage", async () => {
		const { body, session } = await created({ model: 'edgeclaw/main', input: 'hello there' })
		expect(Object.keys(body).sort()).toEqual(
			[
				'background',
				'completed_at',
				'created_at',
				'error',
				'id',
				'incomplete_details',
				'instructions',
				'max_output_tokens',
				'metadata',
				'model',
				'object',
				'output',
				'parallel_tool_calls',
				'previous_response_id',
				'status',
				'store',
				'temperature',
				'text',
				'tool_choice',
				'tools',
				'top_p',
				'truncation',
				'usage',
				'user',
			].sort(),
		)
		expect(body).toMatchObject({
			object: 'response',
			status: 'completed',
			model: 'edgeclaw/main',
			error: null,
			incomplete_details: null,
			previous_response_id: null,
			store: true,
			output: [
				{
					type: 'message',
					role: 'assistant',
					status: 'completed',
					content: [
						{ type: 'output_text', text: 'echo: hello there', annotations: [], logprobs: [] },
					],
				},
			],
		})
		expect(body.id).toMatch(/^resp_[A-Za-z0-9_-]+$/)
		expect(body.output[0]?.id).toMatch(/^msg_[A-Za-z0-9_-]+$/)
		expect(body.usage.output_tokens).toBe(5)
		expect(body.usage.total_tokens).toBe(body.usage.input_tokens + body.usage.output_tokens)
		expect(body.usage).toMatchObject({
			input_tokens_details: { cached_tokens: 0 },
			output_tokens_details: { reasoning_tokens: 0 },
		})
		// Without a session named, store (the default) keeps a new session, so the id works later.
		expect(session).toMatch(/^openai-[0-9a-f-]{36}$/)
		expect(await transcript(session)).toEqual([
			{ role: 'user', text: 'hello there' },
			{ role: 'assistant', text: 'echo: hello there' },
		])
	})

	it('takes message items with text parts; earlier items and instructions seed a new session', async () => {
		const { body, session } = await created(
			{
				model: 'main',
				instructions: 'Be brief.',
				input: [
					{ role: 'developer', content: 'No jokes.' },
					{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'earlier' }] },
					{ role: 'assistant', content: [{ type: 'output_text', text: 'answer' }] },
					{
						role: 'user',
						content: [
							{ type: 'input_text', text: 'a' },
							{ type: 'input_text', text: 'b' },
						],
					},
				],
				temperature: 0.3,
				top_p: 1,
				max_output_tokens: 64,
				metadata: { purpose: 'test' },
				user: undefined,
				safety_identifier: 'someone',
				text: { format: { type: 'text' }, verbosity: 'low' },
				tools: [],
				tool_choice: 'auto',
			},
			{ 'x-edgeclaw-session': 'resp-seeded' },
		)
		expect(session).toBe('resp-seeded')
		expect(body.output[0]?.content[0]?.text).toBe('echo: ab')
		expect(body).toMatchObject({
			instructions: 'Be brief.',
			metadata: { purpose: 'test' },
			temperature: 0.3,
		})
		expect(await transcript('resp-seeded')).toEqual([
			{ role: 'system', text: 'Be brief.' },
			{ role: 'system', text: 'No jokes.' },
			{ role: 'user', text: 'earlier' },
			{ role: 'assistant', text: 'answer' },
			{ role: 'user', text: 'ab' },
			{ role: 'assistant', text: 'echo: ab' },
		])
	})

	it('store: false keeps nothing: the session is deleted once answered', async () => {
		const { body, session } = await created({ model: 'main', input: 'forget me', store: false })
		expect(body.store).toBe(false)
		// The session goes once the answer is out; the id then finds nothing.
		await expect.poll(async () => (await get(`/v1/responses/${body.id}`)).status).toBe(404)
		await expect.poll(async () => (await transcript(session).catch(() => [])).length).toBe(0)
	})

	it('background: answers at once with the queued run, retrieved once it has finished', async () => {
		const { body } = await created({ model: 'main', input: 'later', background: true })
		expect(['queued', 'in_progress', 'completed']).toContain(body.status)
		expect(body.background).toBe(true)
		await expect
			.poll(async () => ((await (await get(`/v1/responses/${body.id}`)).json()) as Response).status)
			.toBe('completed')
	})
})

describe('streaming', () => {
	it('sends the typed events in order, numbered, ending with response.completed', async () => {
		const res = await respond({ model: 'edgeclaw/main', input: 'stream me', stream: true })
		expect(res.status).toBe(200)
		expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
		const list = events(await res.text())
		expect(list.map((e) => e.sequence_number)).toEqual(list.map((_, i) => i))
		const types = list.map((e) => e.type as string)
		const deltas = types.filter((t) => t === 'response.output_text.delta').length
		expect(deltas).toBeGreaterThan(0)
		expect(types).toEqual([
			'response.created',
			'response.in_progress',
			'response.output_item.added',
			'response.content_part.added',
			...Array(deltas).fill('response.output_text.delta'),
			'response.output_text.done',
			'response.content_part.done',
			'response.output_item.done',
			'response.completed',
		])
		const text = list
			.filter((e) => e.type === 'response.output_text.delta')
			.map((e) => e.delta)
			.join('')
		expect(text).toBe('echo: stream me')
		const [createdEvent, , added, part] = list as Record<string, Record<string, unknown>>[]
		const id = createdEvent?.response?.id
		expect(createdEvent?.response).toMatchObject({ object: 'response', output: [], usage: null })
		expect(added).toMatchObject({
			output_index: 0,
			item: { type: 'message', status: 'in_progress', content: [] },
		})
		const itemId = (added?.item as { id?: string } | undefined)?.id
		expect(part).toMatchObject({
			item_id: itemId,
			output_index: 0,
			content_index: 0,
			part: { type: 'output_text', text: '' },
		})
		for (const e of list.filter((e) => e.type === 'response.output_text.delta')) {
			expect(e).toMatchObject({ item_id: itemId, output_index: 0, content_index: 0, logprobs: [] })
		}
		expect(list.at(-4)).toMatchObject({
			type: 'response.output_text.done',
			text: 'echo: stream me',
		})
		expect(list.at(-2)).toMatchObject({
			item: { id: itemId, status: 'completed', content: [{ text: 'echo: stream me' }] },
		})
		const done = list.at(-1)?.response as Response
		expect(done).toMatchObject({ id, status: 'completed', output: [{ id: itemId }] })
		expect(done.usage.output_tokens).toBeGreaterThan(0)
		// The streamed response is stored like any other.
		const stored = (await (await get(`/v1/responses/${id}`)).json()) as Response
		expect(stored.output[0]?.content[0]?.text).toBe('echo: stream me')
	})

	it('ends a failed run with response.failed carrying its error', async () => {
		await createAgent(env.DB, 'resp-broken', { model: { primary: 'offline:echo', fallbacks: [] } })
		const res = await respond({ model: 'resp-broken', input: '/fail 400', stream: true })
		const list = events(await res.text())
		expect(list.at(-1)).toMatchObject({
			type: 'response.failed',
			response: { status: 'failed', output: [], error: { code: expect.any(String) } },
		})
	})
})

describe('previous_response_id and retrieval', () => {
	it('continues the same session: the second turn sees the first', async () => {
		const first = await created({ model: 'main', input: 'one' })
		const second = await created({
			model: 'main',
			input: 'two',
			previous_response_id: first.body.id,
		})
		expect(second.session).toBe(first.session)
		expect(second.body.previous_response_id).toBe(first.body.id)
		expect(second.body.id).not.toBe(first.body.id)
		expect(await transcript(first.session)).toEqual([
			{ role: 'user', text: 'one' },
			{ role: 'assistant', text: 'echo: one' },
			{ role: 'user', text: 'two' },
			{ role: 'assistant', text: 'echo: two' },
		])
		// The second model call was given the first exchange: its prompt is larger.
		expect(second.body.usage.input_tokens).toBeGreaterThan(first.body.usage.input_tokens)
	})

	it('keeps one session per user, and an idempotency key gives back the same response', async () => {
		const first = await created({ model: 'main', input: 'u1', user: 'dana@example.com' })
		const second = await created({ model: 'main', input: 'u2', user: 'dana@example.com' })
		expect(first.session).toMatch(/^openai-user-[0-9a-f]{32}$/)
		expect(second.session).toBe(first.session)
		// Without a session named, the key names the new session: a retry finds it there.
		const headers = { 'idempotency-key': 'resp-idem-1' }
		const once = await created({ model: 'main', input: 'only once' }, headers)
		const again = await created({ model: 'main', input: 'only once' }, headers)
		expect(once.session).toMatch(/^openai-key-[0-9a-f]{32}$/)
		expect(again.session).toBe(once.session)
		expect(again.body.id).toBe(once.body.id)
		expect(await transcript(once.session)).toHaveLength(2)
	})

	it('retrieves a response by id, as stored', async () => {
		const { body, session } = await created({ model: 'main', input: 'keep me' })
		const res = await get(`/v1/responses/${body.id}`)
		expect(res.status).toBe(200)
		expect(res.headers.get('x-edgeclaw-session')).toBe(session)
		const stored = (await res.json()) as Response
		expect(stored).toMatchObject({
			id: body.id,
			status: 'completed',
			model: 'edgeclaw/main',
			output: body.output,
			usage: body.usage,
		})
	})

	it("another tenant's id finds nothing: 404, and 400 as previous_response_id", async () => {
		const { body } = await created({ model: 'main', input: 'mine' })
		const res = await get(`/v1/responses/${body.id}`, stranger)
		expect(res.status).toBe(404)
		expect(await openAIError(res)).toMatchObject({
			type: 'invalid_request_error',
			param: 'response_id',
		})
		const cont = await respond(
			{ model: 'main', input: 'x', previous_response_id: body.id },
			{},
			stranger,
		)
		expect(cont.status).toBe(400)
		expect(await openAIError(cont)).toMatchObject({
			param: 'previous_response_id',
			code: 'previous_response_not_found',
		})
	})

	it('serves no DELETE (405) and no second stream of a stored response (400)', async () => {
		const { body } = await created({ model: 'main', input: 'stay' })
		const res = await get(`/v1/responses/${body.id}`, member, 'DELETE')
		expect(res.status).toBe(405)
		await openAIError(res)
		const stream = await get(`/v1/responses/${body.id}?stream=true`)
		expect(stream.status).toBe(400)
		expect((await openAIError(stream)).param).toBe('stream')
	})

	it('404s ids that are not response ids', async () => {
		for (const id of ['resp_', 'resp_!!', 'nothing', `resp_${btoa('a b c d')}`]) {
			const res = await get(`/v1/responses/${encodeURIComponent(id)}`)
			expect(res.status, id).toBe(404)
			await openAIError(res)
		}
	})

	it('cancels a response in progress; a finished one is a 409', async () => {
		const { body } = await created({ model: 'main', input: '/slow 60000 zzz', background: true })
		const res = await get(`/v1/responses/${body.id}/cancel`, member, 'POST')
		expect(res.status).toBe(200)
		expect(((await res.json()) as Response).status).toBe('cancelled')
		const again = await get(`/v1/responses/${body.id}/cancel`, member, 'POST')
		expect(again.status).toBe(409)
		await openAIError(again)
	})
})
