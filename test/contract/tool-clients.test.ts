// Client tools and structured output with the frameworks people build agents on, unchanged,
// against `wrangler dev` (setup.ts): the AI SDK's `generateText` with tools through two steps and
// `Output.object`, LangChain's `bindTools` round trip and `withStructuredOutput`.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { type AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages'
import { ChatOpenAI } from '@langchain/openai'
import { generateText, jsonSchema, Output, stepCountIs, tool } from 'ai'
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

	it('withStructuredOutput: a parsed object of the schema', async () => {
		const schema = z.object({ title: z.string(), done: z.boolean() })
		for (const method of ['jsonSchema', 'functionCalling'] as const) {
			const structured = model.withStructuredOutput(schema, { method })
			expect(await structured.invoke('write it')).toEqual({ title: 'echo: write it', done: true })
		}
	})
})
