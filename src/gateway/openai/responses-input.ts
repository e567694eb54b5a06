// What a Responses API request asks of an agent, in one place: `input` becomes the turn (its last
// user message, or the results of the client tool calls the last answer made) and the history a
// new session is seeded with (everything before it, after `instructions`); `tools`, `tool_choice`
// and `text.format` become the run's options. What an agent cannot honour is refused by name.
import type {
	ClientTool,
	MessagePart,
	ResponseFormat,
	RunOptions,
	TextPart,
	ToolResultPart,
} from '../../agents/runner'
import type { SubmitRequest } from '../../lanes/types'
import { MAX_CONTENT_CHARS } from '../routes/sessions/schemas'
import { badParam, unsupported } from './errors'
import { jsonFormat, runOptions } from './options'
import { parseMessageId, type ResponseRef } from './responses-ids'
import type {
	InputItem,
	ResponseCreateRequest,
	ResponseTool,
	TextFormat,
} from './responses-schemas'

/**
 * What a request adds to a submit: the turn (text and tool results), the history to seed a new
 * session with, and the run's options.
 */
export type ResponseTurn = Pick<SubmitRequest, 'content' | 'context' | 'toolResults' | 'options'>

export interface InputResolver {
	/** The text of an earlier answer an `item_reference` names; undefined when there is none. */
	answerOf(ref: ResponseRef): Promise<string | undefined>
}

type Role = 'user' | 'assistant' | 'system'

interface InputMessage {
	role: Role | 'tool'
	parts: MessagePart[]
}

const ROLES: Record<string, Role> = {
	user: 'user',
	assistant: 'assistant',
	system: 'system',
	developer: 'system',
}

const MAX_REFERENCES = 64

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

/** Each input item as a message; 400 naming the item for what cannot be taken. */
async function messagesOf(
	items: readonly InputItem[],
	resolver: InputResolver,
): Promise<InputMessage[]> {
	const references = items.filter((item) => item.type === 'item_reference').length
	if (references > MAX_REFERENCES) {
		throw badParam(
			'input',
			`At most ${MAX_REFERENCES} item references are allowed.`,
			'invalid_value',
		)
	}
	const names = new Map<string, string>()
	for (const item of items) {
		if (
			item.type === 'function_call' &&
			typeof item.call_id === 'string' &&
			typeof item.name === 'string'
		) {
			names.set(item.call_id, item.name)
		}
	}
	const messages = await Promise.all(
		items.map(async (item, i): Promise<InputMessage> => {
			const type = item.type ?? 'message'
			if (type === 'message') return messageOf(item, i)
			if (type === 'item_reference')
				return { role: 'assistant', parts: await referenced(item, i, resolver) }
			if (type === 'function_call') return { role: 'assistant', parts: [functionCall(item, i)] }
			if (type === 'function_call_output')
				return { role: 'tool', parts: [callOutput(item, i, names)] }
			throw unsupported(
				`input.${i}.type`,
				`Input items of type "${type.slice(0, 64)}" are not supported: edgeclaw agents take messages of text, function_call and function_call_output items.`,
				'unsupported_value',
			)
		}),
	)
	// Function calls join the assistant message before them: one step's calls are one message.
	const merged: InputMessage[] = []
	for (const m of messages) {
		const prev = merged.at(-1)
		if (
			prev?.role === 'assistant' &&
			m.role === 'assistant' &&
			m.parts.every((p) => p.type === 'tool-call')
		) {
			merged[merged.length - 1] = { role: 'assistant', parts: [...prev.parts, ...m.parts] }
		} else merged.push(m)
	}
	return merged
}

function functionCall(item: InputItem, i: number): MessagePart {
	const { call_id: callId, name, arguments: args } = item as Record<string, unknown>
	if (typeof callId !== 'string' || callId === '' || callId.length > 256) {
		throw badParam(
			`input.${i}.call_id`,
			'A function_call needs a call_id.',
			'missing_required_parameter',
		)
	}
	if (typeof name !== 'string' || name === '' || name.length > 256) {
		throw badParam(`input.${i}.name`, 'A function_call needs a name.', 'missing_required_parameter')
	}
	if (typeof args !== 'string') {
		throw badParam(
			`input.${i}.arguments`,
			'A function_call needs its arguments as a JSON string.',
			'invalid_type',
		)
	}
	return { type: 'tool-call', callId, name, args }
}

