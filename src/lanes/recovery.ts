// A lane after a restart: runs that were running when it went away are put back at the head of
// the queue (or failed once they used their attempts or passed their deadline), each with an
// error event, and tool jobs and approvals nobody waits for any more are settled.
import { lanePoint, runPoint } from './metrics'
import type { LaneToolCalls } from './tool-calls'
import { failRun, requeueLeftoverSteers, type TurnContext } from './turn'

/** A run cut off by a restart is tried this many times in all before it is failed. */
export const MAX_ATTEMPTS = 2

/**
 * Settles what a restart cut off (call inside a transaction, after migrating). Measured: a
 * `recovered` lane point for the runs resumed, a run point for each run failed here (its model
 * calls died with the lane that made them).
 */
export function recoverRuns(
	ops: Pick<TurnContext, 'store' | 'host' | 'emit'>,
	tools: Pick<LaneToolCalls, 'recover'>,
	now: number,
): void {
	// Nothing waits for tool jobs or approvals after a restart: settle them.
	tools.recover()
	const { metrics } = ops.host
	let resumed = 0
	for (const run of ops.store.runs.withStatus('running')) {
		const failure =
			run.deadlineAt !== null && now >= run.deadlineAt
				? {
						code: 'deadline_exceeded',
						message: 'The run passed its deadline while the lane was restarting.',
					}
				: run.attempt >= MAX_ATTEMPTS
					? {
							code: 'lane_restarted',
							message: `The lane restarted during the run ${run.attempt} times; giving up.`,
						}
					: undefined
		if (failure) {
			// Before the run is finished (which clears its steers): steers it never took run next.
			requeueLeftoverSteers(ops, run.id, now)
			failRun(ops, run.id, failure.code, failure.message, now)
			metrics.write(runPoint(run, { outcome: 'failed', code: failure.code, finishedAt: now }))
			continue
		}
		resumed++
		ops.store.requeueAtHead(run.id)
		ops.emit('error', run.id, {
			code: 'lane_restarted',
			message: 'The lane restarted during the run; it runs again.',
			retrying: true,
			attempt: run.attempt,
		})
	}
	const session = ops.store.session()
	if (session && resumed > 0) metrics.write(lanePoint(session, 'recovered', resumed))
}
