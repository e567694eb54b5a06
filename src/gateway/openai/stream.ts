// Streaming Chat Completions: one run's lane events as `chat.completion.chunk` frames — a role
// chunk, a chunk per delta, a chunk with the finish reason, the usage chunk when asked for, then
// `data: [DONE]`. A failure after the stream began is a `data: {"error": …}` frame (the openai SDK
// raises it as an APIError) and the stream ends without [DONE].
import type { AgentSnapshot } from '../../agents/runner'
import type { RunView } from '../../lanes/types'
import type { Logger } from '../../observability/logger'
import { followRun, type LaneEventSource } from '../lane/run-events'
import { ProblemError } from '../problem'
import { openAIError, runCancelled, runFailure } from './errors'
import type { ChatCompletionChunk, FinishReason, ToolCall, Usage } from './schemas'

/** A comment line now and then keeps proxies from closing a stream while tools run. */
export const KEEP_ALIVE_MS = 15_000
const DONE = 'data: [DONE]\n\n'

export interface CompletionStreamOptions {
	/** The lane's event stream (the SessionLane stub). */
	events: LaneEventSource
	/** Reads the run once it ended, for its model calls and usage. */
	readRun(): Promise<RunView | undefined>
	/** The run as the submit returned it. */
	run: RunView
	/** Lane events up to this seq are not the run's (the `after` of the stream the submit opened). */
	after: number
	/** The event stream the submit opened (`send` with `stream`), read before any fetch. */
	opened?: ReadableStream<Uint8Array>
	/** A repeated idempotency key: the run may be long over, its events already before `after`. */
	duplicate: boolean
	agent: AgentSnapshot
	model: string
	includeUsage: boolean
	logger: Logger
	keepAliveMs?: number
}

export const completionId = (runId: string): string => `chatcmpl-${runId}`

export const usageOf = (run: Pick<RunView, 'usage'>): Usage => {
	const prompt = run.usage?.inputTokens ?? 0
	const completion = run.usage?.outputTokens ?? 0
	return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
}

/** The client tool calls a run ended with, as OpenAI's `tool_calls` (undefined when none). */
export function toolCallsOf(run: Pick<RunView, 'clientToolCalls'>): ToolCall[] | undefined {
	const calls = run.clientToolCalls
	if (!calls || calls.length === 0) return undefined
	return calls.map((c) => ({
		id: c.callId,
		type: 'function',
		function: { name: c.name, arguments: c.args },
	}))
}

/**
 * `length` when the agent caps output (`params.maxOutputTokens`) and the model call that gave the
 * answer used all of it — the lane does not record the provider's finish reason, so the cap is
 * the evidence; otherwise `stop`.
 */
export function finishReasonOf(
	run: Pick<RunView, 'calls' | 'clientToolCalls'>,
	agent: AgentSnapshot,
): FinishReason {
	if (run.clientToolCalls && run.clientToolCalls.length > 0) return 'tool_calls'
	const cap = agent.config.params.maxOutputTokens
	const answered = run.calls.findLast((call) => call.outcome === 'ok')
	return cap !== undefined && answered !== undefined && answered.outputTokens >= cap
		? 'length'
		: 'stop'
}

const restarted = () =>
	new ProblemError(
		'run_unavailable',
		'The session lane restarted mid-answer; the run starts over. Retry the request.',
		{ extensions: { reason: 'lane_restarted' } },
	)

