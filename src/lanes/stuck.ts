// A run the lane cannot end by itself: still `running` in storage a grace period past its deadline,
// because its turn never came back from the stop (its closing write failed, so the lane stays busy
// with it). The alarm finds such runs, reports each once and fails it; see docs/observability.md.
import type { LanePoint } from '../observability/metrics'
import { runPoint } from './metrics'
import type { LaneStore, RunRecord } from './store'
import { failRun, requeueLeftoverSteers, type TurnContext } from './turn'

/**
 * How long past its deadline a run may still be `running` before it counts as stuck: the stop at
 * the deadline normally ends a run within milliseconds; this leaves room for a slow closing write.
 */
export const STUCK_GRACE_MS = 60_000

/** The lane's record of its stuck runs (run id → when it was found stuck), in its meta table. */
const META_KEY = 'stuck_runs'

function readStuck(store: LaneStore): Record<string, number> {
	const raw = store.getMeta(META_KEY)
	return raw ? (JSON.parse(raw) as Record<string, number>) : {}
}

function writeStuck(store: LaneStore, stuck: Record<string, number>): void {
	store.setMeta(META_KEY, JSON.stringify(stuck))
}

/** Since when the lane has had a stuck run it could not fail yet (the oldest), or null. */
export function stuckSince(store: LaneStore): number | null {
	const since = Object.values(readStuck(store))
	return since.length > 0 ? Math.min(...since) : null
}

type StuckOps = Pick<TurnContext, 'store' | 'host' | 'emit' | 'tx'>

/** Finds, reports and fails stuck runs. One per lane, for the life of its object. */
export class StuckRuns {
	readonly #ops: StuckOps
	/**
	 * Runs reported in this object's life, with when: a report whose record could not be stored is
	 * neither repeated nor lost to the sessions index (`since`).
	 */
	readonly #reported = new Map<string, number>()

	constructor(ops: StuckOps) {
		this.#ops = ops
	}

	/**
	 * Every run stored as running past its deadline and the grace is reported (once: a `stuck`
	 * event, a `lane` metric point `stuck`, a warning) and failed with `deadline_exceeded`. Returns
	 * the runs found and those failed; a run whose failure could not be written stays stuck and is
	 * tried again on the next check.
	 */
	check(now: number): { found: number; failed: string[] } {
		const stuck = this.#ops.store.runs
			.withStatus('running')
			.filter((run) => run.deadlineAt !== null && now >= run.deadlineAt + STUCK_GRACE_MS)
		const failed: string[] = []
		for (const run of stuck) {
			this.#report(run, now)
			if (this.#fail(run, now)) failed.push(run.id)
		}
		return { found: stuck.length, failed }
	}

	/** Since when the lane has had a stuck run, stored or only reported in this object's life; or null. */
	since(): number | null {
		const { store } = this.#ops
		let since = stuckSince(store) ?? Number.POSITIVE_INFINITY
		for (const [runId, at] of this.#reported) {
			// A reset or a delete may have ended it without this object failing it.
			if (at < since && store.runs.get(runId)?.status === 'running') since = at
		}
		return Number.isFinite(since) ? since : null
	}

	/** After recovery (which fails runs past their deadline): stuck runs it ended are resolved. */
	settle(): void {
		const { store } = this.#ops
		const stuck = readStuck(store)
		const ended = Object.keys(stuck).filter((id) => store.runs.get(id)?.status !== 'running')
		if (ended.length === 0) return
		this.#ops.tx(() => {
			for (const id of ended) delete stuck[id]
			writeStuck(store, stuck)
		})
		for (const id of ended) this.#resolved(id, 'recovered')
	}

	#report(run: RunRecord, now: number): void {
		const { store, host } = this.#ops
		if (this.#reported.has(run.id) || run.id in readStuck(store)) return
		this.#reported.set(run.id, now)
		const lateMs = now - (run.deadlineAt ?? now)
		host.logger.warn('lane.stuck', { runId: run.id, lateMs })
		this.#point('stuck', run.id, lateMs)
		try {
			this.#ops.tx(() => {
				writeStuck(store, { ...readStuck(store), [run.id]: now })
				this.#ops.emit('stuck', run.id, { deadline: run.deadlineAt, lateMs })
			})
		} catch (error) {
			host.logger.error('lane.stuck_record_failed', { runId: run.id, error })
		}
	}

	#fail(run: RunRecord, now: number): boolean {
		const { store } = this.#ops
		try {
			this.#ops.tx(() => {
				requeueLeftoverSteers(this.#ops, run.id, now)
				failRun(
					this.#ops,
					run.id,
					'deadline_exceeded',
					'The run passed its deadline and did not stop; the lane failed it.',
					now,
				)
				const stuck = readStuck(store)
				delete stuck[run.id]
				writeStuck(store, stuck)
			})
		} catch (error) {
			this.#ops.host.logger.error('lane.unstick_failed', { runId: run.id, error })
			return false
		}
		// Its turn never came back: its model calls are not known here (as after a restart).
		this.#ops.host.metrics.write(
			runPoint(run, { outcome: 'failed', code: 'deadline_exceeded', finishedAt: now }),
		)
		this.#resolved(run.id, 'failed')
		return true
	}

	#resolved(runId: string, how: 'failed' | 'recovered'): void {
		this.#reported.delete(runId)
		this.#ops.host.logger.info('lane.unstuck', { runId, how })
		this.#point('unstuck', runId, 1)
	}

	#point(event: 'stuck' | 'unstuck', runId: string, value: number): void {
		const session = this.#ops.store.session()
		if (!session) return
		const point: LanePoint = {
			kind: 'lane',
			tenant: session.tenantId,
			agent: session.agentId,
			event,
			detail: runId,
			value,
		}
		this.#ops.host.metrics.write(point)
	}
}
