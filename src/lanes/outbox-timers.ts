// The outbox's clock: retry waits, repeating and one-shot timers, and the bound on how long an
// outside call (a platform send, "typing…", a dead-letter write) may take. Injected, so tests move time.
import { sleep } from '../agents/models/sleep'

export interface OutboxTimers {
	/** Waits until a retry is due, or until `signal` aborts (tests pass one that moves a fake clock). */
	sleep(ms: number, signal?: AbortSignal): Promise<void>
	/** Calls `fn` every `ms` until the returned function is called. */
	every(ms: number, fn: () => void): () => void
	/** Calls `fn` once after `ms` unless the returned function is called first. */
	after(ms: number, fn: () => void): () => void
}

export const realTimers: OutboxTimers = {
	sleep: (ms, signal) => sleep(ms, signal),
	every(ms, fn) {
		const timer = setInterval(fn, ms)
		return () => clearInterval(timer)
	},
	after(ms, fn) {
		const timer = setTimeout(fn, ms)
		return () => clearTimeout(timer)
	},
}

/**
 * Runs `work` with a signal that aborts after `ms`: its result, or `timedOut()` when it has not
 * settled by then (the call itself is cut off wherever it listens to the signal). A `work` that
 * throws rejects.
 */
export async function bounded<T>(
	timers: OutboxTimers,
	ms: number,
	work: (signal: AbortSignal) => Promise<T>,
	timedOut: () => T,
): Promise<T> {
	const controller = new AbortController()
	let cancel = () => {}
	const timeout = new Promise<T>((resolve) => {
		cancel = timers.after(ms, () => {
			controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError'))
			resolve(timedOut())
		})
	})
	try {
		return await Promise.race([Promise.resolve().then(() => work(controller.signal)), timeout])
	} finally {
		cancel()
	}
}

/** Backoff after the nth failed try: `first` · 2^(n-1), at most `max`. */
export const backoff = (n: number, first: number, max: number): number =>
	Math.min(max, first * 2 ** Math.max(0, n - 1))