const frame = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`

const errorFrame = (problem: ProblemError): string => frame({ error: openAIError(problem) })

/** The stream's frames, in order; ends after [DONE] or an error frame, or when `signal` aborts. */
export async function* completionFrames(
	o: CompletionStreamOptions,
	signal: AbortSignal,
): AsyncGenerator<string, void> {
	const { run } = o
	const base = {
		id: completionId(run.runId),
		object: 'chat.completion.chunk' as const,
		created: Math.floor(run.createdAt / 1000),
		model: o.model,
	}
	// With include_usage OpenAI sends `usage: null` on every chunk but the usage chunk.
	const chunk = (
		delta: ChatCompletionChunk['choices'][number]['delta'],
		finish: FinishReason | null,
	): ChatCompletionChunk => ({
		...base,
		choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
		...(o.includeUsage && { usage: null }),
	})
	function* ending(view: RunView): Generator<string> {
		// Client tool calls come whole, in one chunk, before the finish reason.
		const calls = toolCallsOf(view)
		if (calls) yield frame(chunk({ tool_calls: calls.map((c, index) => ({ index, ...c })) }, null))
		yield frame(chunk({}, finishReasonOf(view, o.agent)))
		if (o.includeUsage) yield frame({ ...base, choices: [], usage: usageOf(view) })
		yield DONE
	}

	yield frame(chunk({ role: 'assistant', content: '' }, null))
	// A replayed request whose run already ended: answer from the stored run.
	if (o.duplicate && ['succeeded', 'failed', 'cancelled'].includes(run.status)) {
		if (run.status !== 'succeeded') {
			yield errorFrame(runFailure(run))
			return
		}
		if (run.output) yield frame(chunk({ content: run.output }, null))
		yield* ending(run)
		return
	}
	let streamed = false
	try {
		const events = followRun({
			lane: o.events,
			runId: run.runId,
			after: o.duplicate ? 0 : o.after,
			...(o.opened && { opened: o.opened }),
			signal,
		})
		for await (const event of events) {
			const data = event.data
			if (event.type === 'delta' && typeof data.text === 'string' && data.text !== '') {
				streamed = true
				yield frame(chunk({ content: data.text }, null))
			} else if (event.type === 'final') {
				yield* ending(await finished(o, data))
				return
			} else if (event.type === 'cancelled') {
				yield errorFrame(runCancelled(run.runId, String(data.reason ?? 'cancelled')))
				return
			} else if (event.type === 'error' && data.retrying === true) {
				// The lane restarted and runs the turn again from the start: text already sent
				// cannot be taken back, so such a stream ends here (the run's answer lands in the
				// session); one that sent nothing yet just waits for the new attempt.
				if (streamed) {
					yield errorFrame(restarted())
					return
				}
			} else if (event.type === 'error') {
				const error = {
					code: String(data.code ?? 'run_failed'),
					message: String(data.message ?? ''),
				}
				yield errorFrame(runFailure({ runId: run.runId, status: 'failed', error }))
				return
			}
		}
	} catch (error) {
		if (signal.aborted) return
		o.logger.error('openai.stream_failed', { runId: run.runId, error })
		const lost =
			error instanceof ProblemError && error.code === 'not_found'
				? 'The session was deleted while the run was streaming.'
				: "The run's event stream was lost; the run may still finish in its session."
		yield errorFrame(new ProblemError('lane_unavailable', lost))
	}
}

/**
 * The finished run. Its `final` event carries the usage and client tool calls; the stored run is
 * read (one more lane call) only for its model calls, which tell `length` from `stop` when the
 * agent caps output. The final event's figures stand in if it cannot be read.
 */
async function finished(
	o: CompletionStreamOptions,
	data: Record<string, unknown>,
): Promise<RunView> {
	if (o.agent.config.params.maxOutputTokens !== undefined) {
		try {
			const view = await o.readRun()
			if (view) return view
		} catch (error) {
			o.logger.warn('openai.run_read_failed', { runId: o.run.runId, error })
		}
	}
	const usage = data.usage as RunView['usage']
	const clientToolCalls = data.clientToolCalls as RunView['clientToolCalls']
	return {
		...o.run,
		status: 'succeeded',
		usage: usage ?? null,
		calls: [],
		...(clientToolCalls && { clientToolCalls }),
	}
}

/** The frames as a response body; a client that goes away cancels the upstream lane stream. */
export function completionStream(o: CompletionStreamOptions): ReadableStream<Uint8Array> {
	return sseBody((signal) => completionFrames(o, signal), o.keepAliveMs ?? KEEP_ALIVE_MS)
}

/**
 * SSE frames as a response body, with a keep-alive comment every `keepAliveMs`; a client that
 * goes away aborts `frames`' signal (stopping what feeds them) and ends the generator.
 */
export function sseBody(
	frames: (signal: AbortSignal) => AsyncGenerator<string, void>,
	keepAliveMs: number,
): ReadableStream<Uint8Array> {
	const encoder = new TextEncoder()
	const abort = new AbortController()
	const events = frames(abort.signal)
	let timer: ReturnType<typeof setInterval> | undefined
	let open = true
	const stop = () => {
		open = false
		if (timer !== undefined) clearInterval(timer)
		timer = undefined
	}
	return new ReadableStream<Uint8Array>({
		start(controller) {
			timer = setInterval(() => {
				if (open) controller.enqueue(encoder.encode(': keep-alive\n\n'))
			}, keepAliveMs)
		},
		async pull(controller) {
			const next = await events.next()
			if (!open) return
			if (next.done) {
				stop()
				controller.close()
			} else {
				controller.enqueue(encoder.encode(next.value))
			}
		},
		cancel() {
			stop()
			abort.abort()
			events.return(undefined).catch(() => {})
		},
	})
}
