// A Responses API request's `input` items as messages: message items of text parts, earlier
// answers an `item_reference` names, and client tool calls (`function_call`) and their results
// (`function_call_output`); a step's calls join the assistant message before them. Anything else
// is refused naming the item.
import type { MessagePart, TextPart, ToolResultPart } from '../../agents/runner'
import { badParam, unsupported } from './errors'
import { parseMessageId, type ResponseRef } from './responses-ids'
import type { InputItem } from './responses-schemas'

export interface InputResolver {
	/** The text of an earlier answer an `item_reference` names; undefined when there is none. */
	answerOf(ref: ResponseRef): Promise<string | undefined>
}

type Role = 'user' | 'assistant' | 'system'

export interface InputMessage {
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

/** Each input item as a message; 400 naming the item for what cannot be taken. */
export async function messagesOf(
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
