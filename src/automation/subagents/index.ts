// Subagents as child lanes (docs/automation.md, "Subagents"): one object per lane that gathers the
// child's side (announcing its runs' ends to its parent) and the parent's (taking announces,
// cascading cancels durably, the tools' capability). The lane calls it at its few seams.
import type { RunRecord } from '../../lanes/store'
import type { LaneEvent, RunView } from '../../lanes/types'
import type { SessionsPort } from '../../tools/sessions'
import { Announcer } from './announcer'
import type { CancelRow } from './cancel-store'
import { Cascade } from './cascade'
import type { SubagentLaneContext } from './context'
import { SubagentParent } from './parent'
import type { Announce, AnnounceAnswer } from './ports'
import { sessionsPort } from './sessions'

export type { SubagentLaneContext } from './context'
export type { Announce, AnnounceAnswer, RemoteLane, SubagentHost } from './ports'
export { SubagentStore } from './store'

export class LaneSubagents {
	readonly #c: SubagentLaneContext
	readonly #announcer: Announcer
	readonly #parent: SubagentParent
	readonly #cascade: Cascade

	constructor(c: SubagentLaneContext) {
		this.#c = c
		this.#announcer = new Announcer(c)
		this.#parent = new SubagentParent(c)
		this.#cascade = new Cascade(c)
	}

	/** A lane event was written (inside its transaction). */
	noted(event: LaneEvent): void {
		this.#announcer.noted(event)
		this.#cascade.noted(event)
	}

	/** A lane transaction committed. */
	committed(): void {
		this.#announcer.committed()
		this.#cascade.committed()
	}

	/** The alarm fired, or the lane came back after a restart: due announces and cancellations go out. */
	resume(now: number): void {
		if (this.#c.store.exists()) {
			this.#announcer.housekeep(now)
			this.#announcer.resume()
		}
		this.#cascade.housekeep(now)
		this.#cascade.resume()
	}

	/** When the lane must wake for an announce's or a cancellation's next try (Infinity: never). */
	nextDue(): number {
		return Math.min(this.#announcer.nextDue(), this.#cascade.nextDue())
	}

	accept(announce: Announce): Promise<AnnounceAnswer> {
		return this.#parent.accept(announce)
	}

	/** The capability the `group:sessions` tools get for one call of `run`. */
	sessionsFor(run: RunRecord, call: { callId: string; signal: AbortSignal }): SessionsPort {
		return sessionsPort(this.#c, this.#parent, run, call)
	}

	/**
	 * The session is reset or deleted (call inside its transaction): every run of every child is to
	 * be cancelled, and the children are forgotten. Delivered after the commit.
	 */
	ending(reason: 'reset' | 'deleted', now: number): void {
		this.#cascade.ending(reason, now)
	}

	/** Resolves once the cancellations being delivered had their try (a cancel or reset waits). */
	cancelsSettled(): Promise<void> {
		return this.#cascade.settled()
	}

	/** Cancellations still pending, to keep across a delete's wipe of the storage. */
	pendingCancels(): CancelRow[] {
		return this.#cascade.pending()
	}

	/** The storage was wiped: pending cancellations are written back alone and go on. */
	keepCancels(rows: CancelRow[]): void {
		this.#cascade.keep(rows)
	}

	withChildren(view: RunView): RunView {
		return this.#parent.withChildren(view)
	}

	/** Resolves once no announce is being offered (tests). */
	settled(): Promise<void> {
		return this.#announcer.settled()
	}
}
