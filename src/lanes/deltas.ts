// A turn's text deltas, written as one `delta` event per burst instead of one per chunk: what the
// model streams within one task of the event loop becomes one event (its texts joined), written in
// a transaction of its own once the task is over — or in the transaction of whatever the turn
// writes next (a tool event, a step, its end), ahead of it, so the order of events never changes.
import type { TurnContext } from './turn'

export class PendingDeltas {
	readonly #ctx: Pick<TurnContext, 'tx' | 'emit' | 'live'>
	readonly #runId: string
	#text = ''
	#timer: ReturnType<typeof setTimeout> | undefined

	constructor(ctx: Pick<TurnContext, 'tx' | 'emit' | 'live'>, runId: string) {
		this.#ctx = ctx
		this.#runId = runId
	}

	/** A chunk of the answer (taken only while the turn is live, as before). */
	add(text: string): void {
		if (!text || !this.#ctx.live()) return
		this.#text += text
		this.#timer ??= setTimeout(() => this.flush(), 0)
	}

	/** Writes what is pending as one event; call inside the transaction of what comes next. */
	write(): void {
		this.#cancel()
		if (!this.#text) return
		const text = this.#text
		this.#text = ''
		this.#ctx.emit('delta', this.#runId, { text })
	}

	/** Writes what is pending in a transaction of its own (the burst is over, or a tool call starts). */
	flush(): void {
		this.#cancel()
		if (this.#text && this.#ctx.live()) this.#ctx.tx(() => this.write())
	}

	#cancel(): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer)
		this.#timer = undefined
	}
}
