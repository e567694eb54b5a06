// Event streams: SSE and WebSocket, replay from a seq (nothing is dropped), live delivery, and
// WebSockets that stay attached while the lane hibernates.
import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { laneName } from '../../src/lanes/name'
import { LaneStore } from '../../src/lanes/store'
import { ADMIN_TOKEN, admin, call, problem, send, waitForRun } from '../helpers'
import { STATE_WAIT_MS } from '../timeouts'

interface Ev {
	seq: number
	type: string
	runId: string | null
	data: Record<string, unknown>
}

const stubOf = (sessionKey: string) =>
	env.SESSION_LANE.getByName(laneName({ tenantId: 'default', agentId: 'main', sessionKey }))

/** Reads SSE frames until `stop` says enough. */
async function readSse(
	res: Response,
	stop: (events: Ev[]) => boolean,
): Promise<{ events: Ev[]; ids: string[] }> {
	const reader = res.body?.getReader()
	if (!reader) throw new Error('no body')
	const decoder = new TextDecoder()
	let buffer = ''
	const events: Ev[] = []
	const ids: string[] = []
	while (!stop(events)) {
		const { value, done } = await reader.read()
		if (done) break
		buffer += decoder.decode(value, { stream: true })
		let cut = buffer.indexOf('\n\n')
		while (cut >= 0) {
			const frame = buffer.slice(0, cut)
			buffer = buffer.slice(cut + 2)
			const data = frame.split('\n').find((l) => l.startsWith('data: '))
			const id = frame.split('\n').find((l) => l.startsWith('id: '))
			if (data) events.push(JSON.parse(data.slice(6)) as Ev)
			if (id) ids.push(id.slice(4))
			cut = buffer.indexOf('\n\n')
		}
	}
	await reader.cancel()
	return { events, ids }
}

function openSocket(
	path: string,
): Promise<{ ws: WebSocket; events: Ev[]; next: (pred: (e: Ev[]) => boolean) => Promise<Ev[]> }> {
	return call(path, {
		headers: { upgrade: 'websocket', authorization: `Bearer ${ADMIN_TOKEN}` },
	}).then((res) => {
		expect(res.status).toBe(101)
		const ws = res.webSocket
		if (!ws) throw new Error('no websocket')
		ws.accept()
		const events: Ev[] = []
		const waiting: { pred: (e: Ev[]) => boolean; resolve: (e: Ev[]) => void }[] = []
		ws.addEventListener('message', (m) => {
			const data = typeof m.data === 'string' ? m.data : ''
			if (data === 'pong') return
			events.push(JSON.parse(data) as Ev)
			for (const w of [...waiting]) {
				if (w.pred(events)) {
					waiting.splice(waiting.indexOf(w), 1)
					w.resolve(events)
				}
			}
		})
		const next = (pred: (e: Ev[]) => boolean) =>
			new Promise<Ev[]>((resolve, reject) => {
				if (pred(events)) return resolve(events)
				const timer = setTimeout(
					() => reject(new Error(`socket: condition not met; got ${events.map((e) => e.type)}`)),
					STATE_WAIT_MS,
				)
				waiting.push({
					pred,
					resolve: (e) => {
						clearTimeout(timer)
						resolve(e)
					},
				})
			})
		return { ws, events, next }
	})
}

/**
 * The events of one plain offline turn, in order: the model streams its answer in a few chunks
 * within one task, which the lane writes as one `delta`.
 */
const ONE_TURN = ['queued', 'started', 'delta', 'final']

const finals = (events: Ev[]) => events.filter((e) => e.type === 'final').length

describe('SSE', () => {
	it('replays the run lifecycle from seq 0: queued, started, deltas, final', async () => {
		const { run } = await send('sse-1', { content: 'stream me', wait: true })
		const res = await admin('/v1/sessions/sse-1/events')
		expect(res.headers.get('content-type')).toContain('text/event-stream')
		const { events, ids } = await readSse(res, (e) => finals(e) >= 1)
		expect(events.map((e) => e.type)).toEqual(ONE_TURN)
		expect(events.every((e) => e.runId === run.runId)).toBe(true)
		expect(
			events
				.filter((e) => e.type === 'delta')
				.map((e) => e.data.text)
				.join(''),
		).toBe('echo: stream me')
		expect(events.at(-1)?.data).toMatchObject({
			output: 'echo: stream me',
			usage: { outputTokens: 4 },
		})
		expect(ids).toEqual(events.map((e) => String(e.seq)))
		const seqs = events.map((e) => e.seq)
		expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
	})

	it('resumes after a seq (query or Last-Event-ID) and then streams live events', async () => {
		await send('sse-2', { content: 'first', wait: true })
		const all = await readSse(await admin('/v1/sessions/sse-2/events'), (e) => finals(e) >= 1)
		const lastSeq = all.events.at(-1)?.seq as number
		const live = await admin('/v1/sessions/sse-2/events', {
			headers: { 'last-event-id': String(lastSeq) },
		})
		const reading = readSse(live, (e) => finals(e) >= 1)
		const second = await send('sse-2', { content: 'second' })
		const { events } = await reading
		expect(events[0]?.seq).toBe(lastSeq + 1)
		expect(events.every((e) => e.runId === second.run.runId)).toBe(true)
		const byQuery = await readSse(
			await admin(`/v1/sessions/sse-2/events?after=${lastSeq}`),
			(e) => finals(e) >= 1,
		)
		expect(byQuery.events.map((e) => e.seq)).toEqual(events.map((e) => e.seq))
	})

	it('opens before the session’s first message and delivers that turn from its first event', async () => {
		const res = await admin('/v1/sessions/sse-new/events')
		expect(res.status).toBe(200)
		const reading = readSse(res, (e) => finals(e) >= 1)
		const first = await send('sse-new', { content: 'hello' })
		const { events } = await reading
		expect(events.map((e) => e.type)).toEqual(ONE_TURN)
		expect(events[0]).toMatchObject({ seq: 1, runId: first.run.runId })
	})

	it('validates the resume position', async () => {
		await send('sse-3', { content: 'x', wait: true })
		const res = await admin('/v1/sessions/sse-3/events?after=-1')
		expect(res.status).toBe(400)
		expect((await problem(res)).code).toBe('validation_failed')
	})
})

