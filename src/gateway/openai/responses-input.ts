// What a Responses API request asks of an agent, in one place: `input` becomes the turn (its last
// user message) and the history a new session is seeded with (everything before it, after
// `instructions`). Client-side function tools and structured output plug in here: today they are
// refused by name, like everything else an agent cannot honour.
import type { TextPart } from '../../agents/runner'
import type { SubmitRequest } from '../../lanes/types'
import { MAX_CONTENT_CHARS } from '../routes/sessions/schemas'
import { badParam, unsupported } from './errors'
import { parseMessageId, type ResponseRef } from './responses-ids'
import type { InputItem, ResponseCreateRequest } from './responses-schemas'

/** What a request adds to a submit: the turn and the history to seed a new session with. */
export type ResponseTurn = Pick<SubmitRequest, 'content' | 'context'>

export interface InputResolver {
	/** The text of an earlier answer an `item_reference` names; undefined when there is none. */
	answerOf(ref: ResponseRef): Promise<string | undefined>
}

type Role = 'user' | 'assistant' | 'system'

interface InputMessage {
	role: Role
	parts: TextPart[]
}

const ROLES: Record<string, Role> = {
	user: 'user',
	assistant: 'assistant',
	system: 'system',
	developer: 'system',
}

const MAX_REFERENCES = 64

const TOOLS_UNSUPPORTED =
	'Client-side function tools are not supported on /v1/responses yet; give the agent tools in its config.'

/** Refuses request fields an agent cannot honour (400 naming the parameter). */
export function refuseUnsupported(body: ResponseCreateRequest): void {
	if (body.tools && body.tools.length > 0) throw unsupported('tools', TOOLS_UNSUPPORTED)
	if (
		body.tool_choice !== undefined &&
		body.tool_choice !== 'none' &&
		body.tool_choice !== 'auto'
	) {
		throw unsupported('tool_choice', TOOLS_UNSUPPORTED, 'unsupported_value')
	}
	const format = body.text?.format?.type
	if (format !== undefined && format !== 'text') {
		throw unsupported(
			'text.format',
			`text.format "${format.slice(0, 64)}" is not supported: an edgeclaw agent answers in text.`,
			'unsupported_value',
		)
	}
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
 * The turn of a request: the last user message of `input` (a string is one), with everything
 * before it — and `instructions` first — as history the lane stores only into a new session.
 */
export async function responseTurnOf(
	body: ResponseCreateRequest,
	resolver: InputResolver,
): Promise<ResponseTurn> {
	const messages =
		typeof body.input === 'string'
			? [{ role: 'user' as const, parts: [{ type: 'text' as const, text: body.input }] }]
			: await messagesOf(body.input, resolver)
	const last = messages.findLastIndex((m) => m?.role === 'user')
	const where = typeof body.input === 'string' ? 'input' : `input.${last}`
	if (last === -1) {
		throw badParam(
			'input',
			'input must contain a user message: the last one is the turn the agent answers.',
			'invalid_value',
		)
	}
	if (last < messages.length - 1) {
		throw unsupported(
			`input.${last + 1}`,
			'Items after the last user message are not supported: the last user message is the turn the agent answers.',
			'unsupported_value',
		)
	}
	const turn = (messages[last] as InputMessage).parts
	const chars = turn.reduce((n, p) => n + p.text.length, 0)
	if (!turn.some((p) => p.text.trim().length > 0)) {
		throw badParam(
			where,
			'The last user message must contain some non-blank text.',
			'invalid_value',
		)
	}
	if (chars > MAX_CONTENT_CHARS) {
		throw badParam(
			where,
			`The last user message has ${chars} characters; at most ${MAX_CONTENT_CHARS} are allowed.`,
			'string_above_max_length',
		)
	}
	const context: NonNullable<SubmitRequest['context']> = []
	if (body.instructions?.trim()) context.push({ role: 'system', text: body.instructions })
	for (const m of messages.slice(0, last)) {
		const text = (m as InputMessage).parts.map((p) => p.text).join('')
		if (text.length > 0) context.push({ role: (m as InputMessage).role, text })
	}
	return { content: turn, ...(context.length > 0 && { context }) }
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
	return Promise.all(
		items.map(async (item, i): Promise<InputMessage> => {
			const type = item.type ?? 'message'
			if (type === 'message') return messageOf(item, i)
			if (type === 'item_reference')
				return { role: 'assistant', parts: await referenced(item, i, resolver) }
			if (
				type.startsWith('function_call') ||
				type.endsWith('_call') ||
				type.endsWith('_call_output')
			) {
				throw unsupported(`input.${i}.type`, TOOLS_UNSUPPORTED, 'unsupported_value')
			}
			throw unsupported(
				`input.${i}.type`,
				`Input items of type "${type.slice(0, 64)}" are not supported: edgeclaw agents take messages of text.`,
				'unsupported_value',
			)
		}),
	)
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
