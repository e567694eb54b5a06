// The rules of one schedule's timer object: arm the next slot, and on each alarm fire every slot
// that came due exactly once — claimed in the ledger (unique by due time) before the turn is
// submitted with an idempotency key of the slot, so a repeated alarm, a restart between claim and
// submit, or an early alarm never fires twice or skips. Missed slots follow the misfire policy.
// The clock, ids and fetch come in, so every rule is tested without waiting.
import { database } from '../../db/client'
import { getSchedule, reportTimer, type ScheduleRow } from '../../db/schedules'
import type { RunView } from '../../lanes/types'
import type { Logger } from '../../observability/logger'
import type { SessionRef, ToolSubject } from '../../security/subject'
import { heartbeatSkip } from '../heartbeat/gate'
import { nextTryAt } from './delivery'
import type { NewScheduleRun, ScheduleLedger, ScheduleRun } from './ledger'
import { type Outcome, ScheduleOutcomes } from './outcomes'
import { nextDue, type ScheduleDefinition, StoredDefinition } from './spec'
import { awaitTurn, submitTurn, type TurnEnv } from './turn'

/** A slot fired within this long of its due time is on time; later, it is a misfire. */
export const ON_TIME_MS = 60_000
/** How long one alarm waits for a turn's end before looking again at the next. */
export const TURN_WAIT_MS = 30_000
/** The next look at a turn still running. */
export const POLL_MS = 10_000
/** A run whose outcome is unknown this long after it fired is given up as failed. */
export const GIVE_UP_MS = 24 * 3_600_000
/** Slots looked at in one alarm (a year of minutes would otherwise be a loop). */
const MAX_SLOTS = 1_000
/** Missed slots recorded one by one per alarm; the rest are counted in the last. */
const MAX_MISSED_ROWS = 20

export type TimerEnv = TurnEnv &
	Pick<Env, 'AUDIT'> & { EDGECLAW_DEV_ALLOW_LOOPBACK?: unknown } & object

export interface TimerDeps {
	env: TimerEnv
	ledger: ScheduleLedger
	transaction<T>(fn: () => T): T
	setAlarm(at: number): Promise<void>
	deleteAlarm(): Promise<void>
	/** Forgets everything: the schedule is gone. */
	wipe(): Promise<void>
	now(): number
	newId(): string
	/** The raw fetch webhooks go out through (the SSRF guard wraps it). */
	fetch: typeof fetch
	logger: Logger
	turnWaitMs?: number
}

export interface ScheduleKey {
	tenantId: string
	scheduleId: string
}

export class ScheduleTimerLogic {
	readonly #d: TimerDeps
	readonly #outcomes: ScheduleOutcomes
	/** Runs being started or finished by this instance: an RPC and the alarm never both do one. */
	readonly #busy = new Set<string>()

	constructor(deps: TimerDeps) {
		this.#d = deps
		this.#outcomes = new ScheduleOutcomes(deps)
	}

	/** (Re)computes the next slot from the stored definition and sets the alarm; the next due time. */
	async arm(key: ScheduleKey): Promise<number | null> {
		const row = await this.#row(key)
		if (!row) {
			await this.#d.wipe()
			return null
		}
		const due = this.#sync(row, true)
		await this.#report(key, { nextDueAt: due })
		await this.#setAlarm()
		return due
	}

	/** The schedule was deleted: its alarm and ledger go. */
	async disarm(): Promise<void> {
		await this.#d.wipe()
	}