describe('WebSocket', () => {
	it('needs an upgrade and credentials', async () => {
		await send('ws-0', { content: 'x', wait: true })
		const plain = await admin('/v1/sessions/ws-0/ws')
		expect(plain.status).toBe(426)
		const anon = await call('/v1/sessions/ws-0/ws', { headers: { upgrade: 'websocket' } })
		expect(anon.status).toBe(401)
		const unknownAgent = await call('/v1/sessions/ws-none/ws?agent=ghost', {
			headers: { upgrade: 'websocket', authorization: `Bearer ${ADMIN_TOKEN}` },
		})
		expect(unknownAgent.status).toBe(404)
	})

	it('opens before the session’s first message, which it then delivers', async () => {
		const { ws, next } = await openSocket('/v1/sessions/ws-new/ws?after=0')
		const first = await send('ws-new', { content: 'hello' })
		const events = await next((e) => finals(e) >= 1)
		expect(events.map((e) => e.type)).toEqual(ONE_TURN)
		expect(events[0]).toMatchObject({ seq: 1, runId: first.run.runId })
		ws.close(1000, 'done')
	})

	it('replays from `after`, then delivers live events; answers ping and refuses writes', async () => {
		await send('ws-1', { content: 'before', wait: true })
		const { ws, next } = await openSocket('/v1/sessions/ws-1/ws?after=0')
		const replayed = await next((e) => finals(e) >= 1)
		expect(replayed.map((e) => e.type)).toEqual(ONE_TURN)
		const live = await send('ws-1', { content: 'live' })
		const all = await next((e) => finals(e) >= 2)
		expect(all.filter((e) => e.runId === live.run.runId).map((e) => e.type)).toContain('final')
		const pong = new Promise<string>((resolve) =>
			ws.addEventListener('message', (m) => {
				if (m.data === 'pong' || String(m.data).includes('only streams events'))
					resolve(String(m.data))
			}),
		)
		ws.send('ping')
		expect(await pong).toBe('pong')
		ws.close(1000, 'done')
	})

	// Graceful eviction waits for the lane's pending work, including its next index write (≤ 5 s).
	it('keeps the socket across hibernation: an evicted lane still delivers', async () => {
		await send('ws-2', { content: 'one', wait: true })
		const { ws, next } = await openSocket('/v1/sessions/ws-2/ws?after=0')
		await next((e) => finals(e) >= 1)
		await evictDurableObject(stubOf('ws-2'))
		const second = await send('ws-2', { content: 'two' })
		const events = await next((e) => finals(e) >= 2)
		expect(events.at(-1)).toMatchObject({ type: 'final', runId: second.run.runId })
		ws.close(1000, 'done')
	})

	it('is closed when the session is deleted', async () => {
		await send('ws-3', { content: 'x', wait: true })
		const { ws } = await openSocket('/v1/sessions/ws-3/ws?after=0')
		const closed = new Promise<number>((resolve) =>
			ws.addEventListener('close', (e) => resolve(e.code)),
		)
		expect((await admin('/v1/sessions/ws-3', { method: 'DELETE' })).status).toBe(204)
		expect(await closed).toBe(4404)
	})
})

describe('event history', () => {
	it('is bounded by count and age, and seq keeps growing after pruning', async () => {
		const { run } = await send('hist-1', { content: 'x', wait: true })
		await waitForRun('hist-1', run.runId)
		await runInDurableObject(stubOf('hist-1'), (_i, state) => {
			const store = new LaneStore(state.storage.sql)
			const last = store.events.lastSeq()
			// queued, started, delta, final
			expect(last).toBe(4)
			expect(store.events.prune(2, 0)).toBe(2)
			expect(store.events.after(0, 100).map((e) => e.seq)).toEqual([3, 4])
			expect(store.events.prune(100, Number.MAX_SAFE_INTEGER)).toBe(2)
			const e = store.events.append({ ts: 1, type: 'reset', runId: null, data: {} })
			expect(e.seq).toBe(5)
		})
	})
})
