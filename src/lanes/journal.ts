// A lane's writes: each one transaction whose events enter the log at once but reach subscribers
// only once it commits. The outbox sees each event as it is written, so a run's reply is stored
// in the very transaction that finishes the run, and starts sending after the commit.
import type { LaneHost } from './host'
import { pruneEvents } from './retention'
import type { LaneEvent, LaneEventType } from './types'

/** Who else learns of events: as written (inside the transaction) and once committed. */
export interface JournalWatcher {
	noted(event: LaneEvent): void
	committed(): void
}

export class LaneJournal {
	readonly #host: Pick<LaneHost, 'store' | 'transaction' | 'now' | 'subscribers'>
	readonly #watcher: JournalWatcher
	#pending: LaneEvent[] = []

	constructor(
		host: Pick<LaneHost, 'store' | 'transaction' | 'now' | 'subscribers'>,
		watcher: JournalWatcher,
	) {
		this.#host = host
		this.#watcher = watcher
	}

	/** Runs `fn` as one transaction; events it emitted reach subscribers only once it commits. */
	tx<T>(fn: () => T): T {
		const outer = this.#pending
		this.#pending = []
		try {
			const result = this.#host.transaction(fn)
			const committed = this.#pending
			this.#pending = outer
			for (const event of committed) this.#host.subscribers.broadcast(event)
			this.#watcher.committed()
			return result
		} catch (error) {
			this.#pending = outer
			this.#host.store.rolledBack()
			throw error
		}
	}

	/** Appends an event to the log (call inside `tx`). */
	emit(type: LaneEventType, runId: string | null, data: Record<string, unknown>): void {
		const { store } = this.#host
		const event = store.events.append({ ts: this.#host.now(), type, runId, data })
		this.#pending.push(event)
		this.#watcher.noted(event)
		if (event.seq % 100 === 0) pruneEvents(store, event.ts)
	}
}
