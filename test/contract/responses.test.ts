// Contract tests of the Responses API with the clients that default to it: the official `openai`
// SDK (`client.responses`) and the AI SDK's `createOpenAI()(model)`, against `wrangler dev` over
// real sockets (setup.ts).
import { createOpenAI } from '@ai-sdk/openai'
import { generateText, streamText } from 'ai'
import OpenAI from 'openai'
import { describe, expect, inject, it } from 'vitest'

const baseUrl = inject('baseUrl')
const apiKey = inject('apiKey')

describe('openai SDK: client.responses', () => {
	const client = new OpenAI({ apiKey, baseURL: `${baseUrl}/v1`, maxRetries: 0 })

	it('create: a response from the agent, with usage', async () => {
		const res = await client.responses.create({ model: 'edgeclaw/main', input: 'hello responses' })
		expect(res.object).toBe('response')
		expect(res.status).toBe('completed')
		expect(res.output_text).toBe('echo: hello responses')
		expect(res.usage?.total_tokens).toBe(
			(res.usage?.input_tokens ?? 0) + (res.usage?.output_tokens ?? 0),
		)
		expect(res.usage?.output_tokens).toBeGreaterThan(0)
	})

	it('stream: typed events whose deltas make the answer, and the completed response', async () => {
		const stream = await client.responses.create({
			model: 'edgeclaw/main',
			input: 'stream responses',
			stream: true,
		})
		const types: string[] = []
		let text = ''
		let completed: OpenAI.Responses.Response | undefined
		for await (const event of stream) {
			types.push(event.type)
			if (event.type === 'response.output_text.delta') text += event.delta
			if (event.type === 'response.completed') completed = event.response
		}
		expect(types[0]).toBe('response.created')
		expect(types.at(-1)).toBe('response.completed')
		expect(text).toBe('echo: stream responses')
		expect(completed?.output_text ?? completed?.output).toBeTruthy()
		expect(completed?.usage?.output_tokens).toBeGreaterThan(0)
	})

	it('the stream helper assembles the same final response', async () => {
		const stream = client.responses.stream({ model: 'edgeclaw/main', input: 'helper' })
		const final = await stream.finalResponse()
		expect(final.output_text).toBe('echo: helper')
		expect(final.status).toBe('completed')
	})

	it('retrieve and previous_response_id: the stored response, and its session continued', async () => {
		const first = await client.responses.create({ model: 'edgeclaw/main', input: 'first' })
		const stored = await client.responses.retrieve(first.id)
		expect(stored.id).toBe(first.id)
		expect(stored.output_text).toBe('echo: first')
		const { data: second, response } = await client.responses
			.create({ model: 'edgeclaw/main', input: 'second', previous_response_id: first.id })
			.withResponse()
		expect(second.output_text).toBe('echo: second')
		expect(second.previous_response_id).toBe(first.id)
		// The second turn's prompt held the first exchange.
		expect(second.usage?.input_tokens).toBeGreaterThan(first.usage?.input_tokens ?? 0)
		const session = response.headers.get('x-edgeclaw-session')
		const messages = await fetch(`${baseUrl}/v1/sessions/${session}/messages?agent=main`, {
			headers: { authorization: `Bearer ${apiKey}` },
		})
		const page = (await messages.json()) as { messages: { role: string }[] }
		expect(page.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant'])
	})

	it('errors: hosted tools and unknown formats are refused by name; an unknown id is 404', async () => {
		const tools = await client.responses
			.create({ model: 'edgeclaw/main', input: 'x', tools: [{ type: 'web_search' }] })
			.catch((e: unknown) => e)
		expect(tools).toBeInstanceOf(OpenAI.BadRequestError)
		expect((tools as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('tools.0.type')
		const format = await client.responses
			.create({
				model: 'edgeclaw/main',
				input: 'x',
				text: { format: { type: 'grammar' } as never },
			})
			.catch((e: unknown) => e)
		expect(format).toBeInstanceOf(OpenAI.BadRequestError)
		expect((format as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('text.format.type')
		const missing = await client.responses.retrieve('resp_nothing').catch((e: unknown) => e)
		expect(missing).toBeInstanceOf(OpenAI.NotFoundError)
	})
})

describe('AI SDK: createOpenAI()(model), the Responses API by default', () => {
	const sent: string[] = []
	const openai = createOpenAI({
		apiKey,
		baseURL: `${baseUrl}/v1`,
		// Only watches what the SDK sends.
		fetch: (url, init) => {
			if (typeof init?.body === 'string') sent.push(init.body)
			return fetch(url, init)
		},
	})
	const model = openai('edgeclaw/main')

	it('generateText', async () => {
		const result = await generateText({ model, prompt: 'hello ai sdk', maxRetries: 0 })
		expect(result.text).toBe('echo: hello ai sdk')
		expect(result.finishReason).toBe('stop')
		expect(result.usage.outputTokens).toBeGreaterThan(0)
		expect(result.response.id).toMatch(/^resp_/)
	})

	it('streamText', async () => {
		const result = streamText({ model, prompt: 'stream ai sdk', maxRetries: 0 })
		let text = ''
		for await (const delta of result.textStream) text += delta
		expect(text).toBe('echo: stream ai sdk')
		expect(await result.finishReason).toBe('stop')
		expect((await result.usage).outputTokens).toBeGreaterThan(0)
	})

	it('continues by previousResponseId, and by history whose answers are item references', async () => {
		const first = await generateText({ model, system: 'Be brief.', prompt: 'one', maxRetries: 0 })
		const second = await generateText({
			model,
			prompt: 'two',
			maxRetries: 0,
			providerOptions: { openai: { previousResponseId: first.response.id } },
		})
		expect(second.text).toBe('echo: two')
		expect(second.usage.inputTokens).toBeGreaterThan(first.usage.inputTokens ?? 0)
		// The whole history again, the stored answer sent back as an item reference.
		const third = await generateText({
			model,
			maxRetries: 0,
			messages: [
				{ role: 'user', content: 'one' },
				...first.response.messages,
				{ role: 'user', content: 'three' },
			],
		})
		expect(third.text).toBe('echo: three')
		expect(sent.at(-1)).toContain('"type":"item_reference"')
		const session = third.response.headers?.['x-edgeclaw-session']
		const res = await fetch(`${baseUrl}/v1/sessions/${session}/messages?agent=main`, {
			headers: { authorization: `Bearer ${apiKey}` },
		})
		const page = (await res.json()) as {
			messages: { role: string; content: { text?: string }[] }[]
		}
		expect(page.messages.map((m) => `${m.role}: ${m.content.map((p) => p.text).join('')}`)).toEqual(
			['user: one', 'assistant: echo: one', 'user: three', 'assistant: echo: three'],
		)
	})
})
