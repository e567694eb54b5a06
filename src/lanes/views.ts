// What a lane shows of itself: a run, pages of its messages and runs, its outbox, the session's
// summary and its row in the D1 sessions index.
// Reads of the store only (a lane that does not exist answers not_found); nothing here changes.
import type { SessionRef } from '../security/subject'
import type { IndexRow } from './host'
import { type LaneStore, runView } from './store'
import { stuckSince } from './stuck'
import {
	DELIVERY_STATUSES,
	type DeliveryStatus,
	type DeliveryView,
	fail,
	type LaneResult,
	type MessageView,
	ok,
	type RunStatus,
	type RunView,
	type SessionInfo,
} from './types'

const noSession = <T>(): LaneResult<T> => fail('not_found', 'No such session.')

export function runOf(store: LaneStore, runId: string): LaneResult<RunView> {
	if (!store.exists()) return noSession()
	const run = store.runs.get(runId)
	return run ? ok(runView(run)) : fail('not_found', `No run ${runId} in this session.`)
}

/** Messages after `afterSeq`, `limit` at most; `next` is the seq to page on from, if more follow. */
export function messagePage(
	store: LaneStore,
	afterSeq: number,
	limit: number,
): LaneResult<{ messages: MessageView[]; next: number | null }> {
	if (!store.exists()) return noSession()
	const { page, next } = paged(store.transcript.list(afterSeq, limit + 1), limit, (m) => m.seq)
	return ok({ messages: page, next })
}

/** Runs in creation order after `afterSeq`, `limit` at most, paged like messages. */
export function runPage(
	store: LaneStore,
	afterSeq: number,
	limit: number,
): LaneResult<{ runs: RunView[]; next: number | null }> {
	if (!store.exists()) return noSession()
	const { page, next } = paged(store.runs.list(afterSeq, limit + 1), limit, (r) => r.seq)
	return ok({ runs: page.map((r) => runView(r.run)), next })
}

/** The outbox, newest first: every delivery, or those of one status (`failed`: dead letters). */
export function deliveryList(
	store: LaneStore,
	status: DeliveryStatus | undefined,
	limit: number,
): LaneResult<{ deliveries: DeliveryView[] }> {
	if (!store.exists()) return noSession()
	if (status !== undefined && !DELIVERY_STATUSES.includes(status)) {
		return fail('bad_request', `status must be one of ${DELIVERY_STATUSES.join(', ')}.`)
	}
	return ok({ deliveries: store.deliveries.list(status, limit) })
}

/** The first `limit` of `rows` (read one beyond) and, when there were more, the seq to go on from. */
function paged<T>(
	rows: T[],
	limit: number,
	seqOf: (row: T) => number,
): { page: T[]; next: number | null } {
	const page = rows.slice(0, limit)
	const last = page.at(-1)
	return { page, next: rows.length > limit && last ? seqOf(last) : null }
}

/** The session's summary; `activeRunId` is the run the lane is executing (memory, not storage). */
export function sessionInfo(store: LaneStore, activeRunId: string | null): SessionInfo {
	return {
		session: store.session() as SessionRef,
		createdAt: Number(store.getMeta('created_at') ?? 0),
		updatedAt: Number(store.getMeta('updated_at') ?? 0),
		messages: store.transcript.stats(),
		runs: {
			queued: store.runs.count('queued'),
			running: store.runs.count('running'),
			total: store.runs.count(),
		},
		activeRunId,
		lastEventSeq: store.events.lastSeq(),
		compactions: Number(store.getMeta('compactions') ?? '0'),
	}
}

/**
 * The session's row in the D1 index as of `now` (with the run that just changed, if any);
 * `stuck` is since when a run is stuck, when the caller knows more than storage (stuck.ts).
 */
export function indexRow(
	store: LaneStore,
	now: number,
	run?: { id: string; status: RunStatus },
	stuck: number | null = stuckSince(store),
): IndexRow {
	const stats = store.transcript.stats()
	return {
		createdAt: store.createdAt() ?? now,
		updatedAt: now,
		messageCount: stats.active + stats.compacted,
		pendingApprovals: store.tools.pendingCount(),
		queuedRuns: store.runs.count('queued'),
		stuckSince: stuck,
		...(run && { lastRunId: run.id, lastRunStatus: run.status }),
	}
}
