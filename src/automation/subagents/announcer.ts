// The child's side of "announced back durably": every run's end (answer, failure, cancellation)
// is stored as an announce in the transaction that finishes the run, and then offered to the
// parent lane until it accepts — right after the commit, then on the lane's alarm with backoff
// (15 s doubling to 5 min) for 30 minutes; then it is given up, visibly. The parent takes each
// child run once (by run id), so a retry after a lost answer never doubles it.
import { backoff } from '../../lanes/outbox-timers'
import type { LaneEvent } from '../../lanes/types'
import { parentLink, SUBAGENT_RECORD_TTL_MS, type SubagentLaneContext } from './context'
import type { Announce, AnnounceAnswer } from './ports'
import { ANNOUNCE_OUTPUT_CHARS, cut } from './render'
import type { AnnounceRow } from './store'

/** An announce not accepted within this long after its run ended is given up. */
export const ANNOUNCE_WINDOW_MS = 30 * 60_000
export const ANNOUNCE_FIRST_RETRY_MS = 15_000
export const ANNOUNCE_MAX_BACKOFF_MS = 5 * 60_000

/** The wait after the nth refused offer: 15 s · 2^(n-1), at most 5 min. */
export const announceBackoff = (n: number): number =>
	backoff(n, ANNOUNCE_FIRST_RETRY_MS, ANNOUNCE_MAX_BACKOFF_MS)

export class Announcer {
	readonly #c: SubagentLaneContext
	#sending = false
	#enqueued = false
	/** The drain in progress, for tests. */
	#drained: Promise<void> = Promise.resolve()

	constructor(c: SubagentLaneContext) {
		this.#c = c
	}

	/** A lane event was written (inside its transaction): a run's end becomes an announce. */
	noted(event: LaneEvent): void {
		const { runId, data } = event
		if (!runId) return
		if (event.type === 'error' && data.retrying === true) return
		if (event.type !== 'final' && event.type !== 'error' && event.type !== 'cancelled') return
		const { store } = this.#c
		const link = parentLink(store)
		const child = store.session()
		if (!link || !child) return
		const run = store.runs.get(runId)
		const status =
			event.type === 'final' ? 'succeeded' : event.type === 'error' ? 'failed' : 'cancelled'
		const output = typeof data.output === 'string' ? cut(data.output, ANNOUNCE_OUTPUT_CHARS) : null
		const usage =
			run && run.inputTokens !== null && run.outputTokens !== null
				? { inputTokens: run.inputTokens, outputTokens: run.outputTokens }
				: null
		const body: Announce = {
			parent: link.session,
			child,
			runId,
			label: link.label,
			status,
			output: status === 'succeeded' ? output : null,
			error:
				status === 'failed'
					? { code: String(data.code ?? 'run_failed'), message: String(data.message ?? '') }
					: null,
			usage,
			finishedAt: event.ts,
		}
		this.#c.subagents.addAnnounce(body, event.ts, event.ts + ANNOUNCE_WINDOW_MS)
		this.#enqueued = true
	}

	/** The transaction that stored announces committed: offer them now. */
	committed(): void {
		if (!this.#enqueued) return
		this.#enqueued = false
		this.resume()
	}

	/** Offers every due announce to its parent, one at a time (a commit, the alarm, a restart). */
	resume(): void {
		if (this.#sending || !this.#c.host.subagents || !this.#c.store.exists()) return
		this.#sending = true
		let retries = 0
		this.#drained = Promise.resolve()
			.then(() => this.#drain(() => retries++))
			.catch((error: unknown) =>
				this.#c.host.logger.error('subagent.announce_drain_failed', { error }),
			)
			.finally(() => {
				this.#sending = false
				// Only a retry needs the alarm moved; otherwise the lane's alarm is left alone (a
				// restarted lane's "run now" alarm must not be pushed back).
				if (retries > 0) this.#c.reschedule()
			})
		this.#c.host.waitUntil?.(this.#drained)
	}

	/** When the next pending announce is due (Infinity: none), for the lane's alarm. */
	nextDue(): number {
		return this.#c.store.exists() ? this.#c.subagents.nextAnnounceAt() : Number.POSITIVE_INFINITY
	}

	/** Drops records past their keep (7 days). */
	housekeep(now: number): void {
		this.#c.tx(() => this.#c.subagents.prune(now - SUBAGENT_RECORD_TTL_MS))
	}

	/** Resolves once no offer is in flight (tests). */
	async settled(): Promise<void> {
		while (this.#sending) await this.#drained
	}

	async #drain(retrying: () => void): Promise<void> {
		const seen = new Set<string>()
		for (;;) {
			if (!this.#c.store.exists()) return
			const due = this.#c.subagents
				.dueAnnounces(this.#c.host.now())
				.filter((row) => !seen.has(row.runId))
			if (due.length === 0) return
			for (const row of due) {
				seen.add(row.runId)
				if (await this.#offer(row)) retrying()
			}
		}
	}

	/** Offers one announce; true when it is to be tried again later. */
	async #offer(row: AnnounceRow): Promise<boolean> {
		const { host, subagents, tx, emit } = this.#c
		const ports = host.subagents
		if (!ports) return false
		const attempts = row.attempts + 1
		let answer: AnnounceAnswer
		try {
			answer = await ports.lane(row.body.parent).acceptAnnounce(row.body)
		} catch (error) {
			answer = { accepted: false, reason: error instanceof Error ? error.message : String(error) }
		}
		if (!this.#c.store.exists()) return false
		const now = host.now()
		if (answer.accepted) {
			tx(() => subagents.announceSent(row.runId, attempts, now))
			host.logger.info('subagent.announce_accepted', {
				runId: row.runId,
				outcome: answer.outcome,
				attempts,
			})
			return false
		}
		const wait = announceBackoff(attempts)
		if (now + wait > row.deadlineAt) {
			tx(() => {
				subagents.announceFailed(row.runId, attempts, answer.reason)
				emit('subagent.announce_failed', row.runId, {
					parent: row.body.parent.sessionKey,
					attempts,
					error: answer.reason.slice(0, 500),
				})
			})
			host.logger.warn('subagent.announce_failed', {
				runId: row.runId,
				attempts,
				error: answer.reason,
			})
			return false
		}
		host.logger.warn('subagent.announce_retry', {
			runId: row.runId,
			attempts,
			waitMs: wait,
			error: answer.reason,
		})
		tx(() => subagents.announceRetry(row.runId, attempts, now + wait, answer.reason))
		return true
	}
}
