// What the subagent parts of a lane need from it: its storage, clock and logger, its transaction
// and events, a way to take a message in (inside the current transaction) and the host's reach to
// other lanes. The lane builds one and hands it to LaneSubagents.
import type { LaneHost } from '../../lanes/host'
import type { OutboxTimers } from '../../lanes/outbox-timers'
import type { LaneStore } from '../../lanes/store'
import type {
	LaneEventType,
	LaneResult,
	ParentLink,
	SubmitOutcome,
	SubmitRequest,
} from '../../lanes/types'
import type { SessionRef } from '../../security/subject'
import type { SubagentStore } from './store'

export interface SubagentLaneContext {
	store: LaneStore
	subagents: SubagentStore
	host: Pick<LaneHost, 'now' | 'newId' | 'logger' | 'waitUntil' | 'subagents' | 'transaction'>
	tx<T>(fn: () => T): T
	emit(type: LaneEventType, runId: string | null, data: Record<string, unknown>): void
	/** Takes a message into this lane; call inside `tx` (it is the lane's admission). */
	admit(req: SubmitRequest): LaneResult<SubmitOutcome>
	/** A message was admitted by `admit`, and its transaction committed: index it, pump. */
	admitted(session: SessionRef): void
	/** One-shot timers (the bound on a cancellation's try); tests fire them. */
	timers: OutboxTimers
	/** Something the lane's alarm covers changed (an announce's or a cancellation's next try). */
	reschedule(): void
}

/** This session's link to its parent, when it is a child (`meta.parent`). */
export function parentLink(store: LaneStore): ParentLink | undefined {
	const raw = store.getMeta('parent')
	return raw ? (JSON.parse(raw) as ParentLink) : undefined
}

/** Records of announces and announced child runs are kept this long. */
export const SUBAGENT_RECORD_TTL_MS = 7 * 24 * 60 * 60_000
