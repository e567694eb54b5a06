// Follows one run through its session's event stream: opens the lane's SSE (`/events?after=N`),
// keeps the events of that run and ends with the run's terminal event. Free of Hono and of any one
// protocol, so the OpenAI-compatible API and the OpenClaw gateway stream a run the same way.
import type { LaneEvent } from '../../lanes/types'
import { ProblemError } from '../problem'

/** What opens the lane's event stream: the SessionLane stub (its `fetch`), or a fake in tests. */
export interface LaneEventSource {
	fetch(url: string, init?: RequestInit): Promise<Response>
}

export interface FollowRunOptions {
	lane: LaneEventSource
	runId: string
	/** Events up to this seq are skipped: the `after` of the stream `send` opened with the run. */
	after: number
	/** The event stream `send({stream: true})` opened with the run: read first, without a fetch. */
	opened?: ReadableStream<Uint8Array>
	/** Aborting ends the iteration and cancels the upstream stream. */
	signal?: AbortSignal
	/** Reopens after the stream broke off without the run's end (the lane restarted); default 3. */
	maxReconnects?: number
	/** Waits before a reopen; injectable so tests need not sleep. */
	sleep?: (ms: number) => Promise<void>
}

/**
 * A run ends with `final`, `cancelled` or an `error` that is not retried (`retrying: true` means
 * the lane restarted and runs it again, so more events follow).
 */
export const isTerminal = (event: LaneEvent): boolean =>
	event.type === 'final' ||
	event.type === 'cancelled' ||
	(event.type === 'error' && event.data.retrying !== true)

/**
 * The events of `runId` after `after`, in seq order, up to and including its terminal event.
 * Returns early (without error) when the signal aborts. When the run cannot be followed to its
 * end it throws a problem: `not_found` (the session is gone) or `lane_unavailable` (the stream
 * kept breaking off).
 */
export async function* followRun(options: FollowRunOptions): AsyncGenerator<LaneEvent, void> {
	const { lane, runId, signal } = options
	const maxReconnects = options.maxReconnects ?? 3
	const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
	let seen = options.after
	let failures = 0
	let opened = options.opened
	for (;;) {
		if (signal?.aborted) {
			await opened?.cancel()
			return
		}
		let broke: unknown
		try {
			const body = opened ?? (await openEvents(lane, seen))
			opened = undefined
			for await (const event of laneEvents(body, signal)) {
				seen = Math.max(seen, event.seq)
				failures = 0
				if (event.runId !== runId) continue
				yield event
				if (isTerminal(event)) return
			}
		} catch (error) {
			if (error instanceof ProblemError) throw error
			broke = error
		}
		if (signal?.aborted) return
		// The stream ended without the run's end: the lane went away (restart, deploy). Reopen from
		// the last seq seen; nothing is lost or repeated because seq orders everything.
		if (++failures > maxReconnects) {
			throw new ProblemError(
				'lane_unavailable',
				`The event stream broke off ${failures} times without the run's end.`,
				{ cause: broke },
			)
		}
		await sleep(100 * failures)
	}
}

/** The lane's event stream after `seq` (a fetch of its `/events`). */
async function openEvents(lane: LaneEventSource, seq: number): Promise<ReadableStream<Uint8Array>> {
	const res = await lane.fetch(`https://lane/events?after=${seq}`)
	if (res.status === 404) {
		await res.body?.cancel()
		throw new ProblemError('not_found', 'The session no longer exists.')
	}
	if (!res.ok || !res.body) {
		await res.body?.cancel()
		throw new Error(`the lane answered ${res.status} for its events`)
	}
	return res.body
}

/** Parses the lane's SSE body into events; comments, `retry:` and `id:` lines carry nothing new. */
async function* laneEvents(
	body: ReadableStream<Uint8Array>,
	signal: AbortSignal | undefined,
): AsyncGenerator<LaneEvent, void> {
	const reader = body.getReader()
	const stop = () => {
		reader.cancel().catch(() => {})
	}
	signal?.addEventListener('abort', stop, { once: true })
	const decoder = new TextDecoder()
	let buffer = ''
	let data: string[] = []
	try {
		for (;;) {
			const { done, value } = await reader.read()
			if (done) return
			buffer += decoder.decode(value, { stream: true })
			let newline = buffer.indexOf('\n')
			while (newline !== -1) {
				const line = buffer.slice(0, newline).replace(/\r$/, '')
				buffer = buffer.slice(newline + 1)
				newline = buffer.indexOf('\n')
				if (line === '') {
					const event = data.length > 0 ? parseEvent(data.join('\n')) : undefined
					data = []
					if (event) yield event
				} else if (line.startsWith('data:')) {
					data.push(line.slice(line.startsWith('data: ') ? 6 : 5))
				}
			}
		}
	} finally {
		signal?.removeEventListener('abort', stop)
		stop()
	}
}

function parseEvent(json: string): LaneEvent | undefined {
	try {
		const event = JSON.parse(json) as LaneEvent
		return typeof event?.seq === 'number' && typeof event.type === 'string' ? event : undefined
	} catch {
		return undefined
	}
}
