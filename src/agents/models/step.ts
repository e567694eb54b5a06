// A model step: what the loop asks for and gets back, and one streamed call of one model for it.
// The router decides which model and key to call and what a failure means; this is the call.
import type {
	LanguageModelV4,
	LanguageModelV4CallOptions,
	LanguageModelV4FunctionTool,
	LanguageModelV4Prompt,
	LanguageModelV4StreamPart,
	LanguageModelV4ToolChoice,
	SharedV4ProviderOptions,
} from '@ai-sdk/provider'
import type { ModelCallRecord, ResponseFormat, ToolChoice, Usage } from '../runner'
import { CallTimeout } from './errors'
import type { StepPurpose } from './providers'

export interface StepRequest {
	/** The tenant the call is made for: whose secrets it may use, and its health scope. */
	tenantId: string
	system: string
	/** The conversation, without the system message. */
	messages: LanguageModelV4Prompt
	tools: LanguageModelV4FunctionTool[]
	toolChoice: ToolChoice
	/** JSON output asked for (providers that support it constrain the answer to it). */
	responseFormat?: ResponseFormat | undefined
	params: {
		temperature?: number | undefined
		topP?: number | undefined
		maxOutputTokens?: number | undefined
	}
	/** What the step is for (absent: answer whatever the conversation ends with). */
	purpose?: StepPurpose
	signal: AbortSignal
	/** Epoch ms; no retry waits past it. */
	deadline: number
	/** The run's W3C traceparent, sent as a header with every provider request. */
	traceparent?: string | undefined
	callTimeoutMs: number
	onDelta(text: string): void
	onCall(record: ModelCallRecord): void
}

export interface StepToolCall {
	callId: string
	name: string
	/** Arguments as the model wrote them (JSON text, untrusted). */
	input: string
}

export interface StepOutput {
	text: string
	toolCalls: StepToolCall[]
	usage: Usage
	/** `provider:model` that answered. */
	model: string
	finishReason: string
}

/** Thrown when a stream fails after deltas went out: retrying would repeat text to subscribers. */
export class StreamInterrupted extends Error {
	override readonly name = 'StreamInterrupted'
}

/** A response that is not a complete answer: treated as an unreadable provider response. */
class IncompleteResponse extends Error {
	override readonly name = 'InvalidResponseDataError'
}

/**
 * One streamed call of one model: deltas go out as they arrive, tool calls are collected, the call
 * timeout and the run's signal stop it, and anything short of a complete answer throws.
 */
export async function callModel(
	model: LanguageModelV4,
	ref: string,
	req: StepRequest,
	providerOptions: SharedV4ProviderOptions | undefined,
): Promise<StepOutput> {
	const controller = new AbortController()
	const onAbort = () => controller.abort(req.signal.reason)
	req.signal.addEventListener('abort', onAbort, { once: true })
	// The per-call timeout only matters when it ends before the run's deadline; past that the
	// lane stops the run itself (and says deadline_exceeded, not timeout).
	const timeoutMs = req.callTimeoutMs
	const timer =
		timeoutMs < req.deadline - Date.now()
			? setTimeout(() => controller.abort(new CallTimeout(timeoutMs)), timeoutMs)
			: undefined
	let emitted = false
	try {
		const { stream } = await model.doStream({
			prompt: [{ role: 'system', content: req.system }, ...req.messages],
			...(req.tools.length > 0
				? { tools: req.tools, toolChoice: toolChoiceOf(req.toolChoice) }
				: {}),
			...(req.responseFormat?.type === 'json'
				? { responseFormat: req.responseFormat as LanguageModelV4CallOptions['responseFormat'] }
				: {}),
			...definedParams(req.params),
			...(providerOptions ? { providerOptions } : {}),
			...(req.traceparent ? { headers: { traceparent: req.traceparent } } : {}),
			abortSignal: controller.signal,
		})
		const reader = stream.getReader()
		let text = ''
		const toolCalls: StepToolCall[] = []
		let finish: Extract<LanguageModelV4StreamPart, { type: 'finish' }> | undefined
		// A stop (cancel, deadline, call timeout) cancels the reader, so a provider that ignores
		// the abort signal still cannot hold the run: the pending read ends at once.
		const cancel = () => reader.cancel(controller.signal.reason).catch(() => {})
		if (controller.signal.aborted) void cancel()
		controller.signal.addEventListener('abort', cancel, { once: true })
		for (;;) {
			const { done, value } = await reader.read()
			if (controller.signal.aborted) throw controller.signal.reason
			if (done) break
			if (value.type === 'text-delta') {
				if (value.delta) {
					text += value.delta
					emitted = true
					req.onDelta(value.delta)
				}
			} else if (value.type === 'tool-call') {
				toolCalls.push({ callId: value.toolCallId, name: value.toolName, input: value.input })
			} else if (value.type === 'finish') {
				finish = value
			} else if (value.type === 'error') {
				throw value.error
			}
		}
		if (!finish) throw new IncompleteResponse('the stream ended without a finish event')
		if (text === '' && toolCalls.length === 0) {
			throw new IncompleteResponse('the provider returned an empty answer')
		}
		if (finish.finishReason.unified === 'error') {
			throw new IncompleteResponse(
				`the provider finished with an error (${finish.finishReason.raw})`,
			)
		}
		return {
			text,
			toolCalls,
			usage: {
				inputTokens: finish.usage.inputTokens.total ?? 0,
				outputTokens: finish.usage.outputTokens.total ?? 0,
			},
			model: ref,
			finishReason: finish.finishReason.unified,
		}
	} catch (error) {
		const reason = controller.signal.reason
		const cause = reason instanceof CallTimeout ? reason : error
		if (emitted && !req.signal.aborted) throw new StreamInterrupted('stream broke off', { cause })
		throw cause
	} finally {
		if (timer !== undefined) clearTimeout(timer)
		req.signal.removeEventListener('abort', onAbort)
	}
}

const toolChoiceOf = (choice: ToolChoice): LanguageModelV4ToolChoice =>
	typeof choice === 'string' ? { type: choice } : { type: 'tool', toolName: choice.tool }

function definedParams(params: StepRequest['params']) {
	return {
		...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
		...(params.topP !== undefined ? { topP: params.topP } : {}),
		...(params.maxOutputTokens !== undefined ? { maxOutputTokens: params.maxOutputTokens } : {}),
	}
}
