// Callers waiting in memory for a run to finish (`wait: true`, agent.wait): woken when the run
// ends, when the session goes, or at their own timeout — whichever comes first.
export class RunWaiters {
	readonly #waiters = new Map<string, Set<() => void>>()

	/** Resolves once `runId` is woken, or after `timeoutMs`. */
	wait(runId: string, timeoutMs: number): Promise<void> {
		return new Promise<void>((resolve) => {
			const waiters = this.#waiters.get(runId) ?? new Set()
			const done = () => {
				clearTimeout(timer)
				waiters.delete(done)
				resolve()
			}
			const timer = setTimeout(done, timeoutMs)
			waiters.add(done)
			this.#waiters.set(runId, waiters)
		})
	}

	wake(runId: string): void {
		const waiters = this.#waiters.get(runId)
		if (!waiters) return
		this.#waiters.delete(runId)
		for (const wake of [...waiters]) wake()
	}

	wakeAll(): void {
		for (const runId of [...this.#waiters.keys()]) this.wake(runId)
	}
}
