// D1 writes asked for often that need to land only now and then (the sessions index, usage day
// totals, metric rollups): what is pending goes out at most once per interval, each write after the
// one before, and a failed write is reported, never thrown — so a busy caller costs D1 one write
// per interval. `HandedWrites` does the same across the requests of a stateless Worker.

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
		this.#o.waitUntil(this.#chain)
	}

	/** A failed write comes back as pending, unless something newer already is. */
	#retry(failed: T): void {
		if (this.#failures >= (this.#o.retries ?? 0) || this.#pending !== undefined) return
		this.#failures++
		this.#pending = failed
		this.#timer ??= setTimeout(() => this.#flush(), this.#o.intervalMs)
	}
}

/** How long a request that took the next write may take before another may take it instead. */
const HANDOVER_GRACE_FACTOR = 2

/**
 * Paced writes for a stateless Worker, where no request may touch another's I/O (its timers, its
 * pending D1 calls, promises it settles): what is pending is plain data the isolate's requests
 * share, and each write is made by one of them, in its own context. A request that put something
 * calls `take()`: when no request has the next write yet, it gets it — a promise for its own
 * `waitUntil` that waits out the interval and writes what is pending by then —, else undefined.
 * A request that took a write and never made it (its invocation ended first) is replaced once it
 * is two intervals late. Writes may overlap, so the pending state must be deltas that add up.
 */
export class HandedWrites<T> {
	readonly #o: Pick<PacedWritesOptions<T>, 'write' | 'intervalMs' | 'failed'>
	readonly #now: () => number
	readonly #sleep: (ms: number) => Promise<void>
	#pending: T | undefined
	#writtenAt: number
	/** Until when the request that took the next write has it. */
	#takenUntil = Number.NEGATIVE_INFINITY

	constructor(
		options: Pick<PacedWritesOptions<T>, 'write' | 'intervalMs' | 'failed'> & {
			now?: () => number
			sleep?: (ms: number) => Promise<void>
		},
	) {
		this.#o = options
		this.#now = options.now ?? Date.now
		this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
		// The first write waits one interval too: a burst is one write.
		this.#writtenAt = this.#now()
	}

	/** Sets what the next write carries, from what is pending (if anything). */
	put(next: (pending: T | undefined) => T): void {
		this.#pending = next(this.#pending)
	}

	/** The next write, for the caller's `waitUntil`, when it falls to the caller (see the class). */
	take(): Promise<void> | undefined {
		const now = this.#now()
		if (this.#pending === undefined || now < this.#takenUntil) return undefined
		const wait = Math.max(0, this.#writtenAt + this.#o.intervalMs - now)
		this.#takenUntil = now + wait + HANDOVER_GRACE_FACTOR * this.#o.intervalMs
		return this.#sleep(wait).then(() => this.#write())
	}

	/** Writes what is pending now, in the caller's context (tests, shutdown). */
	settled(): Promise<void> {
		return this.#write()
	}

	async #write(): Promise<void> {
		const pending = this.#pending
		this.#pending = undefined
		this.#takenUntil = Number.NEGATIVE_INFINITY
		if (pending === undefined) return
		this.#writtenAt = this.#now()
		try {
			await this.#o.write(pending)
		} catch (error) {
			this.#o.failed(error)
		}
	}
}

/**
 * Gives the caller's `waitUntil` the next handed write when it falls to the caller (`take`), for
 * a caller that has just put something.
 */
export function handNext(
	writes: { take(): Promise<void> | undefined },
	waitUntil: (promise: Promise<unknown>) => void,
): void {
	const write = writes.take()
	if (write) waitUntil(write)
}
