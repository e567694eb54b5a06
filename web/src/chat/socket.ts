// The session's event socket: authenticates with subprotocols (never a token in the URL), resumes
// after the last applied seq on every reconnect (the reducer drops what it already has), pings to
// keep proxies from closing an idle socket and to notice a dead one, and backs off between tries.
import { isLaneEvent } from './stream'
import type { LaneEvent } from './types'

/** The gateway picks this subprotocol; `bearer.<token>` only carries the credential. */
export const WS_PROTOCOL = 'edgeclaw'

export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'closed'

/** The part of the browser's WebSocket the client uses (tests pass a fake). */
export interface SocketLike {
	readonly readyState: number
	onopen: ((ev: Event) => void) | null
	onmessage: ((ev: MessageEvent) => void) | null
	onclose: ((ev: CloseEvent) => void) | null
	onerror: ((ev: Event) => void) | null
	send(data: string): void
	close(code?: number, reason?: string): void
}
export type SocketFactory = (url: string, protocols: string[]) => SocketLike

export interface SessionSocketOptions {
	agent: string
	sessionKey: string
	/** The seq of the last event applied: every (re)connect asks for what came after it. */
	lastSeq: () => number
	onEvent: (event: LaneEvent) => void
	/** A connection opened: the replay from `lastSeq` follows. */
	onOpen: () => void
	onStatus: (status: SocketStatus, reason?: string) => void
	/**
	 * A handshake failed (the socket closed without opening). Resolves a reason to stop for good —
	 * the credentials or the session are gone, and retrying would only count failed sign-ins
	 * against this IP — or null to retry with backoff.
	 */
	refused?: () => Promise<string | null>
	/** Page origin, `https://host` (the socket goes to the same host). */
	origin: string
	token: () => string | null
	tenant: () => string | null
	open?: SocketFactory
	timers?: Pick<typeof globalThis, 'setTimeout' | 'clearTimeout'>
	random?: () => number
}

export const PING_EVERY_MS = 20_000
/** With no frame this long after a ping, the socket counts as dead and is replaced. */
export const PONG_TIMEOUT_MS = 10_000
const BACKOFF_BASE_MS = 500
const BACKOFF_MAX_MS = 15_000
/** The lane closes sockets of a deleted session with this code: nothing to reconnect to. */
export const SESSION_GONE = 4404
const DEAD = 4000

export function socketUrl(
	origin: string,
	agent: string,
	sessionKey: string,
	after: number,
): string {
	const url = new URL(`/v1/sessions/${encodeURIComponent(sessionKey)}/ws`, origin)
	url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
	url.search = new URLSearchParams({ agent, after: String(after) }).toString()
	return url.toString()
}

/**
 * `edgeclaw`, then `bearer.<token>` when signed in with a token (behind Cloudflare Access the
 * cookie authenticates), then `tenant.<id>` for the platform admin acting in a tenant.
 */
export function socketProtocols(token: string | null, tenant: string | null): string[] {
	return [
		WS_PROTOCOL,
		...(token ? [`bearer.${token}`] : []),
		...(tenant ? [`tenant.${tenant}`] : []),
	]
}

/** Delay before reconnect attempt `attempt` (0-based): doubling, capped, with jitter. */
export function backoffMs(attempt: number, random: () => number): number {
	const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16))
	return Math.round(ceiling * (0.5 + random() / 2))
}

export class SessionSocket {
	readonly #o: SessionSocketOptions
	readonly #open: SocketFactory
	readonly #timers: Pick<typeof globalThis, 'setTimeout' | 'clearTimeout'>
	#ws: SocketLike | null = null
	#attempt = 0
	#retry: ReturnType<typeof setTimeout> | undefined
	#ping: ReturnType<typeof setTimeout> | undefined
	#deadline: ReturnType<typeof setTimeout> | undefined
	#stopped = false

	constructor(options: SessionSocketOptions) {
		this.#o = options
		this.#open = options.open ?? ((url, protocols) => new WebSocket(url, protocols))
		this.#timers = options.timers ?? globalThis
	}

	start(): void {
		this.#stopped = false
		this.#connect('connecting')
	}

