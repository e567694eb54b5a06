// Client tools and structured output with the frameworks people build agents on, unchanged,
// against `wrangler dev` (setup.ts): the AI SDK's `generateText` with tools through two steps and
// `Output.object`, LangChain's `bindTools` round trip and `withStructuredOutput`, and the Responses
// API's function calls and `text.format` with the openai SDK and the AI SDK's default provider.
import { createOpenAI } from '@ai-sdk/openai'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { type AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages'
import { ChatOpenAI } from '@langchain/openai'
import { generateText, jsonSchema, Output, stepCountIs, tool } from 'ai'
import OpenAI from 'openai'
import { describe, expect, inject, it } from 'vitest'
import { z } from 'zod'

const baseUrl = inject('baseUrl')
const apiKey = inject('apiKey')

const cityParams = {
	type: 'object',
	properties: { city: { type: 'string' } },
	required: ['city'],
	additionalProperties: false,
} as const

describe('AI SDK (openai-compatible chat)', () => {
	const provider = createOpenAICompatible({
		name: 'edgeclaw',
		baseURL: `${baseUrl}/v1`,
		apiKey,
		supportsStructuredOutputs: true,
	})

	it('generateText runs a client tool and answers from its result in two steps', async () => {
		const seen: unknown[] = []
		const result = await generateText({
			model: provider('edgeclaw/main'),
			prompt: '/tool get_weather {"city":"Paris"}',
			tools: {
				get_weather: tool({
					description: 'The weather in a city',
					inputSchema: jsonSchema<{ city: string }>(cityParams),
					execute: async (input) => {
						seen.push(input)
						return 'sunny'
					},
				}),
			},
			stopWhen: stepCountIs(3),
		})
		expect(seen).toEqual([{ city: 'Paris' }])
		expect(result.steps).toHaveLength(2)
		expect(result.steps[0]?.finishReason).toBe('tool-calls')
		expect(result.text).toBe('get_weather returned sunny')
		expect(result.totalUsage.totalTokens).toBeGreaterThan(0)
	})

	it('Output.object gets JSON in the schema’s shape', async () => {
		const { output } = await generateText({
			model: provider('edgeclaw/main'),
			prompt: 'Ada',
			output: Output.object({ schema: z.object({ name: z.string(), age: z.number() }) }),
		})
		expect(output).toEqual({ name: 'echo: Ada', age: 0 })
	})
})

describe('LangChain ChatOpenAI', () => {
	const model = new ChatOpenAI({
		model: 'edgeclaw/main',
		apiKey,
		configuration: { baseURL: `${baseUrl}/v1` },
		maxRetries: 0,
	})

	it('bindTools: the call comes back, and its result is answered', async () => {
		const weather = {
			type: 'function' as const,
			function: { name: 'get_weather', description: 'The weather', parameters: cityParams },
		}
		const bound = model.bindTools([weather])
		const question = new HumanMessage('/tool get_weather {"city":"Oslo"}')
		const first = (await bound.invoke([question])) as AIMessage
		expect(first.tool_calls).toEqual([
			expect.objectContaining({ name: 'get_weather', args: { city: 'Oslo' } }),
		])
		const id = first.tool_calls?.[0]?.id as string
		const answer = await bound.invoke([
			question,
			first,
			new ToolMessage({ tool_call_id: id, content: 'snow' }),
		])
		expect(answer.content).toBe('get_weather returned snow')
	})

	it('useResponsesApi: the same tool round trip over /v1/responses', async () => {
		const responses = new ChatOpenAI({
			model: 'edgeclaw/main',
			apiKey,
			configuration: { baseURL: `${baseUrl}/v1` },
			maxRetries: 0,
			useResponsesApi: true,
		})
		const bound = responses.bindTools([
			{ type: 'function', function: { name: 'get_weather', parameters: cityParams } },
		])
		const question = new HumanMessage('/tool get_weather {"city":"Quito"}')
		const first = (await bound.invoke([question])) as AIMessage
		expect(first.tool_calls?.[0]).toMatchObject({ name: 'get_weather', args: { city: 'Quito' } })
		const answer = await bound.invoke([
			question,
			first,
			new ToolMessage({ tool_call_id: first.tool_calls?.[0]?.id as string, content: 'mild' }),
		])
		expect(answer.text).toBe('get_weather returned mild')
	})

	it('withStructuredOutput: a parsed object of the schema', async () => {
		const schema = z.object({ title: z.string(), done: z.boolean() })
		for (const method of ['jsonSchema', 'functionCalling'] as const) {
			const structured = model.withStructuredOutput(schema, { method })
			expect(await structured.invoke('write it')).toEqual({ title: 'echo: write it', done: true })
		}
	})
})

describe('Responses API with client tools and structured output', () => {
	const openai = new OpenAI({ apiKey, baseURL: `${baseUrl}/v1`, maxRetries: 0 })
	const weather = {
		type: 'function' as const,
		name: 'get_weather',
		description: 'The weather in a city',
		parameters: cityParams,
		strict: true,
	}

	it('openai SDK: a function_call item, then previous_response_id with its output', async () => {
		const first = await openai.responses.create({
			model: 'edgeclaw/main',
			input: '/tool get_weather {"city":"Rome"}',
			tools: [weather],
		})
		expect(first.status).toBe('completed')
		const calls = first.output.filter((item) => item.type === 'function_call')
		expect(calls).toEqual([
			expect.objectContaining({ name: 'get_weather', arguments: '{"city":"Rome"}' }),
		])
		expect(first.output.some((item) => item.type === 'message')).toBe(false)
		const call = calls[0] as OpenAI.Responses.ResponseFunctionToolCall
		const second = await openai.responses.create({
			model: 'edgeclaw/main',
			previous_response_id: first.id,
			input: [{ type: 'function_call_output', call_id: call.call_id, output: 'warm' }],
			tools: [weather],
		})
		expect(second.output_text).toBe('get_weather returned warm')
	})

	it('openai SDK: streamed function call events, and text.format json_schema', async () => {
		const stream = await openai.responses.create({
			model: 'edgeclaw/main',
			input: '/tool get_weather {"city":"Bern"}',
			tools: [weather],
			stream: true,
		})
		const types: string[] = []
		let args = ''
		for await (const event of stream) {
			types.push(event.type)
			if (event.type === 'response.function_call_arguments.done') args = event.arguments
		}
		expect(args).toBe('{"city":"Bern"}')
		expect(types).toContain('response.function_call_arguments.delta')
		expect(types.at(-1)).toBe('response.completed')
		const shaped = await openai.responses.create({
			model: 'edgeclaw/main',
			input: 'Bern',
			text: { format: { type: 'json_schema', name: 'city', schema: cityParams, strict: true } },
		})
		expect(JSON.parse(shaped.output_text)).toEqual({ city: 'echo: Bern' })
	})

	it('AI SDK createOpenAI()(model): generateText with a tool through two steps', async () => {
		const provider = createOpenAI({ baseURL: `${baseUrl}/v1`, apiKey })
		const seen: unknown[] = []
		const result = await generateText({
			model: provider('edgeclaw/main'),
			prompt: '/tool get_weather {"city":"Lima"}',
			tools: {
				get_weather: tool({
					inputSchema: jsonSchema<{ city: string }>(cityParams),
					execute: async (input) => {
						seen.push(input)
						return 'foggy'
					},
				}),
			},
			stopWhen: stepCountIs(3),
		})
		expect(seen).toEqual([{ city: 'Lima' }])
		expect(result.steps).toHaveLength(2)
		expect(result.text).toBe('get_weather returned foggy')
	})
})
