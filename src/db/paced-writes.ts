// D1 writes asked for often that need to land only now and then (the sessions index, usage day
// totals): what is pending goes out at most once per interval, each write after the one before,
// and a failed write is reported, never thrown — so a busy caller costs D1 one write per interval.

export interface PacedWritesOptions<T> {
	write(pending: T): Promise<void>
	intervalMs: number
	waitUntil(promise: Promise<unknown>): void
	/** A write failed (the writes after it still go). */
	failed(error: unknown): void
	/** The first write waits one interval too, so a short burst is one write (else it goes at once). */
	waitFirst?: boolean
	/**
	 * Tries again, one interval later, a write that failed while nothing newer waits — at most this
	 * many times in a row. Only for writes that are safe to repeat (the latest state, not a delta).
	 */
	retries?: number
}

export class PacedWrites<T> {
	readonly #o: PacedWritesOptions<T>
	#pending: T | undefined
	#timer: ReturnType<typeof setTimeout> | undefined
	#writtenAt: number
	#chain: Promise<void> = Promise.resolve()
	#failures = 0
	/** Callers of `landed()` waiting for what is pending now. */
	#landing: (() => void)[] = []

	constructor(options: PacedWritesOptions<T>) {
		this.#o = options
		this.#writtenAt = options.waitFirst ? Date.now() : Number.NEGATIVE_INFINITY
	}

	/**
	 * Sets what the next write carries, from what is pending (if anything), and schedules it;
	 * `now` sends it at once (after the writes under way), for a change readers wait for.
	 */
	put(next: (pending: T | undefined) => T, options: { now?: boolean } = {}): void {
		this.#pending = next(this.#pending)
		// A new state earns its own retries.
		this.#failures = 0
		const wait = options.now ? 0 : this.#writtenAt + this.#o.intervalMs - Date.now()
		if (wait <= 0) this.#flush()
		else this.#timer ??= setTimeout(() => this.#flush(), wait)
	}

	/** Drops what is pending; resolves once the writes already under way have landed. */
	async discard(): Promise<void> {
		this.#cancelTimer()
		this.#pending = undefined
		await this.#chain
		this.#land(this.#takeLanding())
	}

	/**
	 * Resolves once what is pending now has been written (or its write failed), without hastening
	 * it. A caller whose own life ends before the interval does — a request of a stateless Worker,
	 * whose timers stop with it — hands this to its own `waitUntil`, so the paced write still goes.
	 */
	landed(): Promise<void> {
		if (this.#pending === undefined) return this.#chain.then(() => {})
		return new Promise((resolve) => this.#landing.push(resolve))
	}

	/** Resolves once everything put so far has landed (tests, shutdown). */
	async settled(): Promise<void> {
		if (this.#pending !== undefined) this.#flush()
		await this.#chain
	}

	#cancelTimer(): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer)
		this.#timer = undefined
	}

	#flush(): void {
		this.#cancelTimer()
		const pending = this.#pending
		this.#pending = undefined
		if (pending === undefined) return
		this.#writtenAt = Date.now()
		const landing = this.#takeLanding()
		this.#chain = this.#chain
			.then(() => this.#o.write(pending))
			.then(
				() => {
					this.#failures = 0
				},
				(error: unknown) => {
					this.#o.failed(error)
					this.#retry(pending)
				},
			)
			.finally(() => this.#land(landing))
		this.#o.waitUntil(this.#chain)
	}

	#takeLanding(): (() => void)[] {
		const landing = this.#landing
		this.#landing = []
		return landing
	}

	#land(landing: readonly (() => void)[]): void {
		for (const resolve of landing) resolve()
	}

	/** A failed write comes back as pending, unless something newer already is. */
	#retry(failed: T): void {
		if (this.#failures >= (this.#o.retries ?? 0) || this.#pending !== undefined) return
		this.#failures++
		this.#pending = failed
		this.#timer ??= setTimeout(() => this.#flush(), this.#o.intervalMs)
	}
}