	/** Reconnects at once (the network is back) instead of waiting out the backoff. */
	reconnectNow(): void {
		if (this.#stopped || this.#ws) return
		this.#timers.clearTimeout(this.#retry)
		this.#attempt = 0
		this.#connect('reconnecting')
	}

	/** Closes for good (unmount, session switch). */
	close(): void {
		this.#stopped = true
		this.#clearTimers()
		this.#timers.clearTimeout(this.#retry)
		const ws = this.#ws
		this.#ws = null
		if (ws) ws.close(1000, 'closing')
	}

	#connect(status: SocketStatus): void {
		this.#o.onStatus(status)
		let ws: SocketLike
		try {
			const url = socketUrl(this.#o.origin, this.#o.agent, this.#o.sessionKey, this.#o.lastSeq())
			ws = this.#open(url, socketProtocols(this.#o.token(), this.#o.tenant()))
		} catch (error) {
			// A token with characters a subprotocol cannot carry: no retry will fix that.
			this.#stopped = true
			this.#o.onStatus('closed', error instanceof Error ? error.message : String(error))
			return
		}
		this.#ws = ws
		let opened = false
		ws.onopen = () => {
			if (this.#ws !== ws) return
			opened = true
			this.#o.onOpen()
			this.#o.onStatus('open')
			this.#schedulePing(ws)
		}
		ws.onmessage = (message) => {
			if (this.#ws !== ws) return
			// Any frame proves the socket alive; a frame after open proves the endpoint works.
			this.#timers.clearTimeout(this.#deadline)
			this.#attempt = 0
			this.#receive(message.data)
		}
		ws.onclose = (close) => {
			if (this.#ws !== ws) return
			this.#ws = null
			this.#clearTimers()
			if (this.#stopped) return
			if (close.code === SESSION_GONE) {
				this.#stopped = true
				this.#o.onStatus('closed', 'The session was deleted.')
				return
			}
			if (!opened && this.#o.refused) {
				this.#o.onStatus('reconnecting')
				void this.#o.refused().then(
					(reason) => this.#afterRefusal(reason),
					() => this.#afterRefusal(null),
				)
				return
			}
			this.#scheduleReconnect()
		}
		// An error is always followed by a close, which reconnects.
		ws.onerror = () => {}
	}

	#afterRefusal(reason: string | null): void {
		if (this.#stopped || this.#ws) return
		if (reason === null) {
			this.#scheduleReconnect()
			return
		}
		this.#stopped = true
		this.#o.onStatus('closed', reason)
	}

	#receive(data: unknown): void {
		if (typeof data !== 'string' || data === 'pong') return
		let parsed: unknown
		try {
			parsed = JSON.parse(data)
		} catch {
			return
		}
		// Frames without a seq (the lane's "this socket is read-only" notice) are not events.
		if (isLaneEvent(parsed)) this.#o.onEvent(parsed)
	}

	#scheduleReconnect(): void {
		this.#o.onStatus('reconnecting')
		const delay = backoffMs(this.#attempt++, this.#o.random ?? Math.random)
		this.#retry = this.#timers.setTimeout(() => this.#connect('reconnecting'), delay)
	}

	#schedulePing(ws: SocketLike): void {
		this.#ping = this.#timers.setTimeout(() => {
			if (this.#ws !== ws) return
			try {
				ws.send('ping')
			} catch {
				// Closing already; its close event reconnects.
			}
			this.#deadline = this.#timers.setTimeout(() => this.#replace(ws), PONG_TIMEOUT_MS)
			this.#schedulePing(ws)
		}, PING_EVERY_MS)
	}

	/** The socket stopped answering: drop it and reconnect (its own close may never come). */
	#replace(ws: SocketLike): void {
		if (this.#ws !== ws) return
		this.#ws = null
		this.#clearTimers()
		try {
			ws.close(DEAD, 'no pong')
		} catch {}
		if (!this.#stopped) this.#scheduleReconnect()
	}

	#clearTimers(): void {
		this.#timers.clearTimeout(this.#ping)
		this.#timers.clearTimeout(this.#deadline)
	}
}
