// Recorded provider wire responses (Anthropic Messages API and OpenAI Chat Completions), as the
// providers send them: SSE streams for text and tool calls, and the error bodies and headers of
// 429, 401, 500, 529 overloaded and a malformed body. Tests serve them from a fetch replacement
// at the HTTP boundary, so the AI SDK providers parse the real formats.

const sse = (events: [string | null, unknown][]): string =>
	events
		.map(
			([event, data]) =>
				`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`,
		)
		.join('')

const pieces = (text: string, size: number): string[] => {
	const out: string[] = []
	for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
	return out
}

export const anthropic = {
	text: (text: string, usage = { input: 25, output: 9 }) =>
		sse([
			[
				'message_start',
				{
					type: 'message_start',
					message: {
						id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
						type: 'message',
						role: 'assistant',
						model: 'claude-sonnet-4-5-20250929',
						content: [],
						stop_reason: null,
						stop_sequence: null,
						usage: { input_tokens: usage.input, output_tokens: 1 },
					},
				},
			],
			[
				'content_block_start',
				{ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
			],
			['ping', { type: 'ping' }],
			...pieces(text, 6).map((piece): [string, unknown] => [
				'content_block_delta',
				{ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } },
			]),
			['content_block_stop', { type: 'content_block_stop', index: 0 }],
			[
				'message_delta',
				{
					type: 'message_delta',
					delta: { stop_reason: 'end_turn', stop_sequence: null },
					usage: { output_tokens: usage.output },
				},
			],
			['message_stop', { type: 'message_stop' }],
		]),
	toolUse: (name: string, input: object) =>
		sse([
			[
				'message_start',
				{
					type: 'message_start',
					message: {
						id: 'msg_014p7gG3wDgGV9EUtLvnow3U',
						type: 'message',
						role: 'assistant',
						model: 'claude-sonnet-4-5-20250929',
						content: [],
						stop_reason: null,
						stop_sequence: null,
						usage: { input_tokens: 472, output_tokens: 2 },
					},
				},
			],
			[
				'content_block_start',
				{
					type: 'content_block_start',
					index: 0,
					content_block: {
						type: 'tool_use',
						id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
						name,
						input: {},
					},
				},
			],
			[
				'content_block_delta',
				{
					type: 'content_block_delta',
					index: 0,
					delta: { type: 'input_json_delta', partial_json: '' },
				},
			],
			[
				'content_block_delta',
				{
					type: 'content_block_delta',
					index: 0,
					delta: { type: 'input_json_delta', partial_json: JSON.stringify(input) },
				},
			],
			['content_block_stop', { type: 'content_block_stop', index: 0 }],
			[
				'message_delta',
				{
					type: 'message_delta',
					delta: { stop_reason: 'tool_use', stop_sequence: null },
					usage: { output_tokens: 89 },
				},
			],
			['message_stop', { type: 'message_stop' }],
		]),
	/** A stream that starts answering, then reports the API overloaded mid-stream. */
	brokenMidStream: () =>
		sse([
			[
				'message_start',
				{
					type: 'message_start',
					message: {
						id: 'msg_1',
						type: 'message',
						role: 'assistant',
						model: 'claude-sonnet-4-5-20250929',
						content: [],
						stop_reason: null,
						stop_sequence: null,
						usage: { input_tokens: 10, output_tokens: 1 },
					},
				},
			],
			[
				'content_block_start',
				{ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
			],
			[
				'content_block_delta',
				{
					type: 'content_block_delta',
					index: 0,
					delta: { type: 'text_delta', text: 'Partial ans' },
				},
			],
			['error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }],
		]),
	rateLimited: {
		status: 429,
		headers: { 'retry-after': '12', 'anthropic-ratelimit-requests-remaining': '0' },
		body: {
			type: 'error',
			error: {
				type: 'rate_limit_error',
				message: 'Number of request tokens has exceeded your per-minute rate limit',
			},
		},
	},
	overloaded: {
		status: 529,
		headers: {},
		body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
	},
	unauthorized: {
		status: 401,
		headers: {},
		body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
	},
	billing: {
		status: 400,
		headers: {},
		body: {
			type: 'error',
			error: {
				type: 'invalid_request_error',
				message: 'Your credit balance is too low to access the Anthropic API.',
			},
		},
	},
	server: {
		status: 500,
		headers: {},
		body: { type: 'error', error: { type: 'api_error', message: 'Internal server error' } },
	},
}

const chunk = (delta: object, finish: string | null = null, usage?: object) => ({
	id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
	object: 'chat.completion.chunk',
	created: 1741569952,
	model: 'gpt-4o-mini-2024-07-18',
	system_fingerprint: 'fp_06737a9306',
	choices: usage && !finish ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
	...(usage ? { usage } : {}),
})

export const openai = {
	text: (text: string) =>
		sse([
			[null, chunk({ role: 'assistant', content: '', refusal: null })],
			...pieces(text, 5).map((piece): [null, unknown] => [null, chunk({ content: piece })]),
			[null, chunk({}, 'stop')],
			[null, chunk({}, null, { prompt_tokens: 19, completion_tokens: 10, total_tokens: 29 })],
			[null, '[DONE]'],
		]),
	toolCall: (name: string, args: object) =>
		sse([
			[
				null,
				chunk({
					role: 'assistant',
					content: null,
					tool_calls: [
						{
							index: 0,
							id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA',
							type: 'function',
							function: { name, arguments: '' },
						},
					],
					refusal: null,
				}),
			],
			[null, chunk({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(args) } }] })],
			[null, chunk({}, 'tool_calls')],
			[null, chunk({}, null, { prompt_tokens: 80, completion_tokens: 17, total_tokens: 97 })],
			[null, '[DONE]'],
		]),
	rateLimited: {
		status: 429,
		headers: { 'retry-after-ms': '20000', 'x-ratelimit-remaining-requests': '0' },
		body: {
			error: {
				message:
					'Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1.',
				type: 'requests',
				param: null,
				code: 'rate_limit_exceeded',
			},
		},
	},
	quota: {
		status: 429,
		headers: {},
		body: {
			error: {
				message: 'You exceeded your current quota, please check your plan and billing details.',
				type: 'insufficient_quota',
				param: null,
				code: 'insufficient_quota',
			},
		},
	},
	server: {
		status: 500,
		headers: {},
		body: {
			error: {
				message: 'The server had an error while processing your request. Sorry about that!',
				type: 'server_error',
				param: null,
				code: null,
			},
		},
	},
	contextLength: {
		status: 400,
		headers: {},
		body: {
			error: {
				message:
					"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
				type: 'invalid_request_error',
				param: 'messages',
				code: 'context_length_exceeded',
			},
		},
	},
	/** 200 with a body that is not an SSE stream of chunks. */
	malformed: '<html><body>502 Bad Gateway (proxy)</body></html>',
}

