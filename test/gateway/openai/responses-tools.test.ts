// Client tools and structured output on /v1/responses: a call ends the response with a
// function_call item (JSON and streamed, in event order), its output comes back either through
// previous_response_id or as history in a new session; text.format shapes the answer.
import { beforeAll, describe, expect, it } from 'vitest'
import { key } from '../../security/helpers'
import { transcript } from './helpers'
import { created as createdAs, respond } from './responses-helpers'

let member: string

beforeAll(async () => {
	member = (await key('default', 'member')).secret
})

const created = (body: unknown) => createdAs(body, member)
const tools = [
	{
		type: 'function',
		name: 'lookup',
		parameters: { type: 'object', properties: { q: { type: 'string' } } },
	},
]

describe('function tools', () => {
	it('answers a call as a function_call item; its output, continued, is answered', async () => {
		const { body, session } = await created({
			model: 'main',
			input: '/tool lookup {"q":"x"}',
			tools,
		})
		expect(body.status).toBe('completed')
		expect(body.output).toEqual([
			{
				id: expect.stringMatching(/^fc_/),
				type: 'function_call',
				call_id: expect.any(String),
				name: 'lookup',
				arguments: '{"q":"x"}',
				status: 'completed',
			},
		])
		expect(body.tools).toEqual(tools)
		const callId = (body.output[0] as unknown as { call_id: string }).call_id
		const next = await created({
			model: 'main',
			previous_response_id: body.id,
			input: [{ type: 'function_call_output', call_id: callId, output: 'found' }],
		})
		expect(next.session).toBe(session)
		expect(next.body.output[0]?.content[0]?.text).toBe('lookup returned found')
		expect((await transcript(session)).map((m) => m.role)).toEqual([
			'user',
			'assistant',
			'tool',
			'assistant',
		])
	})

	it('takes the whole history in a new session: message, function_call, output', async () => {
		const { body } = await created({
			model: 'main',
			input: [
				{ role: 'user', content: 'look it up' },
				{ type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{}' },
				{ type: 'function_call', call_id: 'c2', name: 'lookup', arguments: '{"q":"y"}' },
				{ type: 'function_call_output', call_id: 'c1', output: 'one' },
				{
					type: 'function_call_output',
					call_id: 'c2',
					output: [{ type: 'input_text', text: 'two' }],
				},
			],
			tools,
		})
		expect(body.output[0]?.content[0]?.text).toBe('lookup returned one; lookup returned two')
	})

	it('streams the call after response.in_progress, in the Responses event order', async () => {
		const res = await respond(
			{ model: 'main', input: '/tool lookup {"q":"s"}', tools, stream: true },
			{},
			member,
		)
		expect(res.status).toBe(200)
		const events = (await res.text())
			.split('\n\n')
			.filter((block) => block.startsWith('event: '))
			.map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)))
		expect(events.map((e) => e.type)).toEqual([
			'response.created',
			'response.in_progress',
			'response.output_item.added',
			'response.function_call_arguments.delta',
			'response.function_call_arguments.done',
			'response.output_item.done',
			'response.completed',
		])
		expect(events.map((e) => e.sequence_number)).toEqual([0, 1, 2, 3, 4, 5, 6])
		expect(events[2].item).toMatchObject({
			type: 'function_call',
			arguments: '',
			status: 'in_progress',
		})
		expect(events[4]).toMatchObject({ output_index: 0, name: 'lookup', arguments: '{"q":"s"}' })
		expect(events[6].response.output).toEqual([events[5].item])
	})
})

describe('text.format', () => {
	it('answers json_schema in the schema’s shape and echoes the format', async () => {
		const format = {
			type: 'json_schema',
			name: 'answer',
			schema: { type: 'object', properties: { ok: { type: 'boolean' }, says: { type: 'string' } } },
		}
		const { body } = await created({ model: 'main', input: 'hi', text: { format } })
		expect(JSON.parse(body.output[0]?.content[0]?.text as string)).toEqual({
			ok: true,
			says: 'echo: hi',
		})
		expect(body.text).toEqual({ format })
	})
})
