// A run as a Responses API `response` object: its status, its output items and its usage. The one
// place output items are built, for the JSON answer, the streamed events and retrieval alike: the
// answer's message, then a `function_call` item per client tool call the run ended with.
import type { AgentSnapshot, ToolCallPart } from '../../agents/runner'
import type { RunView } from '../../lanes/types'
import { openAIError, runFailure } from './errors'
import { messageIdOf, type ResponseRef, responseIdOf } from './responses-ids'
import type {
	FunctionCallItem,
	OutputItem,
	OutputMessage,
	OutputText,
	ResponseCreateRequest,
	ResponseObject,
	ResponseStatus,
	ResponseUsage,
} from './responses-schemas'
import { finishReasonOf } from './stream'

/** What a response echoes of the request that made it (retrieval knows only the defaults). */
export interface ResponseEcho {
	model: string
	previousResponseId: string | null
	instructions: string | null
	metadata: Record<string, string>
	store: boolean
	background: boolean
	user: string | null
	temperature: number | null
	topP: number | null
	maxOutputTokens: number | null
	tools: Record<string, unknown>[]
	toolChoice: string | Record<string, unknown>
	format: Record<string, unknown>
}

export function echoOf(body: ResponseCreateRequest): ResponseEcho {
	return {
		model: body.model,
		previousResponseId: body.previous_response_id ?? null,
		instructions: body.instructions ?? null,
		metadata: body.metadata ?? {},
		store: body.store !== false,
		background: body.background === true,
		user: body.user ?? null,
		temperature: body.temperature ?? null,
		topP: body.top_p ?? null,
		maxOutputTokens: body.max_output_tokens ?? null,
		tools: body.tools ?? [],
		toolChoice: body.tool_choice ?? 'auto',
		format: body.text?.format ?? { type: 'text' },
	}
}

/** A stored response read back: the request's own fields were not kept. */
export const storedEcho = (model: string): ResponseEcho => ({
	model,
	previousResponseId: null,
	instructions: null,
	metadata: {},
	store: true,
	background: false,
	user: null,
	temperature: null,
	topP: null,
	maxOutputTokens: null,
	tools: [],
	toolChoice: 'auto',
	format: { type: 'text' },
})

export const usageOf = (run: Pick<RunView, 'usage'>): ResponseUsage => {
	const input = run.usage?.inputTokens ?? 0
	const output = run.usage?.outputTokens ?? 0
	return {
		input_tokens: input,
		input_tokens_details: { cached_tokens: 0 },
		output_tokens: output,
		output_tokens_details: { reasoning_tokens: 0 },
		total_tokens: input + output,
	}
}

/**
 * A run's status as a response's: `incomplete` (max_output_tokens) when the agent caps output and
 * the answering model call used all of it — the same evidence as chat completions' `length`.
 */
export function statusOf(run: RunView, agent: AgentSnapshot): ResponseStatus {
	switch (run.status) {
		case 'queued':
			return 'queued'
		case 'running':
			return 'in_progress'
		case 'succeeded':
			return finishReasonOf(run, agent) === 'length' ? 'incomplete' : 'completed'
		case 'failed':
			return 'failed'
		case 'cancelled':
			return 'cancelled'
	}
}

export const outputText = (text: string): OutputText => ({
	type: 'output_text',
	text,
	annotations: [],
	logprobs: [],
})

export function messageItem(
	ref: ResponseRef,
	status: OutputMessage['status'],
	content: OutputText[],
): OutputMessage {
	return { id: messageIdOf(ref), type: 'message', status, role: 'assistant', content }
}

/** A client tool call as an output item (its id is the call's, prefixed as OpenAI's are). */
export const functionCallItem = (
	call: ToolCallPart,
	status: FunctionCallItem['status'],
	args: string = call.args,
): FunctionCallItem => ({
	id: `fc_${call.callId}`,
	type: 'function_call',
	call_id: call.callId,
	name: call.name,
	arguments: args,
	status,
})

/**
 * The output items of a finished run: its answer as one assistant message (left out when the run
 * ended in client tool calls without text), then those calls.
 */
export function outputOf(
	ref: ResponseRef,
	status: ResponseStatus,
	text: string,
	calls: readonly ToolCallPart[] = [],
): OutputItem[] {
	if (status !== 'completed' && status !== 'incomplete') return []
	return [
		...(text !== '' || calls.length === 0 ? [messageItem(ref, status, [outputText(text)])] : []),
		...calls.map((call) => functionCallItem(call, 'completed')),
	]
}

/** The error member of a run that failed or was cancelled: OpenAI's error shape, as in HTTP. */
function errorOf(run: RunView): ResponseObject['error'] {
	if (run.status !== 'failed' && run.status !== 'cancelled') return null
	const { code, message } = openAIError(runFailure(run))
	return { code: code ?? 'run_failed', message }
}

/**
 * The response object of `ref`'s run; `text` overrides the run's output (a stream answers with
 * what it streamed).
 */
export function responseOf(
	ref: ResponseRef,
	run: RunView,
	agent: AgentSnapshot,
	echo: ResponseEcho,
	text: string = run.output ?? '',
): ResponseObject {
	const status = statusOf(run, agent)
	const ended = status !== 'queued' && status !== 'in_progress'
	return {
		id: responseIdOf(ref),
		object: 'response',
		created_at: Math.floor(run.createdAt / 1000),
		completed_at: ended && run.finishedAt !== null ? Math.floor(run.finishedAt / 1000) : null,
		status,
		background: echo.background,
		error: errorOf(run),
		incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
		instructions: echo.instructions,
		max_output_tokens: echo.maxOutputTokens,
		metadata: echo.metadata,
		model: echo.model,
		output: outputOf(ref, status, text, run.clientToolCalls),
		parallel_tool_calls: true,
		previous_response_id: echo.previousResponseId,
		store: echo.store,
		temperature: echo.temperature,
		text: { format: echo.format },
		tool_choice: echo.toolChoice,
		tools: echo.tools,
		top_p: echo.topP,
		truncation: 'disabled',
		usage: ended ? usageOf(run) : null,
		user: echo.user,
	}
}
