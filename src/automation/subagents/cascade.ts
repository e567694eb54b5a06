// "Cancelling or resetting a parent cancels its descendants", durably: the cancellations of the
// children are stored in the transaction that cancels the run or resets the session, delivered
// right after the commit, then retried on the lane's alarm with backoff (5 s doubling to 5 min)
// for 30 minutes, and then given up, visibly. Each child cancels its own children the same way.
import { backoff, bounded } from '../../lanes/outbox-timers'
import type { LaneEvent, LaneResult } from '../../lanes/types'
import type { SessionRef } from '../../security/subject'
import { type CancelReason, type CancelRow, EVERY_RUN } from './cancel-store'
import { SUBAGENT_RECORD_TTL_MS, type SubagentLaneContext } from './context'

/** A cancellation not confirmed within this long is given up. */
export const CANCEL_WINDOW_MS = 30 * 60_000
export const CANCEL_FIRST_RETRY_MS = 5_000
export const CANCEL_MAX_BACKOFF_MS = 5 * 60_000
/** A try the child has not answered within this long counts as failed (a hung RPC blocks no retry). */
export const CANCEL_TRY_TIMEOUT_MS = 30_000

/** The wait after the nth failed try: 5 s · 2^(n-1), at most 5 min. */
export const cancelBackoff = (n: number): number =>
	backoff(n, CANCEL_FIRST_RETRY_MS, CANCEL_MAX_BACKOFF_MS)

export class Cascade {
	readonly #c: SubagentLaneContext
	#sending = false
	#again = false
	#enqueued = false
	#drained: Promise<void> = Promise.resolve()

	constructor(c: SubagentLaneContext) {
		this.#c = c
	}

	/**
	 * A lane event was written (inside its transaction): the child runs of a run cancelled by a
	 * cancel request that have not ended are closed (their announces are dropped) and their
	 * cancellations recorded. (A run interrupted by a new message leaves its children at work; a
	 * reset or delete cancels every child through `ending`.)
	 */
	noted(event: LaneEvent): void {
		if (event.type !== 'cancelled' || !event.runId || event.data.reason !== 'cancelled') return
		const { subagents, store } = this.#c
		const session = store.session()
		if (!session) return
		const open = subagents.runsOf(event.runId).filter((r) => r.announcedAt === null)
		for (const r of open) {
			subagents.closeRun(r.runId, event.ts)
			this.#add(session, r.sessionKey, r.agentId, r.runId, 'cancelled', event.ts)
		}
	}

	/**
	 * The session is reset or deleted (call inside its transaction): every run of every child is
	 * to be cancelled, and the children are forgotten.
	 */
	ending(reason: Exclude<CancelReason, 'cancelled'>, now: number): void {
		const { subagents, store } = this.#c
		const session = store.session()
		if (!session) return
		for (const c of subagents.children()) {
			this.#add(session, c.sessionKey, c.agentId, EVERY_RUN, reason, now)
		}
		subagents.clearChildren()
	}

