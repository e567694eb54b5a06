// The Responses API's input on the wire: what an agent cannot take is a 400 in OpenAI's shape
// naming the parameter, and an item_reference brings an earlier stored answer along as history.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { createAgent } from '../../helpers'
import { key } from '../../security/helpers'
import { openAIError, transcript } from './helpers'
import { created as createdAs, respond as respondAs } from './responses-helpers'

let member: string

beforeAll(async () => {
	member = (await key('default', 'member')).secret
})

const respond = (body: unknown, headers: Record<string, string> = {}) =>
	respondAs(body, headers, member)
const created = (body: unknown, headers: Record<string, string> = {}) =>
	createdAs(body, member, headers)

describe('what an agent cannot take', () => {
	const cases: [string, Record<string, unknown>, string, string][] = [
		['a hosted tool', { tools: [{ type: 'web_search' }] }, 'tools.0.type', 'unsupported_value'],
		[
			'a function without a name',
			{ tools: [{ type: 'function' }] },
			'tools.0.name',
			'missing_required_parameter',
		],
		['tool_choice without tools', { tool_choice: 'required' }, 'tool_choice', 'invalid_value'],
		[
			'a tool_choice of no tool',
			{ tools: [{ type: 'function', name: 'f' }], tool_choice: { type: 'function', name: 'g' } },
			'tool_choice',
			'invalid_value',
		],
		[
			'an unknown output format',
			{ text: { format: { type: 'grammar' } } },
			'text.format.type',
			'unsupported_value',
		],
		[
			'a schema without a name',
			{ text: { format: { type: 'json_schema', schema: {} } } },
			'text.format.name',
			'missing_required_parameter',
		],
		['conversation', { conversation: 'conv_1' }, 'conversation', 'unsupported_parameter'],
		[
			'an image',
			{
				input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }],
			},
			'input.0.content.0.type',
			'unsupported_value',
		],
		[
			'a file',
			{ input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] },
			'input.0.content.0.type',
			'unsupported_value',
		],
		[
			'a tool result without its call',
			{ input: [{ type: 'function_call_output', output: 'x' }] },
			'input.0.call_id',
			'missing_required_parameter',
		],
		[
			'a tool result that answers no call',
			{ input: [{ type: 'function_call_output', call_id: 'c', output: 'x' }] },
			null as unknown as string,
			'bad_request',
		],
		[
			'a hosted tool call',
			{
				input: [
					{ type: 'web_search_call', id: 'ws_1' },
					{ role: 'user', content: 'q' },
				],
			},
			'input.0.type',
			'unsupported_value',
		],
		[
			'no user message',
			{ input: [{ role: 'assistant', content: 'hi' }] },
			'input',
			'invalid_value',
		],
		['blank input', { input: '   ' }, 'input', 'invalid_value'],
		[
			'items after the turn',
			{
				input: [
					{ role: 'user', content: 'q' },
					{ role: 'assistant', content: 'a' },
				],
			},
			'input.1',
			'unsupported_value',
		],
		['a bad role', { input: [{ role: 'tool', content: 'q' }] }, 'input.0.role', 'invalid_value'],
		[
			'an unknown reference',
			{
				input: [
					{ type: 'item_reference', id: 'msg_nope' },
					{ role: 'user', content: 'q' },
				],
			},
			'input.0.id',
			'invalid_value',
		],
		[
			'an unknown previous response',
			{ previous_response_id: 'resp_nope' },
			'previous_response_id',
			'previous_response_not_found',
		],
		['a wrong temperature', { temperature: 3 }, 'temperature', 'validation_failed'],
		['an unknown field', { frobnicate: true }, null as unknown as string, 'validation_failed'],
	]
	for (const [name, fields, param, code] of cases) {
		it(`400 for ${name}`, async () => {
			const res = await respond({ model: 'main', input: 'q', ...fields })
			expect(res.status).toBe(400)
			const error = await openAIError(res)
			expect(error.type).toBe('invalid_request_error')
			expect(error.code).toBe(code)
			if (param !== null) expect(error.param).toBe(param)
		})
	}

	it('404 model_not_found for a model that is not an agent', async () => {
		const res = await respond({ model: 'gpt-4o', input: 'q' })
		expect(res.status).toBe(404)
		expect(await openAIError(res)).toMatchObject({ param: 'model', code: 'model_not_found' })
	})

	it('400 when previous_response_id and the session header disagree, or the agent differs', async () => {
		const { body } = await created({ model: 'main', input: 'base' })
		const header = await respond(
			{ model: 'main', input: 'q', previous_response_id: body.id },
			{ 'x-edgeclaw-session': 'somewhere-else' },
		)
		expect(header.status).toBe(400)
		expect((await openAIError(header)).param).toBe('x-edgeclaw-session')
		await createAgent(env.DB, 'resp-second', {})
		const model = await respond({ model: 'resp-second', input: 'q', previous_response_id: body.id })
		expect(model.status).toBe(400)
		expect((await openAIError(model)).param).toBe('model')
	})
})

describe('item_reference', () => {
	it('brings an earlier stored answer into a new session as history', async () => {
		const first = await created({ model: 'main', input: 'remember' })
		const msg = first.body.output[0]?.id as string
		const { session } = await created({
			model: 'main',
			input: [
				{ role: 'user', content: 'remember' },
				{ type: 'item_reference', id: msg },
				{ role: 'user', content: 'and now' },
			],
		})
		expect(await transcript(session)).toEqual([
			{ role: 'user', text: 'remember' },
			{ role: 'assistant', text: 'echo: remember' },
			{ role: 'user', text: 'and now' },
			{ role: 'assistant', text: 'echo: and now' },
		])
	})
})
