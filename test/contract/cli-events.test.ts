// The CLI's event follower (`edgeclaw logs --follow`, `edgeclaw chat`) against a scripted event
// stream: it resumes a dropped stream after the last event it saw — no gap, no repeat — stops on
// a refusal instead of retrying it, and ends on abort.
import { createEdgeclawClient } from '@edgeclaw/client'
import { describe, expect, it } from 'vitest'
import { followEvents, type SessionEvent } from '../../cli/events.ts'

const frame = (seq: number) =>
	`id: ${seq}\nevent: delta\ndata: ${JSON.stringify({ seq, ts: seq, type: 'delta', runId: 'r', data: { text: String(seq) } })}\n\n`

/**
 * A stream that sends `frames`, one per read, then drops like a lost connection, ends, or hangs.
 * (Erroring at once would discard frames still queued: a real drop comes after they were read.)
 */
function stream(frames: string[], end: 'drop' | 'end' | 'hang'): ReadableStream<Uint8Array> {
	const bytes = new TextEncoder()
	const left = [...frames]
	return new ReadableStream({
		pull(controller) {
			const next = left.shift()
			if (next !== undefined) controller.enqueue(bytes.encode(next))
			else if (end === 'drop') controller.error(new TypeError('terminated'))
			else if (end === 'end') controller.close()
			else return new Promise(() => {})
		},
	})
}

function gateway(script: (after: number, call: number) => Response) {
	const asked: number[] = []
	const fetch = async (input: RequestInfo | URL) => {
		const url = new URL(input instanceof Request ? input.url : String(input))
		const after = Number(url.searchParams.get('after'))
		asked.push(after)
		return script(after, asked.length)
	}
	const client = createEdgeclawClient({
		baseUrl: 'http://gateway.test',
		fetch: fetch as typeof globalThis.fetch,
	})
	return { client, asked }
}

const sse = (body: ReadableStream<Uint8Array>) =>
	new Response(body, { headers: { 'content-type': 'text/event-stream' } })

describe('followEvents', () => {
	it('resumes a dropped stream after the last event seen, each event once, in order', async () => {
		const { client, asked } = gateway((_after, call) => {
			// First connection: 1–3 then a drop; the second replays from `after` (3) and a repeat of 3.
			if (call === 1) return sse(stream([frame(1), frame(2), frame(3)], 'drop'))
			return sse(stream([frame(3), frame(4), frame(5)], 'end'))
		})
		const seen: number[] = []
		const reconnects: number[] = []
		const last = await followEvents(client, {
			sessionKey: 's',
			agent: 'main',
			after: 0,
			signal: new AbortController().signal,
			onEvent: (event: SessionEvent) => {
				seen.push(event.seq)
				return event.seq < 5 ? undefined : false
			},
			onReconnect: (after) => reconnects.push(after),
		})
		expect(seen).toEqual([1, 2, 3, 4, 5])
		expect(last).toBe(5)
		expect(asked).toEqual([0, 3])
		expect(reconnects).toEqual([3])
	})

	it('does not retry a refusal (the session is gone, the token revoked)', async () => {
		const { client, asked } = gateway((_after, call) =>
			call === 1
				? sse(stream([frame(1)], 'drop'))
				: Response.json(
						{
							type: 'urn:edgeclaw:problem:not_found',
							title: 'Not Found',
							status: 404,
							detail: 'No such session.',
							code: 'not_found',
							requestId: 'req-1',
						},
						{ status: 404, headers: { 'content-type': 'application/problem+json' } },
					),
		)
		await expect(
			followEvents(client, {
				sessionKey: 's',
				agent: 'main',
				after: 0,
				signal: new AbortController().signal,
				onEvent: () => undefined,
			}),
		).rejects.toMatchObject({
			name: 'ApiError',
			status: 404,
			code: 'not_found',
			requestId: 'req-1',
		})
		expect(asked).toEqual([0, 1])
	})

	it('ends when aborted while waiting for the next event', async () => {
		const { client } = gateway(() => sse(stream([frame(1)], 'hang')))
		const abort = new AbortController()
		const done = followEvents(client, {
			sessionKey: 's',
			agent: 'main',
			after: 0,
			signal: abort.signal,
			onEvent: () => {
				abort.abort()
				return undefined
			},
		})
		await expect(done).resolves.toBe(1)
	})
})