	#add(
		parent: SessionRef,
		sessionKey: string,
		agentId: string,
		runId: string,
		reason: CancelReason,
		now: number,
	): void {
		const child = { tenantId: parent.tenantId, agentId, sessionKey }
		this.#c.subagents.cancels.add({ child, runId, reason }, now, CANCEL_WINDOW_MS)
		this.#enqueued = true
	}

	/** The transaction that stored cancellations committed: deliver them now. */
	committed(): void {
		if (!this.#enqueued) return
		this.#enqueued = false
		this.resume()
	}

	/** Delivers every due cancellation (a commit, the alarm, a restart). */
	resume(): void {
		if (!this.#c.host.subagents || !this.#c.subagents.cancels.present()) return
		if (this.#sending) {
			this.#again = true
			return
		}
		this.#sending = true
		let retries = 0
		this.#drained = Promise.resolve()
			.then(async () => {
				do {
					this.#again = false
					await this.#drain(() => retries++)
				} while (this.#again)
			})
			.catch((error: unknown) =>
				this.#c.host.logger.error('subagent.cancel_drain_failed', { error }),
			)
			.finally(() => {
				this.#sending = false
				if (!this.#c.store.exists()) this.#settleDeleted()
				else if (retries > 0) this.#c.reschedule()
			})
		this.#c.host.waitUntil?.(this.#drained)
	}

	/** When the next pending cancellation is due (Infinity: none). */
	nextDue(): number {
		const { cancels } = this.#c.subagents
		return cancels.present() ? cancels.nextAt() : Number.POSITIVE_INFINITY
	}

	/** Cancellations still pending (a delete keeps them across the wipe of the storage). */
	pending(): CancelRow[] {
		const { cancels } = this.#c.subagents
		return cancels.present() ? cancels.pending() : []
	}

	/**
	 * The storage was wiped: the pending cancellations are written back, alone, and go on. Once
	 * they are there (the table is) this does nothing, so it may be called again.
	 */
	keep(rows: CancelRow[]): void {
		const { cancels } = this.#c.subagents
		if (rows.length === 0 || cancels.present()) return
		this.#c.host.transaction(() => {
			cancels.create()
			cancels.restore(rows)
		})
	}

	/** Drops settled records past their keep (7 days); a deleted session's table once it is empty. */
	housekeep(now: number): void {
		const { cancels } = this.#c.subagents
		if (!cancels.present()) return
		if (this.#c.store.exists()) this.#c.tx(() => cancels.prune(now - SUBAGENT_RECORD_TTL_MS))
		else if (!this.#sending) this.#settleDeleted()
	}

	/** A deleted session: its table goes once nothing is pending; else the alarm covers the next. */
	#settleDeleted(): void {
		const { cancels } = this.#c.subagents
		if (cancels.present() && cancels.nextAt() === Number.POSITIVE_INFINITY) cancels.drop()
		this.#c.reschedule()
	}

	/** Resolves once no cancellation is being delivered. */
	async settled(): Promise<void> {
		while (this.#sending) await this.#drained
	}

	async #drain(retrying: () => void): Promise<void> {
		const seen = new Set<string>()
		for (;;) {
			const { cancels } = this.#c.subagents
			if (!cancels.present()) return
			const due = cancels
				.due(this.#c.host.now())
				.filter((r) => !seen.has(`${r.child.sessionKey}\n${r.runId}`))
			if (due.length === 0) return
			await Promise.all(
				due.map(async (row) => {
					seen.add(`${row.child.sessionKey}\n${row.runId}`)
					if (await this.#deliver(row)) retrying()
				}),
			)
		}
	}

	/** Asks the child to cancel; true when it is to be tried again later. */
	async #deliver(row: CancelRow): Promise<boolean> {
		const { host, subagents, store } = this.#c
		const ports = host.subagents
		if (!ports) return false
		const attempts = row.attempts + 1
		let error: string | undefined
		try {
			const lane = ports.lane(row.child)
			const result = await bounded<LaneResult<unknown> | 'timeout'>(
				this.#c.timers,
				CANCEL_TRY_TIMEOUT_MS,
				() => (row.runId === EVERY_RUN ? lane.cancelAll() : lane.cancel(row.runId)),
				() => 'timeout',
			)
			// Ended already, or no such run or session: nothing is left to cancel.
			if (result === 'timeout') error = `no answer within ${CANCEL_TRY_TIMEOUT_MS} ms`
			else if (
				!result.ok &&
				result.error.code !== 'conflict' &&
				result.error.code !== 'not_found'
			) {
				error = `${result.error.code}: ${result.error.message}`
			}
		} catch (e) {
			error = e instanceof Error ? e.message : String(e)
		}
		const { cancels } = subagents
		if (!cancels.present()) return false
		const now = host.now()
		// A deleted session's rows are written outside the lane's journal (it has no events).
		const write = (fn: () => void) => (store.exists() ? this.#c.tx(fn) : host.transaction(fn))
		const ref = { sessionKey: row.child.sessionKey, runId: row.runId, attempts }
		if (error === undefined) {
			write(() => cancels.done(row, attempts, now))
			host.logger.info('subagent.cancel_delivered', ref)
			return false
		}
		const wait = cancelBackoff(attempts)
		if (now + wait > row.deadlineAt) {
			const given = error
			write(() => {
				cancels.failed(row, attempts, now, given)
				if (store.exists()) {
					this.#c.emit('subagent.cancel_failed', null, {
						sessionKey: row.child.sessionKey,
						childRunId: row.runId,
						reason: row.reason,
						attempts,
						error: given.slice(0, 500),
					})
				}
			})
			host.logger.error('subagent.cancel_failed', { ...ref, reason: row.reason, error })
			return false
		}
		host.logger.warn('subagent.cancel_retry', { ...ref, waitMs: wait, error })
		write(() => cancels.retry(row, attempts, now + wait, error))
		return true
	}
}
