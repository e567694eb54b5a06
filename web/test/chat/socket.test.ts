// The event socket against a fake WebSocket and a fake clock: subprotocol auth, the resume URL
// after a drop (with the reducer: every event once, none missing), keepalive, backoff, shutdown.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
	backoffMs,
	PING_EVERY_MS,
	PONG_TIMEOUT_MS,
	SessionSocket,
	type SessionSocketOptions,
	type SocketLike,
	type SocketStatus,
	socketProtocols,
	socketUrl,
} from '../../src/chat/socket'
import { type ChatState, chatReducer, initialChatState } from '../../src/chat/stream'
import type { LaneEvent } from '../../src/chat/types'

class FakeSocket implements SocketLike {
	readyState = 0
	onopen: ((ev: Event) => void) | null = null
	onmessage: ((ev: MessageEvent) => void) | null = null
	onclose: ((ev: CloseEvent) => void) | null = null
	onerror: ((ev: Event) => void) | null = null
	readonly sent: string[] = []
	closedWith: number | null = null
	constructor(
		readonly url: string,
		readonly protocols: string[],
	) {}
	send(data: string) {
		this.sent.push(data)
	}
	close(code = 1000) {
		this.closedWith = code
		this.readyState = 3
	}
	// What the server side does:
	open() {
		this.readyState = 1
		this.onopen?.(new Event('open'))
	}
	frame(data: unknown) {
		this.onmessage?.(
			new MessageEvent('message', { data: typeof data === 'string' ? data : JSON.stringify(data) }),
		)
	}
	drop(code = 1006) {
		this.readyState = 3
		this.onclose?.(new CloseEvent('close', { code }))
	}
	get after(): number {
		return Number(new URL(this.url).searchParams.get('after'))
	}
}

const delta = (seq: number, text: string): LaneEvent => ({
	seq,
	ts: seq,
	type: 'delta',
	runId: 'r1',
	data: { text },
})

/** A socket wired to the real reducer, as the page wires it. */
function harness(overrides: Partial<SessionSocketOptions> = {}) {
	const sockets: FakeSocket[] = []
	const statuses: SocketStatus[] = []
	const reasons: (string | undefined)[] = []
	let state: ChatState = initialChatState
	const socket = new SessionSocket({
		agent: 'main',
		sessionKey: 'web-abc',
		lastSeq: () => state.lastSeq,
		onEvent: (event) => {
			state = chatReducer(state, { type: 'event', event })
		},
		onOpen: () => {
			state = chatReducer(state, { type: 'connected' })
		},
		onStatus: (status, reason) => {
			statuses.push(status)
			reasons.push(reason)
		},
		origin: 'http://127.0.0.1:8787',
		token: () => 'ek_id_secret',
		tenant: () => null,
		open: (url, protocols) => {
			const s = new FakeSocket(url, protocols)
			sockets.push(s)
			return s
		},
		random: () => 1,
		...overrides,
	})
	const text = () =>
		state.runs[0]?.parts.map((p) => (p.kind === 'text' ? p.text : '')).join('') ?? ''
	const current = () => sockets.at(-1) as FakeSocket
	return { socket, sockets, statuses, reasons, text, current, state: () => state }
}

beforeEach(() => {
	vi.useFakeTimers()
})
afterEach(() => {
	vi.useRealTimers()
})

describe('socketUrl and socketProtocols', () => {
	it('goes to the same host, ws or wss by the page, with the agent and the seq to resume after', () => {
		expect(socketUrl('http://127.0.0.1:8787/chat', 'main', 'a:b/c', 7)).toBe(
			'ws://127.0.0.1:8787/v1/sessions/a%3Ab%2Fc/ws?agent=main&after=7',
		)
		expect(socketUrl('https://claw.example', 'ops', 'k', 0)).toBe(
			'wss://claw.example/v1/sessions/k/ws?agent=ops&after=0',
		)
	})

	it('authenticates with subprotocols, never in the URL', () => {
		expect(socketProtocols('ek_1_s', null)).toEqual(['edgeclaw', 'bearer.ek_1_s'])
		expect(socketProtocols(null, null)).toEqual(['edgeclaw'])
		expect(socketProtocols('t', 'acme')).toEqual(['edgeclaw', 'bearer.t', 'tenant.acme'])
		const h = harness()
		h.socket.start()
		expect(h.current().url).not.toContain('ek_id_secret')
		expect(h.current().protocols).toEqual(['edgeclaw', 'bearer.ek_id_secret'])
	})
})

