// The part of the openai SDK's public API the tests use (see sdk.js for why it is declared here).
// Field names and classes are the SDK's own; only what the tests touch is typed.

export interface ToolCall {
	id: string
	type: 'function'
	function: { name: string; arguments: string }
}

export interface ChatMessageParam {
	role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function'
	content?: string | Record<string, unknown>[] | null
	tool_call_id?: string
	tool_calls?: ToolCall[]
	name?: string
}

export interface ChatCompletionCreateParams {
	model: string
	messages: ChatMessageParam[]
	stream?: boolean | null
	stream_options?: { include_usage?: boolean } | null
	[field: string]: unknown
}

export interface CompletionUsage {
	prompt_tokens: number
	completion_tokens: number
	total_tokens: number
}

export interface ChatCompletion {
	id: string
	object: 'chat.completion'
	created: number
	model: string
	choices: {
		index: number
		message: {
			role: 'assistant'
			content: string | null
			refusal: string | null
			tool_calls?: ToolCall[]
		}
		finish_reason: string
		logprobs: unknown
	}[]
	usage?: CompletionUsage
}

export interface ChatCompletionChunk {
	id: string
	object: 'chat.completion.chunk'
	created: number
	model: string
	choices: {
		index: number
		delta: {
			role?: 'assistant'
			content?: string | null
			tool_calls?: (ToolCall & { index: number })[]
		}
		finish_reason: string | null
		logprobs?: unknown
	}[]
	usage?: CompletionUsage | null
}

export interface Model {
	id: string
	object: 'model'
	created: number
	owned_by: string
}

export interface EmbeddingCreateParams {
	model: string
	input: string | string[] | number[] | number[][]
	encoding_format?: 'float' | 'base64'
	dimensions?: number
	user?: string
	[field: string]: unknown
}

export interface CreateEmbeddingResponse {
	object: 'list'
	data: { object: 'embedding'; index: number; embedding: number[] }[]
	model: string
	usage: { prompt_tokens: number; total_tokens: number }
}

export interface RequestOptions {
	headers?: Record<string, string>
}

/** The SDK's APIPromise: a promise of the parsed body that can also give the raw response. */
export interface APIPromise<T> extends Promise<T> {
	withResponse(): Promise<{ data: T; response: Response }>
}

export interface Stream<T> extends AsyncIterable<T> {
	controller: AbortController
}

export declare class APIError extends Error {
	readonly status: number | undefined
	readonly headers: Headers | undefined
	readonly error: Record<string, unknown> | undefined
	readonly code: string | null | undefined
	readonly param: string | null | undefined
	readonly type: string | undefined
	readonly requestID: string | null | undefined
}

export declare class OpenAI {
	constructor(options: {
		apiKey: string
		baseURL: string
		maxRetries?: number
		fetch?: (url: string | URL | Request, init?: RequestInit) => Promise<Response>
	})
	chat: {
		completions: {
			create(
				body: ChatCompletionCreateParams & { stream: true },
				options?: RequestOptions,
			): APIPromise<Stream<ChatCompletionChunk>>
			create(
				body: ChatCompletionCreateParams & { stream?: false | null },
				options?: RequestOptions,
			): APIPromise<ChatCompletion>
		}
	}
	embeddings: {
		create(
			body: EmbeddingCreateParams,
			options?: RequestOptions,
		): APIPromise<CreateEmbeddingResponse>
	}
	models: {
		list(options?: RequestOptions): Promise<{ data: Model[] }>
		retrieve(model: string, options?: RequestOptions): APIPromise<Model>
	}
	static APIError: typeof APIError
	static BadRequestError: typeof APIError
	static AuthenticationError: typeof APIError
	static PermissionDeniedError: typeof APIError
	static NotFoundError: typeof APIError
	static ConflictError: typeof APIError
	static RateLimitError: typeof APIError
	static InternalServerError: typeof APIError
}

export declare namespace OpenAI {
	type ChatCompletionChunk = import('./sdk').ChatCompletionChunk
	type APIError = import('./sdk').APIError
}
