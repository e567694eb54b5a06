// What a Chat Completions request's messages ask of an agent: the last user message — or the
// results of the client tool calls the last answer made — is the new turn, and everything before
// it is history the lane seeds into a new session (tool calls and results included).
import type { MessagePart, TextPart, ToolResultPart } from '../../agents/runner'
import type { ContextMessage } from '../../lanes/types'
import { MAX_CONTENT_CHARS } from '../routes/sessions/schemas'
import { badParam, unsupported } from './errors'
import type { ChatMessage } from './schemas'

export interface Conversation {
	/** History before the turn, oldest first; stored only while the session's transcript is empty. */
	context: ContextMessage[]
	/** The last user message: what the agent answers (empty when the turn is tool results only). */
	turn: TextPart[]
	/** Results of client tool calls, ahead of the turn's message. */
	toolResults: ToolResultPart[]
}

/**
 * Splits the messages into the seeded history and the turn; 400 for what cannot be taken. The
 * turn is the last message when it is a user's, with the tool results right before it; or the
 * tool messages the conversation ends with.
 */
export function splitConversation(messages: readonly ChatMessage[]): Conversation {
	messages.forEach(refuseFunctions)
	const names = callNames(messages)
	let end = messages.length
	const lastRole = messages[end - 1]?.role
	const hasTurnText = lastRole === 'user'
	if (hasTurnText) end--
	let start = end
	while (start > 0 && messages[start - 1]?.role === 'tool') start--
	if (!hasTurnText && start === end) {
		const last = messages.findLastIndex((m) => m.role === 'user')
		if (last === -1) {
			throw badParam(
				'messages',
				'messages must end with a user message (the turn the agent answers) or with tool results.',
				'invalid_value',
			)
		}
		throw unsupported(
			`messages.${last + 1}`,
			`Messages after the last user message (here a ${messages[last + 1]?.role} message) are not supported: the last user message, or the tool results after the last answer, is the turn the agent answers.`,
			'unsupported_value',
		)
	}
	const toolResults = messages.slice(start, end).map((m, k) => toolResult(m, start + k, names))
	const turn = hasTurnText ? partsOf(messages[end] as ChatMessage, end) : []
	const chars =
		turn.reduce((n, p) => n + p.text.length, 0) +
		toolResults.reduce((n, p) => n + p.result.length, 0)
	if (hasTurnText && toolResults.length === 0 && !turn.some((p) => p.text.trim().length > 0)) {
		throw badParam(
			`messages.${end}.content`,
			'The last user message must contain some non-blank text.',
			'invalid_value',
		)
	}
	if (chars > MAX_CONTENT_CHARS) {
		throw badParam(
			`messages.${hasTurnText ? end : start}.content`,
			`The turn has ${chars} characters; at most ${MAX_CONTENT_CHARS} are allowed.`,
			'string_above_max_length',
		)
	}
	const context: ContextMessage[] = []
	messages.slice(0, start).forEach((m, i) => {
		const entry = contextOf(m, i, names)
		if (entry) context.push(entry)
	})
	return { context, turn, toolResults }
}

/** The deprecated function role and function_call are refused (tools replaced them). */
function refuseFunctions(m: ChatMessage, i: number): void {
	const message =
		'The deprecated function role and function_call are not supported; use tool_calls and tool messages.'
	if (m.role === 'function') throw unsupported(`messages.${i}.role`, message, 'unsupported_value')
	if (m.function_call != null) throw unsupported(`messages.${i}.function_call`, message)
}

/** The function each tool call id of the history called. */
function callNames(messages: readonly ChatMessage[]): Map<string, string> {
	const names = new Map<string, string>()
	for (const m of messages) for (const c of m.tool_calls ?? []) names.set(c.id, c.function.name)
	return names
}

function toolResult(m: ChatMessage, i: number, names: ReadonlyMap<string, string>): ToolResultPart {
	if (m.tool_call_id === undefined) {
		throw badParam(
			`messages.${i}.tool_call_id`,
			'A tool message needs the tool_call_id of the call it answers.',
			'missing_required_parameter',
		)
	}
	return {
		type: 'tool-result',
		callId: m.tool_call_id,
		name: names.get(m.tool_call_id) ?? '',
		result: partsOf(m, i)
			.map((p) => p.text)
			.join(''),
	}
}

/** A message of history as the lane stores it; undefined when it carries nothing. */
function contextOf(
	m: ChatMessage,
	i: number,
	names: ReadonlyMap<string, string>,
): ContextMessage | undefined {
	if (m.role === 'tool') {
		const result = toolResult(m, i, names)
		return { role: 'tool', text: result.result, parts: [result] }
	}
	const text = partsOf(m, i)
		.map((p) => p.text)
		.join('')
	if (m.role === 'assistant' && m.tool_calls && m.tool_calls.length > 0) {
		const parts: MessagePart[] = [
			...(text.length > 0 ? [{ type: 'text' as const, text }] : []),
			...m.tool_calls.map((c) => ({
				type: 'tool-call' as const,
				callId: c.id,
				name: c.function.name,
				args: c.function.arguments,
			})),
		]
		return { role: 'assistant', text, parts }
	}
	// An assistant message without content has nothing to keep.
	if (text.length === 0) return undefined
	return { role: m.role === 'user' || m.role === 'assistant' ? m.role : 'system', text }
}

/** A message's content as text parts: text (and an assistant's refusal) taken, the rest refused. */
function partsOf(m: ChatMessage, i: number): TextPart[] {
	if (m.content == null) return []
	if (typeof m.content === 'string') return [{ type: 'text', text: m.content }]
	return m.content.map((part, j) => {
		const where = `messages.${i}.content.${j}`
		const record = part as Record<string, unknown>
		const text =
			part.type === 'text' ? record.text : part.type === 'refusal' ? record.refusal : undefined
		if (part.type === 'refusal' && m.role !== 'assistant') {
			throw unsupported(
				`${where}.type`,
				'Only assistant messages may contain refusal parts.',
				'unsupported_value',
			)
		}
		if (part.type !== 'text' && part.type !== 'refusal') {
			throw unsupported(
				`${where}.type`,
				`Content parts of type "${part.type.slice(0, 64)}" are not supported: edgeclaw agents take text only.`,
				'unsupported_value',
			)
		}
		if (typeof text !== 'string') {
			throw badParam(
				`${where}.${part.type}`,
				`A ${part.type} part needs a string "${part.type}".`,
				'invalid_type',
			)
		}
		return { type: 'text', text }
	})
}
