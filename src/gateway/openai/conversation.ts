// What a Chat Completions request asks of an agent: the last user message is the new turn, and
// everything before it is history the lane seeds into a new session. Features an agent cannot
// honour — client-side tools, several choices, structured output, audio — are refused here with
// the parameter that asked for them, instead of being silently ignored.
import type { TextPart } from '../../agents/runner'
import type { ContextMessage } from '../../lanes/types'
import { MAX_CONTENT_CHARS } from '../routes/sessions/schemas'
import { badParam, unsupported } from './errors'
import type { ChatCompletionRequest, ChatMessage } from './schemas'

export const TOOLS_UNSUPPORTED =
	'edgeclaw agents use their own configured tools; client-side function tools (tools, tool_choice, functions, tool messages) are not supported. Give the agent tools in its config instead.'

export interface Conversation {
	/** History before the turn, oldest first; stored only while the session's transcript is empty. */
	context: ContextMessage[]
	/** The last user message: what the agent answers. */
	turn: TextPart[]
}

/** Refuses request fields an agent cannot honour (400 naming the parameter). */
export function refuseUnsupported(body: ChatCompletionRequest): void {
	if ((body.n ?? 1) !== 1) {
		throw unsupported(
			'n',
			'n must be 1: an edgeclaw agent gives one answer per turn.',
			'unsupported_value',
		)
	}
	if (body.tools && body.tools.length > 0) throw unsupported('tools', TOOLS_UNSUPPORTED)
	if (body.functions && body.functions.length > 0) throw unsupported('functions', TOOLS_UNSUPPORTED)
	if (body.tool_choice !== undefined && body.tool_choice !== 'none') {
		throw unsupported('tool_choice', TOOLS_UNSUPPORTED, 'unsupported_value')
	}
	if (body.function_call !== undefined && body.function_call !== 'none') {
		throw unsupported('function_call', TOOLS_UNSUPPORTED, 'unsupported_value')
	}
	if (body.web_search_options !== undefined) {
		throw unsupported('web_search_options', TOOLS_UNSUPPORTED)
	}
	if (body.stream_options != null && body.stream !== true) {
		throw badParam(
			'stream_options',
			'stream_options is only allowed when stream is true.',
			'invalid_value',
		)
	}
	if (body.logprobs === true || (body.top_logprobs ?? 0) > 0) {
		throw unsupported(
			body.logprobs === true ? 'logprobs' : 'top_logprobs',
			'Log probabilities are not available through an edgeclaw agent.',
			'unsupported_value',
		)
	}
	if (body.response_format && body.response_format.type !== 'text') {
		throw unsupported(
			'response_format',
			`response_format "${body.response_format.type.slice(0, 64)}" is not supported: an edgeclaw agent answers in text.`,
			'unsupported_value',
		)
	}
	if (body.modalities?.includes('audio') || body.audio != null) {
		throw unsupported(body.audio != null ? 'audio' : 'modalities', 'Audio output is not supported.')
	}
	if (body.prediction != null)
		throw unsupported('prediction', 'Predicted outputs are not supported.')
	if (body.moderation != null) {
		throw unsupported('moderation', 'Moderated completions are not supported.')
	}
}

/** Splits the messages into the seeded history and the turn; 400 for what cannot be taken. */
export function splitConversation(messages: readonly ChatMessage[]): Conversation {
	messages.forEach(refuseToolUse)
	const last = messages.findLastIndex((m) => m.role === 'user')
	if (last === -1) {
		throw badParam(
			'messages',
			'messages must contain a user message: the last one is the turn the agent answers.',
			'invalid_value',
		)
	}
	if (last < messages.length - 1) {
		throw unsupported(
			`messages.${last + 1}`,
			`Messages after the last user message (here a ${messages[last + 1]?.role} message) are not supported: the last user message is the turn the agent answers.`,
			'unsupported_value',
		)
	}
	const turn = partsOf(messages[last] as ChatMessage, last)
	const chars = turn.reduce((n, p) => n + p.text.length, 0)
	if (!turn.some((p) => p.text.trim().length > 0)) {
		throw badParam(
			`messages.${last}.content`,
			'The last user message must contain some non-blank text.',
			'invalid_value',
		)
	}
	if (chars > MAX_CONTENT_CHARS) {
		throw badParam(
			`messages.${last}.content`,
			`The last user message has ${chars} characters; at most ${MAX_CONTENT_CHARS} are allowed.`,
			'string_above_max_length',
		)
	}
	const context: ContextMessage[] = []
	messages.slice(0, last).forEach((m, i) => {
		const text = partsOf(m, i)
			.map((p) => p.text)
			.join('')
		// An assistant message without content (it only called tools) has nothing to keep.
		if (text.length === 0) return
		context.push({ role: m.role === 'user' || m.role === 'assistant' ? m.role : 'system', text })
	})
	return { context, turn }
}

/** Tool calls and tool results in the history mean client-side tools: refused. */
function refuseToolUse(m: ChatMessage, i: number): void {
	if (m.role === 'tool' || m.role === 'function') {
		throw unsupported(`messages.${i}.role`, TOOLS_UNSUPPORTED, 'unsupported_value')
	}
	if (m.tool_calls && m.tool_calls.length > 0) {
		throw unsupported(`messages.${i}.tool_calls`, TOOLS_UNSUPPORTED)
	}
	if (m.function_call != null) throw unsupported(`messages.${i}.function_call`, TOOLS_UNSUPPORTED)
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
