// A lane after a restart: runs that were running when it went away are put back at the head of
// the queue (or failed once they used their attempts or passed their deadline), each with an
// error event, and tool jobs and approvals nobody waits for any more are settled.
import type { LaneToolCalls } from './tool-calls'
import { failRun, requeueLeftoverSteers, type TurnContext } from './turn'

/** A run cut off by a restart is tried this many times in all before it is failed. */
export const MAX_ATTEMPTS = 2

/** Settles what a restart cut off (call inside a transaction, after migrating). */
export function recoverRuns(
	ops: Pick<TurnContext, 'store' | 'host' | 'emit'>,
	tools: Pick<LaneToolCalls, 'recover'>,
	now: number,
): void {
	// Nothing waits for tool jobs or approvals after a restart: settle them.
	tools.recover()
	for (const run of ops.store.runs.withStatus('running')) {
		const retry = (run.deadlineAt === null || now < run.deadlineAt) && run.attempt < MAX_ATTEMPTS
		if (!retry) requeueLeftoverSteers(ops, run.id, now)
		if (run.deadlineAt !== null && now >= run.deadlineAt) {
			failRun(
				ops,
				run.id,
				'deadline_exceeded',
				'The run passed its deadline while the lane was restarting.',
				now,
			)
		} else if (run.attempt >= MAX_ATTEMPTS) {
			failRun(
				ops,
				run.id,
				'lane_restarted',
				`The lane restarted during the run ${run.attempt} times; giving up.`,
				now,
			)
		} else {
			ops.store.requeueAtHead(run.id)
			ops.emit('error', run.id, {
				code: 'lane_restarted',
				message: 'The lane restarted during the run; it runs again.',
				retrying: true,
				attempt: run.attempt,
			})
		}
	}
}
