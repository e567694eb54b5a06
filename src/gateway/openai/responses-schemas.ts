// Request and response schemas of the Responses API (`/v1/responses`), after OpenAI's own: the
// request accepts every field the openai SDK and the AI SDK send and range-checks them as OpenAI
// does; what an agent cannot honour is refused afterwards by name (responses-input.ts).
import { z } from '@hono/zod-openapi'
import { FunctionName } from './schemas'

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional()

/** Input items and their content parts are checked one by one later, for precise params. */
const InputItem = z
	.object({ type: z.string().max(64).optional(), role: z.string().max(32).optional() })
	.loose()
	.openapi('ResponseInputItem', {
		example: { role: 'user', content: [{ type: 'input_text', text: 'hello' }] },
	})
export type InputItem = z.infer<typeof InputItem>

/** `text.format`: text, json_object, or json_schema (flat, unlike Chat Completions'). */
const TextFormat = z
	.object({
		type: z.string().min(1).max(64),
		name: FunctionName.optional(),
		description: z.string().max(8_192).optional(),
		schema: z.record(z.string(), z.unknown()).optional(),
		strict: nullable(z.boolean()),
	})
	.loose()
export type TextFormat = z.infer<typeof TextFormat>

/** A client function tool (flat, unlike Chat Completions'); other tool types are refused by name. */
const ResponseTool = z
	.object({
		type: z.string().min(1).max(64),
		name: FunctionName.optional(),
		description: nullable(z.string().max(8_192)),
		parameters: nullable(z.record(z.string(), z.unknown())),
		strict: nullable(z.boolean()),
	})
	.loose()
	.openapi('ResponseTool')
export type ResponseTool = z.infer<typeof ResponseTool>

const TextConfig = z
	.object({
		format: TextFormat.optional(),
		verbosity: nullable(z.enum(['low', 'medium', 'high'])),
	})
	.strict()

export const ResponseCreateRequest = z
	.object({
		model: z.string().min(1).max(256).openapi({ example: 'edgeclaw/main' }),
		input: z.union([z.string(), z.array(InputItem).max(2_048)]),
		instructions: nullable(z.string().max(100_000)),
		previous_response_id: nullable(z.string().max(1_000)),
		store: nullable(z.boolean()),
		stream: nullable(z.boolean()),
		stream_options: nullable(z.object({ include_obfuscation: z.boolean().optional() }).strict()),
		background: nullable(z.boolean()),
		// Sampling, length and reasoning belong to the agent's config: range-checked and ignored.
		temperature: nullable(z.number().min(0).max(2)),
		top_p: nullable(z.number().min(0).max(1)),
		max_output_tokens: nullable(z.number().int().min(1)),
		max_tool_calls: nullable(z.number().int().min(0)),
		top_logprobs: nullable(z.number().int().min(0).max(20)),
		reasoning: nullable(z.record(z.string(), z.unknown())),
		truncation: nullable(z.enum(['auto', 'disabled'])),
		service_tier: nullable(z.string().max(32)),
		include: nullable(z.array(z.string().max(128)).max(32)),
		parallel_tool_calls: nullable(z.boolean()),
		text: TextConfig.optional(),
		// Bookkeeping: `user` names the session (names.ts); the others are accepted and ignored.
		user: z.string().max(256).optional(),
		safety_identifier: nullable(z.string().max(256)),
		metadata: nullable(z.record(z.string().max(64), z.string().max(512))),
		prompt_cache_key: nullable(z.string().max(256)),
		prompt_cache_retention: nullable(z.string().max(32)),
		prompt_cache_options: z.record(z.string(), z.unknown()).optional(),
		context_management: nullable(z.array(z.unknown()).max(16)),
		// Client function tools: offered to the agent's model, their calls returned to the client.
		tools: z.array(ResponseTool).max(128).optional(),
		tool_choice: z.union([z.string().max(64), z.record(z.string(), z.unknown())]).optional(),
		// What an agent does not have: refused when present (named).
		conversation: nullable(z.union([z.string(), z.record(z.string(), z.unknown())])),
		prompt: nullable(z.unknown()),
		moderation: nullable(z.unknown()),
		image: z.unknown().optional(),
	})
	.strict()
	.openapi('ResponseCreateRequest', {
		example: { model: 'edgeclaw/main', input: 'Hello' },
	})
export type ResponseCreateRequest = z.infer<typeof ResponseCreateRequest>

export const ResponseUsage = z
	.object({
		input_tokens: z.number().int(),
		input_tokens_details: z.object({ cached_tokens: z.number().int() }),
		output_tokens: z.number().int(),
		output_tokens_details: z.object({ reasoning_tokens: z.number().int() }),
		total_tokens: z.number().int(),
	})
	.openapi('ResponseUsage')
export type ResponseUsage = z.infer<typeof ResponseUsage>

export const OutputText = z.object({
	type: z.literal('output_text'),
	text: z.string(),
	annotations: z.array(z.unknown()).max(0),
	logprobs: z.array(z.unknown()).max(0),
})
export type OutputText = z.infer<typeof OutputText>

const ITEM_STATUSES = ['in_progress', 'completed', 'incomplete'] as const

export const OutputMessage = z
	.object({
		id: z.string(),
		type: z.literal('message'),
		status: z.enum(ITEM_STATUSES),
		role: z.literal('assistant'),
		content: z.array(OutputText),
	})
	.openapi('ResponseOutputMessage')
export type OutputMessage = z.infer<typeof OutputMessage>

/** A call of a client tool the run ended with, for the client to run. */
export const FunctionCallItem = z
	.object({
		id: z.string(),
		type: z.literal('function_call'),
		call_id: z.string(),
		name: z.string(),
		arguments: z.string(),
		status: z.enum(ITEM_STATUSES),
	})
	.openapi('ResponseFunctionCall')
export type FunctionCallItem = z.infer<typeof FunctionCallItem>

/** The items a response's `output` holds: the answer's message, then client tool calls. */
export const OutputItem = z.union([OutputMessage, FunctionCallItem])
export type OutputItem = z.infer<typeof OutputItem>

export const RESPONSE_STATUSES = [
	'queued',
	'in_progress',
	'completed',
	'incomplete',
	'failed',
	'cancelled',
] as const
export type ResponseStatus = (typeof RESPONSE_STATUSES)[number]

export const ResponseObject = z
	.object({
		id: z.string().openapi({ example: 'resp_bWFpbiBvcGVuYWktMSAwYjhm…' }),
		object: z.literal('response'),
		created_at: z.number().int(),
		completed_at: z.number().int().nullable(),
		status: z.enum(RESPONSE_STATUSES),
		background: z.boolean(),
		error: z.object({ code: z.string(), message: z.string() }).nullable(),
		incomplete_details: z.object({ reason: z.literal('max_output_tokens') }).nullable(),
		instructions: z.string().nullable(),
		max_output_tokens: z.number().int().nullable(),
		metadata: z.record(z.string(), z.string()),
		model: z.string(),
		output: z.array(OutputItem),
		parallel_tool_calls: z.boolean(),
		previous_response_id: z.string().nullable(),
		store: z.boolean(),
		temperature: z.number().nullable(),
		text: z.object({ format: z.record(z.string(), z.unknown()) }),
		tool_choice: z.union([z.string(), z.record(z.string(), z.unknown())]),
		tools: z.array(z.record(z.string(), z.unknown())),
		top_p: z.number().nullable(),
		truncation: z.literal('disabled'),
		usage: ResponseUsage.nullable(),
		user: z.string().nullable(),
	})
	.openapi('Response')
export type ResponseObject = z.infer<typeof ResponseObject>
