// Client function tools and structured output through the official openai SDK: a call of a client
// tool ends the answer with finish_reason tool_calls (plain and streamed), the next request brings
// the result, and the agent answers from it — in a kept session and in a throwaway one; a forced
// tool choice, a name the agent's own tools use, results that answer nothing; JSON answers.
import { beforeAll, describe, expect, it } from 'vitest'
import { key } from '../../security/helpers'
import { client, transcript } from './helpers'
import type { ChatCompletionChunk, ChatMessageParam, OpenAI } from './sdk.js'

let member: string

beforeAll(async () => {
	member = (await key('default', 'member')).secret
})

const weather = {
	type: 'function',
	function: {
		name: 'get_weather',
		description: 'The weather in a city',
		parameters: {
			type: 'object',
			properties: { city: { type: 'string' } },
			required: ['city'],
		},
	},
} as const

type Message = ChatMessageParam

const ask = (text: string): Message[] => [{ role: 'user', content: text }]

describe('client tools', () => {
	it('returns a client tool call, then answers from its result in the same session', async () => {
		const openai = client(member)
		const messages = ask('/tool get_weather {"city":"Paris"}')
		const { data: first, response } = await openai.chat.completions
			.create({ model: 'main', messages, tools: [weather], user: 'tools-kept' })
			.withResponse()
		const choice = first.choices[0]
		expect(choice?.finish_reason).toBe('tool_calls')
		expect(choice?.message.content).toBeNull()
		const call = choice?.message.tool_calls?.[0]
		expect(call).toMatchObject({
			type: 'function',
			function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
		})
		expect(choice?.message.tool_calls).toHaveLength(1)
		const session = response.headers.get('x-edgeclaw-session') as string

		const second = await openai.chat.completions.create({
			model: 'main',
			messages: [
				...messages,
				choice?.message as Message,
				{ role: 'tool', tool_call_id: call?.id as string, content: 'sunny, 21 °C' },
			],
			tools: [weather],
			user: 'tools-kept',
		})
		expect(second.choices[0]?.finish_reason).toBe('stop')
		expect(second.choices[0]?.message.content).toBe('get_weather returned sunny, 21 °C')
		expect(second.choices[0]?.message.tool_calls).toBeUndefined()
		// The session holds the call and its result once each, between the question and the answer.
		const lines = await transcript(session)
		expect(lines.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant'])
	})

	it('works in a throwaway session too: the history carries the call and its result', async () => {
		const openai = client(member)
		const messages: Message[] = [
			{ role: 'system', content: 'Be brief.' },
			...ask('/tool get_weather {"city":"Oslo"}'),
		]
		const first = await openai.chat.completions.create({
			model: 'main',
			messages,
			tools: [weather],
		})
		const reply = first.choices[0]?.message as Message & { tool_calls: { id: string }[] }
		expect(first.choices[0]?.finish_reason).toBe('tool_calls')
		const id = reply.tool_calls[0]?.id as string
		const { data: second, response } = await openai.chat.completions
			.create({
				model: 'main',
				messages: [...messages, reply, { role: 'tool', tool_call_id: id, content: 'snow' }],
				tools: [weather],
			})
			.withResponse()
		expect(second.choices[0]?.message.content).toBe('get_weather returned snow')
		expect(response.headers.get('x-edgeclaw-session')).toMatch(/^openai-/)
	})

	it('streams the calls in one chunk before finish_reason tool_calls', async () => {
		const openai = client(member)
		const stream = await openai.chat.completions.create({
			model: 'main',
			messages: ask('/tool get_weather {"city":"Rome"}'),
			tools: [weather],
			stream: true,
			stream_options: { include_usage: true },
		})
		const chunks: ChatCompletionChunk[] = []
		for await (const chunk of stream) chunks.push(chunk)
		const withCalls = chunks.filter((c) => c.choices[0]?.delta.tool_calls)
		expect(withCalls).toHaveLength(1)
		expect(withCalls[0]?.choices[0]?.delta.tool_calls).toEqual([
			{
				index: 0,
				id: expect.any(String),
				type: 'function',
				function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
			},
		])
		const finish = chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)
		expect(finish).toEqual(['tool_calls'])
		expect(chunks.at(-1)?.usage?.total_tokens).toBeGreaterThan(0)
	})

	it('calls the tool a forced tool_choice names, with arguments of its schema', async () => {
		const openai = client(member)
		const res = await openai.chat.completions.create({
			model: 'main',
			messages: ask('what is it like outside'),
			tools: [weather],
			tool_choice: { type: 'function', function: { name: 'get_weather' } },
		})
		const call = res.choices[0]?.message.tool_calls?.[0] as { function: { arguments: string } }
		expect(res.choices[0]?.finish_reason).toBe('tool_calls')
		expect(JSON.parse(call.function.arguments)).toEqual({ city: 'echo: what is it like outside' })
	})

	it("offers no client tool with tool_choice none, and the agent's tools still answer", async () => {
		const openai = client(member)
		const res = await openai.chat.completions.create({
			model: 'main',
			messages: ask('/tool get_weather {}'),
			tools: [weather],
			tool_choice: 'none',
		})
		expect(res.choices[0]?.finish_reason).toBe('stop')
		expect(res.choices[0]?.message.content).toBe('echo: tool "get_weather" is not available')
	})

	it("refuses a client tool named like one of the agent's own tools", async () => {
		const openai = client(member)
		const error = await openai.chat.completions
			.create({
				model: 'main',
				messages: ask('hi'),
				tools: [{ type: 'function', function: { name: 'time_now' } }],
			})
			.then(
				() => undefined,
				(e: unknown) => e as InstanceType<typeof OpenAI.BadRequestError>,
			)
		expect(error?.status).toBe(400)
		expect(error?.param).toBe('tools')
		expect(error?.code).toBe('tool_name_conflict')
	})

	it('refuses a tool result that answers no call of the session, and keeps nothing of it', async () => {
		const openai = client(member)
		const error = await openai.chat.completions
			.create({
				model: 'main',
				messages: [
					...ask('hello'),
					{ role: 'assistant', content: 'hi' },
					{ role: 'tool', tool_call_id: 'call_nobody_made', content: '42' },
				],
				user: 'tools-stray',
			})
			.then(
				() => undefined,
				(e: unknown) => e as InstanceType<typeof OpenAI.BadRequestError>,
			)
		expect(error?.status).toBe(400)
		expect(error?.message).toContain('call_nobody_made')
	})

	it('answers a session whose call was never answered: the model is told so', async () => {
		const openai = client(member)
		await openai.chat.completions.create({
			model: 'main',
			messages: ask('/tool get_weather {"city":"Lima"}'),
			tools: [weather],
			user: 'tools-abandoned',
		})
		const next = await openai.chat.completions.create({
			model: 'main',
			messages: ask('never mind'),
			user: 'tools-abandoned',
		})
		expect(next.choices[0]?.message.content).toBe('echo: never mind')
	})
})