describe('SessionSocket', () => {
	it('resumes after the last applied seq: no gap, no duplicate', () => {
		const h = harness()
		h.socket.start()
		expect(h.current().after).toBe(0)
		h.current().open()
		for (const [i, part] of ['a', 'b', 'c'].entries()) h.current().frame(delta(i + 1, part))
		h.current().drop()
		expect(h.statuses.at(-1)).toBe('reconnecting')
		vi.advanceTimersByTime(backoffMs(0, () => 1))
		expect(h.sockets).toHaveLength(2)
		expect(h.current().after).toBe(3)
		h.current().open()
		// A server (or proxy) that replays a little too much: the reducer drops the repeats.
		for (const [i, part] of ['b', 'c', 'd', 'e'].entries()) h.current().frame(delta(i + 2, part))
		expect(h.text()).toBe('abcde')
		expect(h.statuses.at(-1)).toBe('open')
	})

	it('ignores frames from a socket it already replaced, and frames that are not events', () => {
		const h = harness()
		h.socket.start()
		const first = h.current()
		first.open()
		first.frame(delta(1, 'a'))
		first.drop()
		vi.advanceTimersByTime(backoffMs(0, () => 1))
		first.frame(delta(2, 'stale'))
		h.current().open()
		h.current().frame('pong')
		h.current().frame('not json')
		h.current().frame({ type: 'error', message: 'This socket only streams events' })
		h.current().frame(delta(2, 'b'))
		expect(h.text()).toBe('ab')
	})

	it('pings to keep alive and replaces a socket that stops answering', () => {
		const h = harness()
		h.socket.start()
		h.current().open()
		vi.advanceTimersByTime(PING_EVERY_MS)
		expect(h.current().sent).toEqual(['ping'])
		h.current().frame('pong')
		vi.advanceTimersByTime(PONG_TIMEOUT_MS)
		expect(h.sockets).toHaveLength(1)
		vi.advanceTimersByTime(PING_EVERY_MS - PONG_TIMEOUT_MS)
		expect(h.current().sent).toEqual(['ping', 'ping'])
		vi.advanceTimersByTime(PONG_TIMEOUT_MS)
		expect(h.sockets[0]?.closedWith).toBe(4000)
		expect(h.statuses.at(-1)).toBe('reconnecting')
		vi.advanceTimersByTime(backoffMs(0, () => 1))
		expect(h.sockets).toHaveLength(2)
	})

	it('backs off longer after each failed try, and from the start once a socket worked', () => {
		const h = harness()
		h.socket.start()
		const delays = [0, 1, 2].map((attempt) => backoffMs(attempt, () => 1))
		for (const delay of delays) {
			h.current().drop()
			vi.advanceTimersByTime(delay - 1)
			const before = h.sockets.length
			vi.advanceTimersByTime(1)
			expect(h.sockets.length).toBe(before + 1)
		}
		h.current().open()
		h.current().frame(delta(1, 'a'))
		h.current().drop()
		vi.advanceTimersByTime(delays[0] ?? 0)
		expect(h.sockets).toHaveLength(5)
		expect(backoffMs(30, () => 1)).toBe(15_000)
		expect(backoffMs(0, () => 0)).toBe(250)
	})

	it('stops for good when the session is deleted (4404) or when closed', () => {
		const gone = harness()
		gone.socket.start()
		gone.current().open()
		gone.current().drop(4404)
		vi.advanceTimersByTime(60_000)
		expect(gone.sockets).toHaveLength(1)
		expect(gone.statuses.at(-1)).toBe('closed')

		const closed = harness()
		closed.socket.start()
		closed.current().open()
		closed.socket.close()
		expect(closed.current().closedWith).toBe(1000)
		closed.current().drop(1000)
		vi.advanceTimersByTime(60_000)
		expect(closed.sockets).toHaveLength(1)
	})

	it('reports a token the browser refuses as a subprotocol instead of retrying', () => {
		const statuses: string[] = []
		const socket = new SessionSocket({
			...{ agent: 'main', sessionKey: 'k', origin: 'http://h', lastSeq: () => 0 },
			onEvent: () => {},
			onOpen: () => {},
			onStatus: (status, reason) => statuses.push(`${status}${reason ? `: ${reason}` : ''}`),
			token: () => 'bad token',
			tenant: () => null,
			open: () => {
				throw new SyntaxError("The subprotocol 'bearer.bad token' is invalid.")
			},
		})
		socket.start()
		vi.advanceTimersByTime(60_000)
		expect(statuses).toEqual([
			'connecting',
			"closed: The subprotocol 'bearer.bad token' is invalid.",
		])
	})
})

describe('SessionSocket: a handshake refused', () => {
	const refusedWith = (reason: string | null) => vi.fn(async () => reason)

	it('stops with the reason the gateway gives, and opens no further socket', async () => {
		const refused = refusedWith('The session does not exist.')
		const h = harness({ refused })
		h.socket.start()
		h.current().drop()
		await vi.waitFor(() => expect(h.statuses.at(-1)).toBe('closed'))
		expect(h.reasons.at(-1)).toBe('The session does not exist.')
		expect(refused).toHaveBeenCalledOnce()
		vi.advanceTimersByTime(60_000)
		expect(h.sockets).toHaveLength(1)
	})

	it('retries after the backoff when the refusal looks passing (null, or the check failed)', async () => {
		for (const refused of [refusedWith(null), vi.fn(async () => Promise.reject(new Error('x')))]) {
			const h = harness({ refused })
			h.socket.start()
			h.current().drop()
			await vi.waitFor(() => expect(refused).toHaveBeenCalledOnce())
			await vi.advanceTimersByTimeAsync(backoffMs(0, () => 1) - 1)
			expect(h.sockets).toHaveLength(1)
			await vi.advanceTimersByTimeAsync(1)
			expect(h.sockets).toHaveLength(2)
			expect(h.statuses.at(-1)).toBe('reconnecting')
			h.socket.close()
		}
	})

	it('never asks why when a socket that opened drops: it reconnects', () => {
		const refused = refusedWith('never used')
		const h = harness({ refused })
		h.socket.start()
		h.current().open()
		h.current().drop()
		vi.advanceTimersByTime(backoffMs(0, () => 1))
		expect(h.sockets).toHaveLength(2)
		expect(refused).not.toHaveBeenCalled()
	})
})