	/** POST …/run: a run now, beside the slots; its outcome arrives with a later alarm. */
	async runNow(key: ScheduleKey): Promise<ScheduleRun | undefined> {
		const row = await this.#row(key)
		if (!row) return undefined
		if (!this.#d.ledger.armed()) this.#sync(row, true)
		const def = definitionOf(row)
		const id = this.#d.newId()
		const now = this.#d.now()
		this.#d.ledger.claim(queuedRun(id, 'manual', null, now, sessionKeyOf(def, row.id, `run-${id}`)))
		await this.#start(row, def, id, 0)
		await this.#setAlarm()
		return this.#d.ledger.get(id)
	}

	runs(limit: number, beforeSeq?: number): ScheduleRun[] {
		return this.#d.ledger.list(limit, beforeSeq)
	}

	/** The alarm: settle running turns, fire what came due, set the next alarm. */
	async tick(): Promise<void> {
		const armed = this.#d.ledger.armed()
		if (!armed) return this.#d.deleteAlarm()
		let row = await this.#row(armed)
		if (!row) return this.#d.wipe()
		// Waiting for open turns takes time, in which the schedule may change: read it again after.
		if (await this.#resume(row, definitionOf(row))) row = await this.#row(armed)
		if (!row) return this.#d.wipe()
		const def = definitionOf(row)
		await this.#retryDeliveries(row, def)
		const due = this.#sync(row, false)
		if (row.enabled && due !== null && due <= this.#d.now()) await this.#fireDue(row, def, due)
		this.#d.ledger.prune()
		await this.#setAlarm()
	}

	#row(key: ScheduleKey): Promise<ScheduleRow | undefined> {
		return getSchedule(database(this.#d.env.DB), key.tenantId, key.scheduleId)
	}

	/**
	 * The armed slot for the stored definition: kept while the version is the one it was computed
	 * for (unless `recompute`), else the first slot after now (none while disabled).
	 */
	#sync(row: ScheduleRow, recompute: boolean): number | null {
		const armed = this.#d.ledger.armed()
		// A row older than the armed slot's is a stale read: the newer arm stands.
		if (armed && armed.version >= row.version && !recompute) return armed.dueAt
		const def = definitionOf(row)
		const dueAt = row.enabled ? nextDue(def.schedule, row.anchorAt, this.#d.now()) : null
		this.#d.ledger.arm({ tenantId: row.tenantId, scheduleId: row.id, version: row.version, dueAt })
		return dueAt
	}

	async #fireDue(row: ScheduleRow, def: ScheduleDefinition, first: number): Promise<void> {
		const now = this.#d.now()
		const slots: number[] = []
		let next: number | null = first
		while (next !== null && next <= now && slots.length < MAX_SLOTS) {
			slots.push(next)
			next = nextDue(def.schedule, row.anchorAt, next)
		}
		if (next !== null && next <= now) next = nextDue(def.schedule, row.anchorAt, now)
		const latest = slots.at(-1) as number
		const late = now - latest
		const inTime =
			late <= ON_TIME_MS || (def.misfire.policy === 'runOnce' && late <= def.misfire.maxLatenessMs)
		const running = this.#d.ledger.pending(1).length > 0
		const fire = inTime && !running
		const missed = fire || (inTime && running) ? slots.slice(0, -1) : slots
		const id = this.#d.newId()
		const claimed = this.#d.transaction(() => {
			const armed = this.#d.ledger.armed()
			// An arm (PATCH) between reading and now moved the slot: its version decides, not this alarm.
			if (armed?.dueAt !== first || armed.version !== row.version) return false
			const recorded = missed.slice(-MAX_MISSED_ROWS)
			for (const [i, dueAt] of recorded.entries()) {
				const earlier = i === 0 ? missed.length - recorded.length : 0
				this.#d.ledger.claim({
					...queuedRun(this.#d.newId(), 'schedule', dueAt, now, null),
					status: 'missed',
					finishedAt: now,
					delivery: 'none',
					error: `${Math.round((now - dueAt) / 1000)} s late (misfire policy ${def.misfire.policy})${earlier > 0 ? `; ${earlier} earlier slots missed too` : ''}`,
				})
			}
			if (inTime && running) {
				this.#d.ledger.claim({
					...queuedRun(this.#d.newId(), 'schedule', latest, now, null),
					status: 'skipped',
					finishedAt: now,
					delivery: 'none',
					error: 'the previous run of this schedule was still running',
				})
			}
			const won =
				fire &&
				this.#d.ledger.claim(
					queuedRun(id, 'schedule', latest, now, sessionKeyOf(def, row.id, String(latest))),
				)
			this.#d.ledger.arm({ ...armed, dueAt: next })
			return won
		})
		await this.#report(row, { nextDueAt: next })
		if (claimed) await this.#start(row, def, id, this.#d.turnWaitMs ?? TURN_WAIT_MS)
	}

	/** Submits a claimed run's turn (again, after a restart: the idempotency key makes it one). */
	async #start(row: ScheduleRow, def: ScheduleDefinition, runId: string, waitMs: number) {
		if (this.#busy.has(runId)) return
		this.#busy.add(runId)
		try {
			const run = this.#d.ledger.get(runId)
			if (run?.status !== 'queued') return
			if (await this.#heartbeatSkipped(row, def, run)) return
			const reply = await this.#outcomes.replyRoute(row, def)
			if ('error' in reply) return await this.#finish(row, def, run, { error: reply.error })
			let submitted: Awaited<ReturnType<typeof submitTurn>>
			try {
				submitted = await submitTurn(
					this.#d.env,
					{
						session: sessionOf(row, run),
						message: def.target.message,
						subject: row.subject as ToolSubject,
						idempotencyKey: `schedule:${row.id}:${run.dueAt ?? run.id}`,
						...(reply.route && { reply: reply.route }),
					},
					waitMs,
				)
			} catch (error) {
				// The lane did not answer: the run stays queued and the next alarm submits it again.
				this.#d.logger.warn('schedule.submit_failed', { schedule: row.id, error })
				return
			}
			if (!submitted.ok) return await this.#finish(row, def, run, { error: submitted.error })
			this.#d.ledger.update(runId, { laneRunId: submitted.runId })
			if (submitted.final) {
				await this.#finish(row, def, { ...run, laneRunId: submitted.runId }, submitted.final)
			}
		} finally {
			this.#busy.delete(runId)
		}
	}

	/**
	 * An agent's heartbeat slot outside its active hours or in an idle session is recorded skipped
	 * and runs no turn (a manual run is always run); true when it was.
	 */
	async #heartbeatSkipped(row: ScheduleRow, def: ScheduleDefinition, run: ScheduleRun) {
		if (!def.heartbeat || run.trigger !== 'schedule' || run.laneRunId !== null) return false
		const reason = await heartbeatSkip(def.heartbeat, {
			db: this.#d.env.DB,
			ledger: this.#d.ledger,
			tenantId: row.tenantId,
			sessionKey: def.target.session,
			since: row.createdAt.getTime(),
			now: this.#d.now(),
		})
		if (reason === null) return false
		this.#d.ledger.update(run.id, {
			status: 'skipped',
			finishedAt: this.#d.now(),
			error: reason,
			delivery: 'none',
		})
		return true
	}

	/** Looks at the runs still waiting for their turn's end (or for their submit); true if any. */
	async #resume(row: ScheduleRow, def: ScheduleDefinition): Promise<boolean> {
		const waitMs = this.#d.turnWaitMs ?? TURN_WAIT_MS
		const pending = this.#d.ledger.pending()
		for (const run of pending) {
			if (this.#busy.has(run.id)) continue
			const age = this.#d.now() - run.firedAt
			if (run.laneRunId === null) {
				if (age > GIVE_UP_MS) {
					await this.#finish(row, def, run, { error: 'the session lane never took the message' })
				} else await this.#start(row, def, run.id, waitMs)
				continue
			}
			this.#busy.add(run.id)
			try {
				const ended = await awaitTurn(this.#d.env, sessionOf(row, run), run.laneRunId, waitMs)
				if (ended && 'gone' in ended) await this.#finish(row, def, run, { error: ended.gone })
				else if (ended) await this.#finish(row, def, run, ended)
				else if (age > GIVE_UP_MS) {
					await this.#finish(row, def, run, { error: 'the turn did not end within 24 h' })
				}
			} catch (error) {
				this.#d.logger.warn('schedule.wait_failed', { schedule: row.id, error })
			} finally {
				this.#busy.delete(run.id)
			}
		}
		return pending.length > 0
	}

	async #finish(
		row: ScheduleRow,
		def: ScheduleDefinition,
		run: ScheduleRun,
		ended: RunView | { error: string },
	): Promise<void> {
		const outcome: Outcome = await this.#outcomes.deliver(row, def, run, ended)
		const now = this.#d.now()
		const retryAt =
			outcome.delivery === 'pending' ? nextTryAt(outcome.attempts, now, now) : undefined
		this.#d.ledger.update(run.id, {
			status: outcome.ok ? 'ok' : 'failed',
			finishedAt: now,
			error: outcome.error,
			delivery: outcome.delivery,
			deliveryError: outcome.deliveryError,
			deliveryAttempts: outcome.attempts,
			deliveryNextAt: retryAt ?? null,
			deliveryBody: outcome.retryBody ?? null,
		})
		// A delivery still being retried counts for the streak once it is settled.
		if (outcome.delivery !== 'pending') await this.#settle(row, def, run, outcome)
	}

	/** Tries again every webhook delivery whose retry is due; settles those sent or given up. */
	async #retryDeliveries(row: ScheduleRow, def: ScheduleDefinition): Promise<void> {
		for (const { run, body } of this.#d.ledger.retriesDue(this.#d.now())) {
			if (this.#busy.has(run.id)) continue
			this.#busy.add(run.id)
			try {
				const posted =
					def.delivery.type === 'webhook' && body !== null
						? await this.#outcomes.post(row, def.delivery.url, run.id, body)
						: { ok: false as const, permanent: true, error: 'the delivery is no longer a webhook' }
				const attempts = run.deliveryAttempts + 1
				const now = this.#d.now()
				const next =
					posted.ok || posted.permanent
						? null
						: nextTryAt(attempts, run.finishedAt ?? run.firedAt, now)
				if (!posted.ok && next !== null) {
					this.#d.ledger.update(run.id, {
						deliveryAttempts: attempts,
						deliveryNextAt: next,
						deliveryError: posted.error,
					})
					continue
				}
				const outcome: Outcome = posted.ok
					? {
							ok: run.status === 'ok',
							error: run.error,
							delivery: 'sent',
							deliveryError: null,
							attempts,
						}
					: {
							ok: false,
							error: run.error ?? posted.error,
							delivery: 'failed',
							deliveryError: posted.error,
							attempts,
						}
				this.#d.ledger.update(run.id, {
					status: outcome.ok ? 'ok' : 'failed',
					error: outcome.error,
					delivery: outcome.delivery,
					deliveryError: outcome.deliveryError,
					deliveryAttempts: attempts,
					deliveryNextAt: null,
					deliveryBody: null,
				})
				if (!posted.ok) {
					this.#d.logger.warn('schedule.delivery_failed', {
						schedule: row.id,
						run: run.id,
						attempts,
						error: posted.error,
					})
				}
				await this.#settle(row, def, run, outcome)
			} finally {
				this.#busy.delete(run.id)
			}
		}
	}

	/** Counts a settled run for the failure streak; the armed slot goes when that turned it off. */
	async #settle(row: ScheduleRow, def: ScheduleDefinition, run: ScheduleRun, outcome: Outcome) {
		const disabled = await this.#outcomes.account(row, def, run, outcome)
		if (disabled) {
			const armed = this.#d.ledger.armed()
			if (armed) this.#d.ledger.arm({ ...armed, dueAt: null })
		}
	}

	async #report(key: ScheduleKey | ScheduleRow, report: { nextDueAt: number | null }) {
		const tenantId = key.tenantId
		const id = 'scheduleId' in key ? key.scheduleId : key.id
		await reportTimer(database(this.#d.env.DB), { tenantId, id }, report)
	}

	/**
	 * The alarm: the earliest of the armed slot, the next delivery retry, and the next look at a
	 * turn whose outcome is still awaited.
	 */
	async #setAlarm(): Promise<void> {
		const due = this.#d.ledger.armed()?.dueAt ?? null
		const poll = this.#d.ledger.pending(1).length > 0 ? this.#d.now() + POLL_MS : null
		const times = [due, poll, this.#d.ledger.nextRetryAt()].filter((t): t is number => t !== null)
		const at = times.length > 0 ? Math.min(...times) : null
		if (at === null) await this.#d.deleteAlarm()
		else await this.#d.setAlarm(at)
	}
}

