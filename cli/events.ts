// A session's event stream (GET /v1/sessions/{key}/events, Server-Sent Events), followed from a
// sequence number and resumed after a dropped connection from the last event seen — the same
// `seq` the gateway numbers events with, so nothing is skipped or shown twice.
import { ApiError, type EdgeclawClient, must } from '@edgeclaw/client'
import { EventSourceParserStream } from 'eventsource-parser/stream'

/** One session event (docs/protocols.md#session-events). */
export interface SessionEvent {
	seq: number
	ts: number
	type: string
	runId?: string
	data: Record<string, unknown>
	traceId?: string
}

export interface FollowOptions {
	sessionKey: string
	agent: string
	/** Events after this seq (0 = from the start of the kept history). */
	after: number
	signal: AbortSignal
	/** Called for each event in order; returning `false` stops following. */
	onEvent: (event: SessionEvent) => boolean | undefined | Promise<boolean | undefined>
	/** Told when a dropped stream is being resumed. */
	onReconnect?: (after: number, error: unknown) => void
}

/** Follows events until `onEvent` returns false or the signal aborts; a drop is resumed, the first failure thrown. */
export async function followEvents(
	client: EdgeclawClient,
	options: FollowOptions,
): Promise<number> {
	let after = options.after
	let connected = false
	let delay = 250
	while (!options.signal.aborted) {
		try {
			const stream = await must(
				client.GET('/v1/sessions/{sessionKey}/events', {
					params: {
						path: { sessionKey: options.sessionKey },
						query: { agent: options.agent, after },
					},
					headers: { accept: 'text/event-stream' },
					parseAs: 'stream',
					signal: options.signal,
				}),
				options.signal,
			)
			connected = true
			delay = 250
			const reader = (stream as unknown as ReadableStream<Uint8Array>)
				.pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
				.pipeThrough(new EventSourceParserStream())
				.getReader()
			// An abort does not always reach a read pending deep in the pipe: cancel the reader too.
			const stop = () => void reader.cancel().catch(() => {})
			options.signal.addEventListener('abort', stop, { once: true })
			try {
				for (;;) {
					const { done, value: message } = await reader.read()
					if (done || options.signal.aborted) break
					if (!message.data) continue
					const event = JSON.parse(message.data) as SessionEvent
					if (typeof event.seq !== 'number' || event.seq <= after) continue
					after = event.seq
					if ((await options.onEvent(event)) === false) return after
				}
			} finally {
				options.signal.removeEventListener('abort', stop)
				stop()
			}
		} catch (error) {
			if (options.signal.aborted) return after
			if (!connected || refused(error)) throw error
			options.onReconnect?.(after, error)
		}
		await new Promise((resolve) => setTimeout(resolve, delay))
		delay = Math.min(delay * 2, 5_000)
	}
	return after
}

/** An answer that trying again will not change (4xx but a rate limit): the session is gone, the token revoked. */
const refused = (error: unknown) =>
	error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429
