// Subscribers of a session's events: hibernatable WebSockets (tag "events") and Server-Sent
// Events streams. A new subscriber first gets every stored event after its `after` seq, then the
// live ones; replay and registration happen in one synchronous step, so nothing falls between.
import type { LaneRelays } from './relays'
import type { LaneEvent } from './types'

export const EVENTS_TAG = 'events'
const encoder = new TextEncoder()

/** One SSE frame; `id` is the event seq, so `Last-Event-ID` resumes where the client left. */
export function sseFrame(event: LaneEvent): string {
	return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`
}

export class LaneSubscribers {
	readonly #ctx: Pick<DurableObjectState, 'getWebSockets' | 'acceptWebSocket'>
	readonly #streams = new Set<WritableStreamDefaultWriter<Uint8Array>>()
	readonly #relays: Pick<LaneRelays, 'broadcast' | 'closeAll'> | undefined
	#heartbeat: ReturnType<typeof setInterval> | undefined
	/** Called when a stream has closed (its reader went away, or the lane closed it). */
	streamClosed: () => void = () => {}

	constructor(
		ctx: Pick<DurableObjectState, 'getWebSockets' | 'acceptWebSocket'>,
		relays?: Pick<LaneRelays, 'broadcast' | 'closeAll'>,
	) {
		this.#ctx = ctx
		this.#relays = relays
	}

	broadcast(event: LaneEvent): void {
		const json = JSON.stringify(event)
		for (const ws of this.#ctx.getWebSockets(EVENTS_TAG)) {
			try {
				ws.send(json)
			} catch {
				// A socket that is closing; its close handler cleans up.
			}
		}
		if (this.#streams.size > 0) this.#write(encoder.encode(sseFrame(event)))
		this.#relays?.broadcast(event)
	}

	/** Accepts a WebSocket for hibernation and replays what it missed. */
	attachWebSocket(server: WebSocket, replay: LaneEvent[]): void {
		this.#ctx.acceptWebSocket(server, [EVENTS_TAG])
		for (const event of replay) server.send(JSON.stringify(event))
	}

	/** Opens an SSE stream that starts with the replay. */
	openStream(replay: LaneEvent[]): ReadableStream<Uint8Array> {
		const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
		const writer = writable.getWriter()
		const head = `retry: 2000\n\n${replay.map(sseFrame).join('')}`
		writer.write(encoder.encode(head)).catch(() => this.#drop(writer))
		// A reader that cancels errors the stream: it is dropped then, not at the next write.
		writer.closed.catch(() => this.#drop(writer))
		this.#streams.add(writer)
		this.#heartbeat ??= setInterval(() => this.#write(encoder.encode(': keep-alive\n\n')), 15_000)
		return readable
	}

	closeAll(code: number, reason: string): void {
		for (const ws of this.#ctx.getWebSockets(EVENTS_TAG)) {
			try {
				ws.close(code, reason)
			} catch {}
		}
		for (const writer of this.#streams) this.#drop(writer)
		this.#relays?.closeAll(reason)
	}

	get streamCount(): number {
		return this.#streams.size
	}

	#write(bytes: Uint8Array): void {
		for (const writer of this.#streams) writer.write(bytes).catch(() => this.#drop(writer))
	}

	#drop(writer: WritableStreamDefaultWriter<Uint8Array>): void {
		if (!this.#streams.delete(writer)) return
		writer.close().catch(() => {})
		if (this.#streams.size === 0 && this.#heartbeat !== undefined) {
			clearInterval(this.#heartbeat)
			this.#heartbeat = undefined
		}
		this.streamClosed()
	}
}
