// What a Chat Completions request asks beyond its messages: client function tools, the tool
// choice and the response format become the run's options; features an agent cannot honour —
// several choices, log probabilities, audio, predicted outputs, the deprecated `functions` — are
// refused here with the parameter that asked for them, instead of being silently ignored.
import type { ClientTool, ResponseFormat, RunOptions, ToolChoice } from '../../agents/runner'
import { badParam, unsupported } from './errors'
import type { ChatCompletionRequest, ChatTool, ResponseFormat as FormatParam } from './schemas'

export const FUNCTIONS_UNSUPPORTED =
	'The deprecated functions and function_call parameters are not supported; send tools and tool_choice instead.'

/** Refuses request fields an agent cannot honour (400 naming the parameter). */
export function refuseUnsupported(body: ChatCompletionRequest): void {
	if ((body.n ?? 1) !== 1) {
		throw unsupported(
			'n',
			'n must be 1: an edgeclaw agent gives one answer per turn.',
			'unsupported_value',
		)
	}
	if (body.functions && body.functions.length > 0) {
		throw unsupported('functions', FUNCTIONS_UNSUPPORTED)
	}
	if (body.function_call !== undefined && body.function_call !== 'none') {
		throw unsupported('function_call', FUNCTIONS_UNSUPPORTED, 'unsupported_value')
	}
	if (body.web_search_options !== undefined) {
		throw unsupported(
			'web_search_options',
			'Web search is not an option of an edgeclaw request: give the agent a fetch or search tool in its config.',
		)
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
	if (body.modalities?.includes('audio') || body.audio != null) {
		throw unsupported(body.audio != null ? 'audio' : 'modalities', 'Audio output is not supported.')
	}
	if (body.prediction != null)
		throw unsupported('prediction', 'Predicted outputs are not supported.')
	if (body.moderation != null) {
		throw unsupported('moderation', 'Moderated completions are not supported.')
	}
}

/** The run's options from the request's tools, tool choice and response format (undefined: none). */
export function runOptionsOf(body: ChatCompletionRequest): RunOptions | undefined {
	const clientTools = (body.tools ?? []).map(clientTool)
	const names = new Set<string>()
	clientTools.forEach((t, i) => {
		if (names.has(t.name)) {
			throw badParam(
				`tools.${i}.function.name`,
				`Two tools are named "${t.name}"; tool names must be unique.`,
				'invalid_value',
			)
		}
		names.add(t.name)
	})
	const toolChoice = toolChoiceOf(body.tool_choice, names)
	const responseFormat = body.response_format && formatOf(body.response_format)
	const options: RunOptions = {
		...(clientTools.length > 0 && { clientTools }),
		...(toolChoice !== undefined && clientTools.length > 0 && { toolChoice }),
		...(responseFormat && responseFormat.type !== 'text' && { responseFormat }),
	}
	return Object.keys(options).length > 0 ? options : undefined
}

function clientTool(tool: ChatTool, i: number): ClientTool {
	if (tool.type !== 'function') {
		throw unsupported(
			`tools.${i}.type`,
			`Tools of type "${tool.type.slice(0, 64)}" are not supported: client tools are functions.`,
			'unsupported_value',
		)
	}
	const fn = tool.function
	if (!fn) {
		throw badParam(
			`tools.${i}.function`,
			'A function tool needs a function.',
			'missing_required_parameter',
		)
	}
	return {
		name: fn.name,
		...(fn.description !== undefined && { description: fn.description }),
		// OpenAI's default for a function without parameters: it takes none.
		parameters: fn.parameters ?? { type: 'object', properties: {} },
		...(fn.strict != null && { strict: fn.strict }),
	}
}

function toolChoiceOf(
	choice: ChatCompletionRequest['tool_choice'],
	names: ReadonlySet<string>,
): ToolChoice | undefined {
	if (choice === undefined) return undefined
	if (typeof choice === 'string') {
		if (choice !== 'none' && choice !== 'auto' && choice !== 'required') {
			throw badParam(
				'tool_choice',
				`tool_choice "${choice.slice(0, 64)}" is not one of none, auto, required or a function.`,
				'invalid_value',
			)
		}
		if (choice !== 'none' && names.size === 0) {
			throw badParam(
				'tool_choice',
				'tool_choice is only allowed when tools are given.',
				'invalid_value',
			)
		}
		return choice
	}
	const fn = choice.function as { name?: unknown } | undefined
	if (choice.type !== 'function' || typeof fn?.name !== 'string') {
		throw unsupported(
			'tool_choice',
			'tool_choice must be none, auto, required or {"type": "function", "function": {"name": …}}.',
			'unsupported_value',
		)
	}
	if (!names.has(fn.name)) {
		throw badParam(
			'tool_choice',
			`tool_choice names the function "${fn.name.slice(0, 64)}", which is not among the tools.`,
			'invalid_value',
		)
	}
	return { tool: fn.name }
}

function formatOf(format: FormatParam): ResponseFormat {
	if (format.type === 'text') return { type: 'text' }
	if (format.type === 'json_object') return { type: 'json' }
	if (format.type === 'json_schema') {
		const spec = format.json_schema
		if (!spec) {
			throw badParam(
				'response_format.json_schema',
				'response_format "json_schema" needs json_schema with a name (and a schema).',
				'missing_required_parameter',
			)
		}
		return {
			type: 'json',
			name: spec.name,
			...(spec.schema !== undefined && { schema: spec.schema }),
			...(spec.description !== undefined && { description: spec.description }),
		}
	}
	throw unsupported(
		'response_format.type',
		`response_format "${format.type.slice(0, 64)}" is not supported: use text, json_object or json_schema.`,
		'unsupported_value',
	)
}
