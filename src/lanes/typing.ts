// "typing…" in a run's conversation while it works: at once and every TYPING_EVERY_MS, each call
// bounded so one that hangs cannot stop the refreshes, paused while the run waits for a human's
// approval (nobody is typing then) and resumed as soon as it is decided.
import type { Logger } from '../observability/logger'
import type { ReplySink } from './host'
import { bounded, type OutboxTimers } from './outbox-timers'
import type { LaneStore } from './store'

/** "typing…" is refreshed this often while a run with a route is going (platforms drop it at ~5 s). */
export const TYPING_EVERY_MS = 4_000
/** One "typing…" call that has not answered by then is given up (the next refresh tries again). */
export const TYPING_TIMEOUT_MS = 5_000

export interface TypingHost {
	store: LaneStore
	replies?: ReplySink | undefined
	logger: Logger
}

export class RunTyping {
	readonly #h: TypingHost
	readonly #timers: OutboxTimers
	/** Each typing run's refresh, so a decided approval can resume it at once. */
	readonly #ticks = new Map<string, () => void>()

	constructor(host: TypingHost, timers: OutboxTimers) {
		this.#h = host
		this.#timers = timers
	}

	/** "typing…" for a run with a route, now and every TYPING_EVERY_MS; returns the stop. */
	start(runId: string): () => void {
		const { store, logger } = this.#h
		const sink = this.#h.replies
		if (!sink || !store.runs.replyOf(runId)) return () => {}
		let busy = false
		const tick = () => {
			if (busy || !store.exists() || store.tools.awaitsApproval(runId)) return
			// The route is read each time: a steered message may have moved it.
			const route = store.runs.replyOf(runId)
			if (!route) return
			busy = true
			bounded(
				this.#timers,
				TYPING_TIMEOUT_MS,
				() => sink.typing(route),
				() => undefined,
			)
				.catch((error: unknown) => logger.debug('lane.typing_failed', { runId, error }))
				.finally(() => {
					busy = false
				})
		}
		tick()
		const stopTimer = this.#timers.every(TYPING_EVERY_MS, tick)
		this.#ticks.set(runId, tick)
		return () => {
			stopTimer()
			if (this.#ticks.get(runId) === tick) this.#ticks.delete(runId)
		}
	}

	/** An approval of the run was decided: typing resumes now, not at the next refresh. */
	resume(runId: string): void {
		this.#ticks.get(runId)?.()
	}
}
