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
	const choice = body.tool_choice
	return runOptions(
		(body.tools ?? []).map(clientTool),
		(i) => `tools.${i}.function.name`,
		choice === undefined
			? undefined
			: typeof choice === 'string'
				? choice
				: { type: choice.type, name: (choice.function as { name?: unknown } | undefined)?.name },
		'{"type": "function", "function": {"name": …}}',
		body.response_format && formatOf(body.response_format),
	)
}

/** A tool choice as either API sends it, its function's name taken out of its own shape. */
export type ChoiceParam = string | { type: unknown; name: unknown }

/**
 * Run options from client tools (unique names; `nameParam` says where a name is), a tool choice
 * (`shape` says how a function is named in this API) and a response format, for either API.
 */
export function runOptions(
	clientTools: ClientTool[],
	nameParam: (i: number) => string,
	choice: ChoiceParam | undefined,
	shape: string,
	format: ResponseFormat | undefined,
): RunOptions | undefined {
	const names = new Set<string>()
	clientTools.forEach((t, i) => {
		if (names.has(t.name)) {
			throw badParam(
				nameParam(i),
				`Two tools are named "${t.name}"; tool names must be unique.`,
				'invalid_value',
			)
		}
		names.add(t.name)
	})
	const toolChoice = choice === undefined ? undefined : toolChoiceOf(choice, names, shape)
	const options: RunOptions = {
		...(clientTools.length > 0 && { clientTools }),
		...(toolChoice !== undefined && clientTools.length > 0 && { toolChoice }),
		...(format && format.type !== 'text' && { responseFormat: format }),
	}
	return Object.keys(options).length > 0 ? options : undefined
}

/** A JSON schema format (both APIs name it, and may give a schema and a description). */
export const jsonFormat = (spec: {
	name: string
	schema?: Record<string, unknown> | undefined
	description?: string | undefined
}): ResponseFormat => ({
	type: 'json',
	name: spec.name,
	...(spec.schema !== undefined && { schema: spec.schema }),
	...(spec.description !== undefined && { description: spec.description }),
})

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

function toolChoiceOf(choice: ChoiceParam, names: ReadonlySet<string>, shape: string): ToolChoice {
	if (typeof choice === 'string') {
		if (choice !== 'none' && choice !== 'auto' && choice !== 'required') {
			throw badParam(
				'tool_choice',
				`tool_choice "${choice.slice(0, 64)}" is not one of none, auto, required or a function.`,
				'invalid_value',
			)
		}
		if (choice === 'required' && names.size === 0) {
			throw badParam('tool_choice', 'tool_choice "required" needs tools.', 'invalid_value')
		}
		return choice
	}
	if (choice.type !== 'function' || typeof choice.name !== 'string') {
		throw unsupported(
			'tool_choice',
			`tool_choice must be none, auto, required or ${shape}.`,
			'unsupported_value',
		)
	}
	if (!names.has(choice.name)) {
		throw badParam(
			'tool_choice',
			`tool_choice names the function "${choice.name.slice(0, 64)}", which is not among the tools.`,
			'invalid_value',
		)
	}
	return { tool: choice.name }
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
		return jsonFormat(spec)
	}
	throw unsupported(
		'response_format.type',
		`response_format "${format.type.slice(0, 64)}" is not supported: use text, json_object or json_schema.`,
		'unsupported_value',
	)
}