export function definitionOf(row: ScheduleRow): ScheduleDefinition {
	return StoredDefinition.parse(row.definition) as ScheduleDefinition
}

/** `isolated` gets a session of its own per run; any other value names the session. */
function sessionKeyOf(def: ScheduleDefinition, scheduleId: string, slot: string): string {
	return def.target.session === 'isolated'
		? `schedule:${scheduleId}:${slot}`.slice(0, 256)
		: def.target.session
}

function sessionOf(row: ScheduleRow, run: ScheduleRun): SessionRef {
	const def = definitionOf(row)
	return {
		tenantId: row.tenantId,
		agentId: def.target.agentId,
		sessionKey: run.sessionKey ?? def.target.session,
	}
}

function queuedRun(
	id: string,
	trigger: ScheduleRun['trigger'],
	dueAt: number | null,
	now: number,
	sessionKey: string | null,
): NewScheduleRun {
	return {
		id,
		trigger,
		dueAt,
		firedAt: now,
		finishedAt: null,
		status: 'queued',
		laneRunId: null,
		sessionKey,
		error: null,
		delivery: 'pending',
		deliveryError: null,
	}
}

/** The name of a schedule's timer object: one per schedule, so due times never share a writer. */
export const timerName = (tenantId: string, scheduleId: string): string =>
	`${tenantId}/${scheduleId}`

/** A schedule's timer object, for whoever writes schedules (the API; heartbeats from agent config). */
export const scheduleTimer = (
	env: Pick<Env, 'SCHEDULE_TIMER'>,
	tenantId: string,
	scheduleId: string,
) => env.SCHEDULE_TIMER.getByName(timerName(tenantId, scheduleId))
