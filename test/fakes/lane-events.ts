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
			const events = Array.isArray(answer) ? answer : answer.events
			const hang = !Array.isArray(answer)
			const encoder = new TextEncoder()
			// Frames split at odd places, like a network would, plus the lane's own extras.
			const text = `retry: 2000\n\n: keep-alive\n\n${events.map(sseFrame).join('')}`
			const pieces = text.match(/[\s\S]{1,7}/g) ?? []
			const body = new ReadableStream<Uint8Array>({
				pull(controller) {
					const piece = pieces.shift()
					if (piece !== undefined) controller.enqueue(encoder.encode(piece))
					else if (!hang) controller.close()
				},
				cancel() {
					cancelled++
				},
			})
			return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
		},
	}
	return { lane, urls, cancelled: () => cancelled }
}
