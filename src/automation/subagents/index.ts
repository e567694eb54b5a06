// Subagents as child lanes (docs/automation.md, "Subagents"): one object per lane that gathers the
// child's side (announcing its runs' ends to its parent) and the parent's (taking announces,
// cascading cancels, the tools' capability). The lane calls it at its few seams.
import type { RunRecord } from '../../lanes/store'
import type { LaneEvent, RunView } from '../../lanes/types'
import type { SessionsPort } from '../../tools/sessions'
import { Announcer } from './announcer'
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

	constructor(c: SubagentLaneContext) {
		this.#c = c
		this.#announcer = new Announcer(c)
		this.#parent = new SubagentParent(c)
	}

	/** A lane event was written (inside its transaction). */
	noted(event: LaneEvent): void {
		this.#announcer.noted(event)
	}

	/** A lane transaction committed. */
	committed(): void {
		this.#announcer.committed()
	}

	/** The alarm fired, or the lane came back after a restart: due announces go out. */
	resume(now: number): void {
		this.#announcer.housekeep(now)
		this.#announcer.resume()
	}

	/** When the lane must wake for an announce's next try (Infinity: never). */
	nextDue(): number {
		return this.#announcer.nextDue()
	}

	accept(announce: Announce): Promise<AnnounceAnswer> {
		return this.#parent.accept(announce)
	}

	/** The capability the `group:sessions` tools get for one call of `run`. */
	sessionsFor(run: RunRecord, call: { callId: string; signal: AbortSignal }): SessionsPort {
		return sessionsPort(this.#c, this.#parent, run, call)
	}

	runCancelled(runId: string): Promise<void> {
		return this.#parent.cancelled(runId)
	}

	sessionEnded(): Promise<void> {
		return this.#parent.ended()
	}

	withChildren(view: RunView): RunView {
		return this.#parent.withChildren(view)
	}

	/** Resolves once no announce is being offered (tests). */
	settled(): Promise<void> {
		return this.#announcer.settled()
	}
}
