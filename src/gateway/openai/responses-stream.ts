// Streaming a response (`stream: true`): one run's lane events as the Responses API's typed
// Server-Sent Events, each `event: <type>` with a `sequence_number` — created, in_progress, the
// message item and its text part opened, a delta per lane delta, everything closed again, then
// completed (incomplete, failed). A failure of the stream itself is an `error` event.
import type { AgentSnapshot } from '../../agents/runner'
import type { RunView } from '../../lanes/types'
import type { Logger } from '../../observability/logger'
import { followRun, type LaneEventSource } from '../lane/run-events'
import { ProblemError } from '../problem'
import { openAIError } from './errors'
import type { ResponseRef } from './responses-ids'
import {
	functionCallItem,
	messageItem,
	outputText,
	type ResponseEcho,
	responseOf,
	statusOf,
} from './responses-output'
import { KEEP_ALIVE_MS, sseBody } from './stream'

export interface ResponseStreamOptions {
	/** The lane's event stream (the SessionLane stub). */
	events: LaneEventSource
	/** Reads the run again (once it ended, for its model calls and usage). */
	readRun(): Promise<RunView | undefined>
	/** The run as the submit returned it. */
	run: RunView
	/** Lane events up to this seq are not the run's (the `after` of the stream the submit opened). */
	after: number
	/** The event stream the submit opened (`send` with `stream`), read before any fetch. */
	opened?: ReadableStream<Uint8Array>
	/** A repeated idempotency key: the run may be long over, its events already before `after`. */
	duplicate: boolean
	ref: ResponseRef
	agent: AgentSnapshot
	echo: ResponseEcho
	logger: Logger
	keepAliveMs?: number
}

const restarted = () =>
	new ProblemError(
		'run_unavailable',
		'The session lane restarted mid-answer; the run starts over in its session. Retry the request.',
		{ extensions: { reason: 'lane_restarted' } },
	)

/** The events of one response, in order; each carries the next `sequence_number`. */
export async function* responseEvents(
	o: ResponseStreamOptions,
	signal: AbortSignal,
): AsyncGenerator<string, void> {
	let sequence = 0
	const event = (type: string, payload: Record<string, unknown>): string =>
		`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...payload })}\n\n`
	const failure = (problem: ProblemError): string => {
		const { code, message, param } = openAIError(problem)
		return event('error', { code, message, param })
	}
	const item = { output_index: 0, item_id: messageItem(o.ref, 'in_progress', []).id }
	const part = { ...item, content_index: 0 }
	let opened = false
	let streamed = ''
	function* open(): Generator<string> {
		if (opened) return
		opened = true
		yield event('response.output_item.added', {
			output_index: 0,
			item: messageItem(o.ref, 'in_progress', []),
		})
		yield event('response.content_part.added', { ...part, part: outputText('') })
	}
	function* delta(text: string): Generator<string> {
		yield* open()
		streamed += text
		yield event('response.output_text.delta', { ...part, delta: text, logprobs: [] })
	}
	/** Closes the message (with the run's output if nothing was streamed) and ends the response. */
	function* ending(view: RunView): Generator<string> {
		const status = statusOf(view, o.agent)
		const calls = view.clientToolCalls ?? []
		if (status === 'completed' || status === 'incomplete') {
			if (streamed === '' && view.output) yield* delta(view.output)
			// A run that ended in client tool calls without text has no message item.
			if (opened || calls.length === 0) {
				yield* open()
				yield event('response.output_text.done', { ...part, text: streamed, logprobs: [] })
				yield event('response.content_part.done', { ...part, part: outputText(streamed) })
				yield event('response.output_item.done', {
					output_index: 0,
					item: messageItem(o.ref, status, [outputText(streamed)]),
				})
			}
			let index = opened ? 1 : 0
			for (const call of calls) {
				const where = { output_index: index++, item_id: functionCallItem(call, 'completed').id }
				yield event('response.output_item.added', {
					output_index: where.output_index,
					item: functionCallItem(call, 'in_progress', ''),
				})
				yield event('response.function_call_arguments.delta', { ...where, delta: call.args })
				yield event('response.function_call_arguments.done', {
					...where,
					name: call.name,
					arguments: call.args,
				})
				yield event('response.output_item.done', {
					output_index: where.output_index,
					item: functionCallItem(call, 'completed'),
				})
			}
		}
		const response = responseOf(o.ref, view, o.agent, o.echo, streamed)
		const type =
			status === 'completed'
				? 'response.completed'
				: status === 'incomplete'
					? 'response.incomplete'
					: 'response.failed'
		yield event(type, { response })
	}

	const { run } = o
	const started = responseOf(o.ref, { ...run, status: 'running' }, o.agent, o.echo)
	yield event('response.created', {
		response: { ...started, status: run.status === 'queued' ? 'queued' : 'in_progress' },
	})
	yield event('response.in_progress', { response: started })
	// A replayed request whose run already ended: answer from the stored run.
	if (o.duplicate && ['succeeded', 'failed', 'cancelled'].includes(run.status)) {
		yield* ending(run)
		return
	}
	try {
		const events = followRun({
			lane: o.events,
			runId: run.runId,
			after: o.duplicate ? 0 : o.after,
			...(o.opened && { opened: o.opened }),
			signal,
		})
		for await (const e of events) {
			const data = e.data
			if (e.type === 'delta' && typeof data.text === 'string' && data.text !== '') {
				yield* delta(data.text)
			} else if (e.type === 'error' && data.retrying === true) {
				// The lane runs the turn again from the start: text already sent cannot be taken
				// back, so such a stream ends here; one that sent nothing yet waits for the retry.
				if (streamed !== '') {
					yield failure(restarted())
					return
				}
			} else if (e.type === 'final' || e.type === 'cancelled' || e.type === 'error') {
				yield* ending(await ended(o, e.type, data))
				return
			}
		}
	} catch (error) {
		if (signal.aborted) return
		o.logger.error('openai.response_stream_failed', { runId: run.runId, error })
		const lost =
			error instanceof ProblemError && error.code === 'not_found'
				? 'The session was deleted while the run was streaming.'
				: "The run's event stream was lost; the run may still finish in its session."
		yield failure(new ProblemError('lane_unavailable', lost))
	}
}

/** The ended run as stored; rebuilt from its terminal event if it cannot be read. */
async function ended(
	o: ResponseStreamOptions,
	type: 'final' | 'cancelled' | 'error',
	data: Record<string, unknown>,
): Promise<RunView> {
	try {
		const view = await o.readRun()
		if (view && view.status !== 'queued' && view.status !== 'running') return view
	} catch (error) {
		o.logger.warn('openai.run_read_failed', { runId: o.run.runId, error })
	}
	const base = { ...o.run, finishedAt: Date.now(), calls: [] }
	if (type === 'final') {
		const usage = (data.usage as RunView['usage']) ?? null
		const calls = data.clientToolCalls as RunView['clientToolCalls']
		return {
			...base,
			status: 'succeeded',
			output: String(data.output ?? ''),
			usage,
			...(calls && { clientToolCalls: calls }),
		}
	}
	if (type === 'cancelled') return { ...base, status: 'cancelled' }
	const error = { code: String(data.code ?? 'run_failed'), message: String(data.message ?? '') }
	return { ...base, status: 'failed', error }
}

/** The events as a response body, with keep-alive comments; a client leaving cancels upstream. */
export const responseStream = (o: ResponseStreamOptions): ReadableStream<Uint8Array> =>
	sseBody((signal) => responseEvents(o, signal), o.keepAliveMs ?? KEEP_ALIVE_MS)
