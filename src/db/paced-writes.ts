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
}

export class PacedWrites<T> {
	readonly #o: PacedWritesOptions<T>
	#pending: T | undefined
	#timer: ReturnType<typeof setTimeout> | undefined
	#writtenAt: number
	#chain: Promise<void> = Promise.resolve()

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
			.catch((error: unknown) => this.#o.failed(error))
		this.#o.waitUntil(this.#chain)
	}
}
