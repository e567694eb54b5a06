// A fake lane event source for unit tests: scripted `/events` answers, split at odd places.
import type { LaneEventSource } from '../../src/gateway/lane/run-events'
import { sseFrame } from '../../src/lanes/subscribers'
import type { LaneEvent, LaneEventType } from '../../src/lanes/types'

export const ev = (
	seq: number,
	type: LaneEventType,
	runId: string | null,
	data: Record<string, unknown> = {},
): LaneEvent => ({ seq, ts: 1_000 + seq, type, runId, data })

/** Events, then the stream ends; with `hang`, it stays open instead (a live, idle stream). */
export type Answer = LaneEvent[] | { events: LaneEvent[]; hang: true } | number

/** A lane whose nth `/events` answer is `answers[n]`: frames, or an HTTP status. */
export function fakeLane(answers: Answer[]) {
	const urls: string[] = []
	let cancelled = 0
	const lane: LaneEventSource = {
		async fetch(url) {
			urls.push(url)
			const answer = answers[urls.length - 1]
			if (answer === undefined) throw new Error('no more answers')
			if (typeof answer === 'number') return new Response('gone', { status: answer })
			const body = sseStream(Array.isArray(answer) ? answer : answer.events, {
				hang: !Array.isArray(answer),
				cancelled: () => cancelled++,
			})
			return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
		},
	}
	return { lane, urls, cancelled: () => cancelled }
}

/**
 * A lane's SSE body of `events`, split at odd places like a network would, with the lane's own
 * extras; with `hang` it stays open after them (a live, idle stream).
 */
export function sseStream(
	events: LaneEvent[],
	o: { hang?: boolean; cancelled?: () => void } = {},
): ReadableStream<Uint8Array> {
	const encoder = new TextEncoder()
	const text = `retry: 2000\n\n: keep-alive\n\n${events.map(sseFrame).join('')}`
	const pieces = text.match(/[\s\S]{1,7}/g) ?? []
	return new ReadableStream<Uint8Array>({
		pull(controller) {
			const piece = pieces.shift()
			if (piece !== undefined) controller.enqueue(encoder.encode(piece))
			else if (!o.hang) controller.close()
		},
		cancel() {
			o.cancelled?.()
		},
	})
}