function callOutput(
	item: InputItem,
	i: number,
	names: ReadonlyMap<string, string>,
): ToolResultPart {
	const { call_id: callId, output } = item as Record<string, unknown>
	if (typeof callId !== 'string' || callId === '' || callId.length > 256) {
		throw badParam(
			`input.${i}.call_id`,
			'A function_call_output needs the call_id of the call it answers.',
			'missing_required_parameter',
		)
	}
	let result: string
	if (typeof output === 'string') result = output
	else if (Array.isArray(output) && output.length <= 256) {
		result = output.map((part, j) => outputPartText(part, `input.${i}.output.${j}`)).join('')
	} else {
		throw badParam(
			`input.${i}.output`,
			'output must be a string or an array of input_text parts.',
			'invalid_type',
		)
	}
	return { type: 'tool-result', callId, name: names.get(callId) ?? '', result }
}

function outputPartText(part: unknown, where: string): string {
	const record = (part && typeof part === 'object' ? part : {}) as Record<string, unknown>
	if (record.type !== 'input_text' || typeof record.text !== 'string') {
		throw unsupported(
			`${where}.type`,
			'Tool outputs take input_text parts only.',
			'unsupported_value',
		)
	}
	return record.text
}

/** An earlier answer named by its output message id (the AI SDK sends these for stored answers). */
async function referenced(
	item: InputItem,
	i: number,
	resolver: InputResolver,
): Promise<TextPart[]> {
	const ref = typeof item.id === 'string' ? parseMessageId(item.id) : undefined
	const text = ref ? await resolver.answerOf(ref) : undefined
	if (text === undefined) {
		throw badParam(
			`input.${i}.id`,
			'item_reference must name an output message of a stored response of this tenant.',
			'invalid_value',
		)
	}
	return [{ type: 'text', text }]
}

function messageOf(item: InputItem, i: number): InputMessage {
	const role = typeof item.role === 'string' ? ROLES[item.role] : undefined
	if (!role) {
		throw badParam(
			`input.${i}.role`,
			'A message needs a role: user, assistant, system or developer.',
			'invalid_value',
		)
	}
	const { content } = item
	if (typeof content === 'string') return { role, parts: [{ type: 'text', text: content }] }
	if (!Array.isArray(content)) {
		throw badParam(
			`input.${i}.content`,
			'content must be a string or an array of parts.',
			'invalid_type',
		)
	}
	if (content.length > 256) {
		throw badParam(
			`input.${i}.content`,
			'A message has at most 256 content parts.',
			'invalid_value',
		)
	}
	return { role, parts: content.map((part, j) => partOf(part, role, `input.${i}.content.${j}`)) }
}

/** Text parts are taken (`output_text` and `refusal` from assistants only); the rest refused. */
function partOf(part: unknown, role: Role, where: string): TextPart {
	const record = (part && typeof part === 'object' ? part : {}) as Record<string, unknown>
	const type = typeof record.type === 'string' ? record.type : ''
	const field = type === 'refusal' ? 'refusal' : 'text'
	const fits =
		type === 'input_text' ||
		(role === 'assistant' && (type === 'output_text' || type === 'refusal'))
	if (!fits) {
		const text = ['input_text', 'output_text', 'refusal'].includes(type)
		throw unsupported(
			`${where}.type`,
			text
				? `A ${role} message cannot contain ${type} parts.`
				: `Content parts of type "${type.slice(0, 64)}" are not supported: edgeclaw agents take text only.`,
			'unsupported_value',
		)
	}
	const text = record[field]
	if (typeof text !== 'string') {
		throw badParam(`${where}.${field}`, `A ${type} part needs a string "${field}".`, 'invalid_type')
	}
	return { type: 'text', text }
}
