// Request and response schemas of the OpenAI-compatible API, after OpenAI's own: the request
// accepts every Chat Completions field the openai SDK can send and range-checks it as OpenAI does;
// what an edgeclaw agent cannot honour is refused afterwards with a clear reason (conversation.ts).
import { z } from '@hono/zod-openapi'

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional()

/** Content parts are checked per type later: text is taken, anything else is refused by name. */
const ContentPart = z
	.object({ type: z.string().min(1).max(64) })
	.loose()
	.openapi('ChatContentPart', { example: { type: 'text', text: 'hello' } })

/** A function name as OpenAI allows it (and every provider accepts). */
export const FunctionName = z
	.string()
	.regex(/^[a-zA-Z0-9_-]{1,64}$/, 'a function name is 1-64 letters, digits, _ or -')

/** A tool call an assistant message made (the client's history). */
export const ToolCall = z
	.object({
		id: z.string().min(1).max(256),
		type: z.literal('function'),
		function: z.object({ name: z.string().min(1).max(256), arguments: z.string() }).loose(),
	})
	.loose()
	.openapi('ChatToolCall')
export type ToolCall = z.infer<typeof ToolCall>

export const ChatMessage = z
	.object({
		role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
		content: nullable(z.union([z.string(), z.array(ContentPart).max(256)])),
		name: z.string().max(256).optional(),
		refusal: nullable(z.string()),
		tool_calls: z.array(ToolCall).max(128).optional(),
		tool_call_id: z.string().min(1).max(256).optional(),
		function_call: nullable(z.unknown()),
		audio: nullable(z.unknown()),
	})
	.loose()
	.openapi('ChatMessage')
export type ChatMessage = z.infer<typeof ChatMessage>

/** A client function tool; other tool types (custom, …) are refused by name (conversation.ts). */
export const ChatTool = z
	.object({
		type: z.string().min(1).max(64),
		function: z
			.object({
				name: FunctionName,
				description: z.string().max(8_192).optional(),
				parameters: z.record(z.string(), z.unknown()).optional(),
				strict: nullable(z.boolean()),
			})
			.loose()
			.optional(),
	})
	.loose()
	.openapi('ChatTool')
export type ChatTool = z.infer<typeof ChatTool>

export const ResponseFormat = z
	.object({
		type: z.string().min(1).max(64),
		json_schema: z
			.object({
				name: FunctionName,
				description: z.string().max(8_192).optional(),
				schema: z.record(z.string(), z.unknown()).optional(),
				strict: nullable(z.boolean()),
			})
			.loose()
			.optional(),
	})
	.loose()
	.openapi('ChatResponseFormat', { example: { type: 'json_object' } })
export type ResponseFormat = z.infer<typeof ResponseFormat>

const StreamOptions = z
	.object({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() })
	.strict()

export const ChatCompletionRequest = z
	.object({
		model: z.string().min(1).max(256).openapi({ example: 'edgeclaw/main' }),
		messages: z.array(ChatMessage).min(1).max(2_048),
		stream: nullable(z.boolean()),
		stream_options: nullable(StreamOptions),
		n: nullable(z.number().int().min(1).max(128)),
		// Sampling and length belong to the agent's config: accepted (range-checked) and ignored.
		temperature: nullable(z.number().min(0).max(2)),
		top_p: nullable(z.number().min(0).max(1)),
		frequency_penalty: nullable(z.number().min(-2).max(2)),
		presence_penalty: nullable(z.number().min(-2).max(2)),
		max_tokens: nullable(z.number().int().min(1)),
		max_completion_tokens: nullable(z.number().int().min(1)),
		seed: nullable(z.number().int()),
		stop: nullable(z.union([z.string(), z.array(z.string()).max(4)])),
		logit_bias: nullable(z.record(z.string(), z.number().min(-100).max(100))),
		logprobs: nullable(z.boolean()),
		top_logprobs: nullable(z.number().int().min(0).max(20)),
		reasoning_effort: nullable(z.string().max(32)),
		verbosity: nullable(z.enum(['low', 'medium', 'high'])),
		service_tier: nullable(z.string().max(32)),
		parallel_tool_calls: z.boolean().optional(),
		response_format: ResponseFormat.optional(),
		modalities: nullable(z.array(z.enum(['text', 'audio'])).max(2)),
		// Bookkeeping fields: accepted and ignored (edgeclaw keeps its own transcript and usage).
		user: z.string().max(256).optional(),
		safety_identifier: nullable(z.string().max(256)),
		prompt_cache_key: nullable(z.string().max(256)),
		prompt_cache_retention: nullable(z.string().max(32)),
		prompt_cache_options: z.record(z.string(), z.unknown()).optional(),
		metadata: nullable(z.record(z.string().max(64), z.string().max(512))),
		store: nullable(z.boolean()),
		// Client function tools: offered to the agent's model, their calls returned to the client.
		tools: z.array(ChatTool).max(128).optional(),
		tool_choice: z.union([z.string().max(64), z.record(z.string(), z.unknown())]).optional(),
		// Features an agent does not have: refused when present (see options.ts), listed so the
		// refusal names them instead of "unrecognized key".
		functions: z.array(z.unknown()).optional(),
		function_call: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
		audio: nullable(z.unknown()),
		prediction: nullable(z.unknown()),
		web_search_options: z.unknown().optional(),
		moderation: nullable(z.unknown()),
	})
	.strict()
	.openapi('ChatCompletionRequest', {
		example: { model: 'edgeclaw/main', messages: [{ role: 'user', content: 'Hello' }] },
	})
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>

