// What a Responses API request asks of an agent, in one place: `input` becomes the turn (its last
// user message, or the results of the client tool calls the last answer made) and the history a
// new session is seeded with (everything before it, after `instructions`); `tools`, `tool_choice`
// and `text.format` become the run's options. What an agent cannot honour is refused by name.
import type {
	ClientTool,
	ResponseFormat,
	RunOptions,
	TextPart,
	ToolResultPart,
} from '../../agents/runner'
import type { SubmitRequest } from '../../lanes/types'
import { MAX_CONTENT_CHARS } from '../routes/sessions/schemas'
import { badParam, unsupported } from './errors'
import { jsonFormat, runOptions } from './options'
import { type InputMessage, type InputResolver, messagesOf } from './responses-items'
import type { ResponseCreateRequest, ResponseTool, TextFormat } from './responses-schemas'

/**
 * What a request adds to a submit: the turn (text and tool results), the history to seed a new
 * session with, and the run's options.
 */
export type ResponseTurn = Pick<SubmitRequest, 'content' | 'context' | 'toolResults' | 'options'>

export type { InputResolver } from './responses-items'

/** Refuses request fields an agent cannot honour (400 naming the parameter). */
export function refuseUnsupported(body: ResponseCreateRequest): void {
	if (body.conversation != null) {
		throw unsupported(
			'conversation',
			'Conversations are not supported: continue a session with previous_response_id or the x-edgeclaw-session header.',
		)
	}
	if (body.prompt != null) throw unsupported('prompt', 'Prompt templates are not supported.')
	if (body.moderation != null) throw unsupported('moderation', 'Moderation is not supported.')
	if (body.image !== undefined) throw unsupported('image', 'Image generation is not supported.')
	if ((body.top_logprobs ?? 0) > 0) {
		throw unsupported(
			'top_logprobs',
			'Log probabilities are not available through an edgeclaw agent.',
			'unsupported_value',
		)
	}
	if (body.stream_options != null && body.stream !== true) {
		throw badParam(
			'stream_options',
			'stream_options is only allowed when stream is true.',
			'invalid_value',
		)
	}
	if (body.background === true && body.stream === true) {
		throw unsupported(
			'background',
			'background and stream cannot be combined.',
			'unsupported_value',
		)
	}
	if (body.background === true && body.store === false) {
		throw badParam(
			'background',
			'A background response must be stored (store: true).',
			'invalid_value',
		)
	}
}

/**
 * The turn of a request: the last user message of `input` (a string is one) with the tool
 * results right before it, or the tool results `input` ends with; everything before — and
 * `instructions` first — is history the lane stores only into a new session.
 */
export async function responseTurnOf(
	body: ResponseCreateRequest,
	resolver: InputResolver,
): Promise<ResponseTurn> {
	const options = runOptionsOf(body)
	const messages =
		typeof body.input === 'string'
			? [{ role: 'user' as const, parts: [{ type: 'text' as const, text: body.input }] }]
			: await messagesOf(body.input, resolver)
	const at = (i: number) => (typeof body.input === 'string' ? 'input' : `input.${i}`)
	let end = messages.length
	const hasText = messages[end - 1]?.role === 'user'
	if (hasText) end--
	let start = end
	while (start > 0 && messages[start - 1]?.role === 'tool') start--
	if (!hasText && start === end) {
		const last = messages.findLastIndex((m) => m.role === 'user')
		if (last === -1) {
			throw badParam(
				'input',
				'input must end with a user message (the turn the agent answers) or with function_call_output items.',
				'invalid_value',
			)
		}
		throw unsupported(
			`input.${last + 1}`,
			'Items after the last user message other than function_call_output are not supported: the last user message, or the tool results after the last answer, is the turn the agent answers.',
			'unsupported_value',
		)
	}
	const toolResults = messages
		.slice(start, end)
		.flatMap((m) => m.parts.filter((p): p is ToolResultPart => p.type === 'tool-result'))
	const turn = hasText ? textParts(messages[end] as InputMessage) : []
	const chars =
		turn.reduce((n, p) => n + p.text.length, 0) +
		toolResults.reduce((n, p) => n + p.result.length, 0)
	if (hasText && toolResults.length === 0 && !turn.some((p) => p.text.trim().length > 0)) {
		throw badParam(
			at(end),
			'The last user message must contain some non-blank text.',
			'invalid_value',
		)
	}
	if (chars > MAX_CONTENT_CHARS) {
		throw badParam(
			at(hasText ? end : start),
			`The turn has ${chars} characters; at most ${MAX_CONTENT_CHARS} are allowed.`,
			'string_above_max_length',
		)
	}
	const context: NonNullable<SubmitRequest['context']> = []
	if (body.instructions?.trim()) context.push({ role: 'system', text: body.instructions })
	for (const m of messages.slice(0, start)) {
		const text = textParts(m)
			.map((p) => p.text)
			.join('')
		if (m.parts.some((p) => p.type !== 'text')) context.push({ role: m.role, text, parts: m.parts })
		else if (text.length > 0) context.push({ role: m.role, text })
	}
	return {
		content: turn,
		...(context.length > 0 && { context }),
		...(toolResults.length > 0 && { toolResults }),
		...(options && { options }),
	}
}

const textParts = (m: InputMessage): TextPart[] =>
	m.parts.filter((p): p is TextPart => p.type === 'text')

/** The run's options from `tools`, `tool_choice` and `text.format` (undefined: none). */
function runOptionsOf(body: ResponseCreateRequest): RunOptions | undefined {
	const choice = body.tool_choice
	return runOptions(
		(body.tools ?? []).map(clientTool),
		(i) => `tools.${i}.name`,
		choice === undefined || typeof choice === 'string'
			? choice
			: { type: choice.type, name: choice.name },
		'{"type": "function", "name": …}',
		body.text?.format && formatOf(body.text.format),
	)
}

function clientTool(tool: ResponseTool, i: number): ClientTool {
	if (tool.type !== 'function') {
		throw unsupported(
			`tools.${i}.type`,
			`Tools of type "${tool.type.slice(0, 64)}" are not supported: client tools are functions; give the agent built-in tools in its config.`,
			'unsupported_value',
		)
	}
	if (tool.name === undefined) {
		throw badParam(`tools.${i}.name`, 'A function tool needs a name.', 'missing_required_parameter')
	}
	return {
		name: tool.name,
		...(tool.description != null && { description: tool.description }),
		parameters: tool.parameters ?? { type: 'object', properties: {} },
		...(tool.strict != null && { strict: tool.strict }),
	}
}

function formatOf(format: TextFormat): ResponseFormat {
	if (format.type === 'text') return { type: 'text' }
	if (format.type === 'json_object') return { type: 'json' }
	if (format.type === 'json_schema') {
		if (format.name === undefined) {
			throw badParam(
				'text.format.name',
				'text.format "json_schema" needs a name (and a schema).',
				'missing_required_parameter',
			)
		}
		return jsonFormat({ ...format, name: format.name })
	}
	throw unsupported(
		'text.format.type',
		`text.format "${format.type.slice(0, 64)}" is not supported: use text, json_object or json_schema.`,
		'unsupported_value',
	)
}