describe('structured output', () => {
	it('answers json_object as a JSON object', async () => {
		const res = await client(member).chat.completions.create({
			model: 'main',
			messages: ask('hello'),
			response_format: { type: 'json_object' },
		})
		expect(JSON.parse(res.choices[0]?.message.content as string)).toEqual({ answer: 'echo: hello' })
	})

	it('answers json_schema in the shape of the schema, streamed too', async () => {
		const format = {
			type: 'json_schema',
			json_schema: {
				name: 'person',
				strict: true,
				schema: {
					type: 'object',
					properties: {
						name: { type: 'string' },
						age: { type: 'integer', minimum: 1 },
						tags: { type: 'array', items: { enum: ['a', 'b'] } },
						nick: { anyOf: [{ type: 'null' }, { type: 'string', maxLength: 4 }] },
					},
					required: ['name', 'age', 'tags', 'nick'],
					additionalProperties: false,
				},
			},
		}
		const expected = { name: 'echo: Ada', age: 1, tags: ['a'], nick: 'echo' }
		const openai = client(member)
		const res = await openai.chat.completions.create({
			model: 'main',
			messages: ask('Ada'),
			response_format: format,
		})
		expect(JSON.parse(res.choices[0]?.message.content as string)).toEqual(expected)
		const stream = await openai.chat.completions.create({
			model: 'main',
			messages: ask('Ada'),
			response_format: format,
			stream: true,
		})
		let text = ''
		for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
		expect(JSON.parse(text)).toEqual(expected)
	})
})