export const Usage = z
	.object({
		prompt_tokens: z.number().int(),
		completion_tokens: z.number().int(),
		total_tokens: z.number().int(),
	})
	.openapi('ChatCompletionUsage')
export type Usage = z.infer<typeof Usage>

export const FINISH_REASONS = ['stop', 'length', 'tool_calls'] as const
export type FinishReason = (typeof FINISH_REASONS)[number]

export const ChatCompletion = z
	.object({
		id: z.string().openapi({ example: 'chatcmpl-0b8f…' }),
		object: z.literal('chat.completion'),
		created: z.number().int(),
		model: z.string(),
		choices: z.array(
			z.object({
				index: z.number().int(),
				message: z.object({
					role: z.literal('assistant'),
					content: z.string().nullable(),
					refusal: z.null(),
					tool_calls: z.array(ToolCall).optional(),
				}),
				finish_reason: z.enum(FINISH_REASONS),
				logprobs: z.null(),
			}),
		),
		usage: Usage,
	})
	.openapi('ChatCompletion')
export type ChatCompletion = z.infer<typeof ChatCompletion>

export const ChatCompletionChunk = z
	.object({
		id: z.string(),
		object: z.literal('chat.completion.chunk'),
		created: z.number().int(),
		model: z.string(),
		choices: z.array(
			z.object({
				index: z.number().int(),
				delta: z.object({
					role: z.literal('assistant').optional(),
					content: z.string().optional(),
					tool_calls: z
						.array(
							z.object({
								index: z.number().int(),
								id: z.string(),
								type: z.literal('function'),
								function: z.object({ name: z.string(), arguments: z.string() }),
							}),
						)
						.optional(),
				}),
				finish_reason: z.enum(FINISH_REASONS).nullable(),
				logprobs: z.null(),
			}),
		),
		usage: Usage.nullable().optional(),
	})
	.openapi('ChatCompletionChunk')
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunk>

export const Model = z
	.object({
		id: z.string().openapi({ example: 'edgeclaw/main' }),
		object: z.literal('model'),
		created: z.number().int(),
		owned_by: z.literal('edgeclaw'),
	})
	.openapi('Model')
export type Model = z.infer<typeof Model>

export const ModelList = z
	.object({ object: z.literal('list'), data: z.array(Model) })
	.openapi('ModelList')

export const OpenAIErrorSchema = z
	.object({
		error: z.object({
			message: z.string(),
			type: z.enum([
				'invalid_request_error',
				'authentication_error',
				'permission_error',
				'rate_limit_error',
				'api_error',
			]),
			param: z.string().nullable(),
			code: z.string().nullable(),
		}),
	})
	.openapi('OpenAIError')

/** An error response in OpenAI's shape, for a route's `responses`. */
export const error = (description: string) => ({
	description,
	content: { 'application/json': { schema: OpenAIErrorSchema } },
})

/** Error responses of every OpenAI route, in OpenAI's shape. */
export const openAIErrors = {
	400: error('Invalid or unsupported request (invalid_request_error)'),
	401: error('Missing or invalid API key (authentication_error, invalid_api_key)'),
	403: error('Not allowed (permission_error)'),
	404: error('Unknown model (model_not_found) or tenant'),
	413: error('Body too large'),
	415: error('Body is not JSON'),
	429: error(
		'Rate limited (rate_limit_exceeded), queue full (queue_full) or daily token budget used up (insufficient_quota); see Retry-After',
	),
} as const

/** How a failed run answers (see errors.ts `runFailure`). */
export const runErrors = {
	409: error('The run was cancelled before it answered (run_cancelled)'),
	500: error('The run failed unexpectedly (api_error)'),
	502: error('Every model failed (models_exhausted, provider_stream_interrupted)'),
	503: error('Lane unavailable or provider not configured; retry'),
	504: error("The run passed its deadline (deadline_exceeded) or the wait's limit (timeout)"),
} as const