export interface Exchange {
	url: string
	headers: Record<string, string>
	body: Record<string, unknown>
	signal: AbortSignal | null | undefined
}

export type Reply =
	| { stream: string }
	| { status: number; headers: Record<string, string>; body: unknown }
	| { raw: string; contentType: string }
	| 'hang'

/**
 * A fetch that answers from a script: `route(exchange)` picks the reply for each request. Every
 * request is recorded (URL, headers, parsed body) for assertions.
 */
export function scriptedFetch(route: (x: Exchange, n: number) => Reply) {
	const exchanges: Exchange[] = []
	const fetchFn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
		const request = new Request(input, init)
		const x: Exchange = {
			url: request.url,
			headers: Object.fromEntries(request.headers),
			body: JSON.parse((await request.text()) || '{}'),
			signal: init?.signal,
		}
		exchanges.push(x)
		const reply = route(x, exchanges.length)
		if (reply === 'hang') {
			return new Promise<Response>((_, reject) => {
				const signal = init?.signal
				signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
			})
		}
		if ('stream' in reply) {
			return new Response(reply.stream, { headers: { 'content-type': 'text/event-stream' } })
		}
		if ('raw' in reply)
			return new Response(reply.raw, { headers: { 'content-type': reply.contentType } })
		return new Response(JSON.stringify(reply.body), {
			status: reply.status,
			headers: { 'content-type': 'application/json', ...reply.headers },
		})
	}
	return { fetch: fetchFn as typeof fetch, exchanges }
}
