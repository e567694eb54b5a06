// The session lane: a FIFO of runs executed one at a time, with queue modes, idempotency, caps,
// deadlines, recovery after restarts, compaction and the outbox of replies to channels. It owns no
// I/O of its own: storage, clock, the tenant's concurrency gate, the sessions index, subscribers,
// the model and the reply sink come in as a host.
import { type Announce, type AnnounceAnswer, LaneSubagents } from '../automation/subagents/index'
import type { SessionRef } from '../security/subject'
import type { ClaimAnswer } from '../tools/jobs'
import type { ToolOutcome } from '../tools/registry'
import { admit } from './admission'
import { SubmitBurst } from './burst'
import type { LaneHost } from './host'
import { LaneJournal } from './journal'
import { limitsFor } from './limits'
import { endedQueued } from './metrics'
import { LaneOutbox, type OutboxTimers } from './outbox'
import { realTimers } from './outbox-timers'
import { recoverRuns } from './recovery'
import { Housekeeping, nextExpiry } from './retention'
import { sessionToolCalls } from './session-tools'
import { type LaneStore, type RunRecord, runView } from './store'
import { StuckRuns } from './stuck'
import type { ApprovalChoice, LaneToolCalls } from './tool-calls'
import type { ApprovalView, ToolJobTimes } from './tool-store'
import {
	type ActiveRun,
	activeRun,
	executeTurn,
	insertUser,
	RunStopped,
	type StopReason,
	type TurnContext,
} from './turn'
import {
	type DeliveryStatus,
	type DeliveryView,
	fail,
	isFinished,
	type LaneEvent,
	type LaneResult,
	type MessageView,
	ok,
	type RunStatus,
	type RunView,
	type SessionInfo,
	type SubmitOutcome,
	type SubmitRequest,
} from './types'
import { deliveryList, indexRow, messagePage, runOf, runPage, sessionInfo } from './views'
import { RunWaiters } from './waiters'
import { HEARTBEAT_MS, nextWake } from './wake'

export type { LaneHost, SessionIndex, SlotGate, Subscribers } from './host'
export { HEARTBEAT_MS } from './wake'

/** What a lane takes besides its host (tests: the outbox's clock). */
export interface LaneOptions {
	outboxTimers?: Partial<OutboxTimers>
}

export class Lane {
	readonly #host: LaneHost
	#active: ActiveRun | undefined
	#pumping = false
	/** Set while a reset or a delete stops the active run: nothing queued starts under it. */
	#halted = false
	#holdsSlot = false
	/** A run of this instance has ended (the first one's index row is written at once). */
	#ranOnce = false
	/** Messages taken while the lane is busy, stored together at the end of this task. */
	readonly #burst: SubmitBurst
	/** The last run that ended in this instance, for the sessions index. */
	#lastRun: { id: string; status: RunStatus } | undefined
	/** This instance wrote the session's index row, or cannot tell (a throwaway one writes none). */
	#indexed = true
	/** Callers reading a run's end (`wait`): a throwaway session is not deleted under them. */
	#readers = 0
	/** A throwaway session's deletion is scheduled or under way. */
	#retiring = false
	/** The deletion under way: a second one (the lane's own and a caller's) joins it. */
	#wiping: Promise<LaneResult<{ deleted: true }>> | undefined
	readonly #housekeeping = new Housekeeping()
	readonly #waiters = new RunWaiters()
	readonly #journal: LaneJournal
	readonly #tools: LaneToolCalls
	readonly #outbox: LaneOutbox
	readonly #stuck: StuckRuns
	/** Child sessions: announcing runs' ends to a parent, taking children's, cascades. */
	readonly #subagents: LaneSubagents

	constructor(host: LaneHost, options: LaneOptions = {}) {
		this.#host = host
		this.#journal = new LaneJournal(host, {
			noted: (event) => {
				this.#outbox.noted(event)
				this.#subagents.noted(event)
			},
			committed: () => {
				this.#outbox.committed()
				this.#subagents.committed()
			},
		})
		this.#tools = sessionToolCalls(host, this.#journal, () => {
			this.#indexed = true
		})
		this.#burst = new SubmitBurst({
			tx: (fn) => this.#journal.tx(fn),
			admit: (req, now) => this.#admit(req, now),
			now: () => this.#host.now(),
			taken: (session, now) => {
				this.#indexNow(session, now)
				void this.pump()
			},
		})
		this.#outbox = new LaneOutbox(host, {
			...this.#turnOps,
			reschedule: () => this.#scheduleNext(),
			timers: options.outboxTimers,
		})
		this.#stuck = new StuckRuns(this.#turnOps)
		this.#subagents = new LaneSubagents({
			...this.#turnOps,
			subagents: host.store.subagents,
			admit: (req) => this.#admit(req, this.#host.now()),
			admitted: (session) => {
				this.#indexNow(session, this.#host.now())
				void this.pump()
			},
			reschedule: () => (this.#store.exists() ? this.#scheduleNext() : this.#scheduleCancels()),
			timers: { ...realTimers, ...options.outboxTimers },
		})
	}

	get #store(): LaneStore {
		return this.#host.store
	}

	/** What the turn module's helpers need, for the lane's own use of them (recovery, start). */
	get #turnOps(): Pick<TurnContext, 'store' | 'host' | 'emit' | 'tx'> {
		return {
			store: this.#store,
			host: this.#host,
			emit: (t, r, d) => this.#journal.emit(t, r, d),
			tx: (fn) => this.#journal.tx(fn),
		}
	}

	exists(): boolean {
		return this.#store.exists()
	}

	// ── writes ──────────────────────────────────────────────────────────────────────────────────

	/** Takes a message into the lane. Synchronous: when it returns, the message is stored. */
	submit(req: SubmitRequest): LaneResult<SubmitOutcome> {
		const now = this.#host.now()
		const result = this.#journal.tx(() => this.#admit(req, now))
		if (result.ok && !result.value.duplicate) {
			this.#indexNow(req.session, now)
			void this.pump()
		}
		// A throwaway session whose only message was refused has nothing left to do.
		if (!result.ok) this.#retireWhenDone()
		return result
	}

	/**
	 * Takes a message, as the RPC path does: while the lane is busy, the messages that arrive until
	 * its next task are stored together, in order, in one transaction (burst.ts) — one commit for
	 * the burst, not one per message — and each caller hears back only once that transaction is
	 * done, so every message is stored before it is acknowledged. An idle lane takes a message at
	 * once (`submit`), so a lone message waits for nothing.
	 */
	accept(req: SubmitRequest): Promise<LaneResult<SubmitOutcome>> {
		if (!this.#burst.pending && !this.#active && !this.#pumping) {
			return Promise.resolve(this.submit(req))
		}
		return this.#burst.add(req)
	}

	/** Takes a message in (inside the caller's transaction); the caller pumps after the commit. */
	#admit(req: SubmitRequest, now: number): LaneResult<SubmitOutcome> {
		return admit(
			{
				...this.#turnOps,
				active: this.#active,
				interrupt: (active) => this.#stop(active, 'interrupted'),
				created: (session, at) => {
					// A throwaway session created here has no index row to remove when it goes.
					if (this.#store.ephemeral()) this.#indexed = false
					this.#indexNow(session, at)
				},
			},
			req,
			limitsFor(req.agent),
			now,
		)
	}

	/** A child session's run ended: its announce, taken once (src/automation/subagents/). */
	acceptAnnounce(announce: Announce): Promise<AnnounceAnswer> {
		return this.#subagents.accept(announce)
	}

	/** Cancels every queued and running run of the session (a parent's reset or delete cascading). */
	async cancelAll(): Promise<LaneResult<{ cancelled: number }>> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		const ids = [
			...(this.#active ? [this.#active.id] : []),
			...this.#store.runs.withStatus('queued').map((r) => r.id),
		]
		let cancelled = 0
		for (const id of ids) if ((await this.cancel(id)).ok) cancelled++
		return ok({ cancelled })
	}

	/** Waits until the run finishes or `timeoutMs` passes; returns its current view either way. */
	async wait(runId: string, timeoutMs: number): Promise<RunView | undefined> {
		const run = this.#store.exists() ? this.#store.runs.get(runId) : undefined
		if (!run || isFinished(run.status)) return run && runView(run)
		this.#readers++
		try {
			await this.#waiters.wait(runId, timeoutMs)
			const after = this.#store.exists() ? this.#store.runs.get(runId) : undefined
			return after && runView(after)
		} finally {
			this.#readers--
			this.#retireWhenDone()
		}
	}

	/**
	 * Waits like `wait`, holding the run's reply meanwhile: the finished run when it was answered
	 * inline — it finished while this or an earlier such wait held it (a caller's retry), so its
	 * answer is the caller's to give and the outbox sends none — else undefined (the answer goes
	 * out through the outbox). Exactly one of the two paths answers a run.
	 */
	async waitInline(runId: string, timeoutMs: number): Promise<RunView | undefined> {
		const hold = this.#outbox.hold(runId)
		this.#readers++
		try {
			await this.wait(runId, timeoutMs).finally(() => this.#outbox.release(hold))
			const run = this.#store.exists() ? this.#store.runs.get(runId) : undefined
			return run && this.#store.runs.answeredInline(runId) ? runView(run) : undefined
		} finally {
			this.#readers--
			this.#retireWhenDone()
		}
	}

	async cancel(runId: string): Promise<LaneResult<RunView>> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		const run = this.#store.runs.get(runId)
		if (!run) return fail('not_found', `No run ${runId} in this session.`)
		if (isFinished(run.status)) return fail('conflict', `Run ${runId} already ${run.status}.`)
		if (run.status === 'queued') {
			const finishedAt = this.#host.now()
			this.#journal.tx(() => {
				this.#store.runs.finish(runId, { status: 'cancelled', finishedAt })
				this.#journal.emit('cancelled', runId, { reason: 'cancelled' })
			})
			endedQueued(this.#host.metrics, [run], 'cancelled', finishedAt)
			this.#waiters.wake(runId)
			void this.pump()
		} else if (this.#active?.id === runId) {
			const active = this.#active
			this.#stop(active, 'cancelled')
			await active.done
		}
		// The cancelled run's children: recorded with its end, each tried once before this returns.
		await this.#subagents.cancelsSettled()
		return ok(runView(this.#store.runs.get(runId) as RunRecord))
	}

	/** A new, empty transcript under the same session id; subscribers and event seq continue. */
	async reset(): Promise<LaneResult<SessionInfo>> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		await this.#halt(() => this.#stopActive('reset'))
		const session = this.#store.session() as SessionRef
		const now = this.#host.now()
		const queued = this.#store.runs.withStatus('queued')
		this.#journal.tx(() => {
			for (const run of queued) this.#journal.emit('cancelled', run.id, { reason: 'reset' })
			this.#store.clearTranscript()
			this.#store.tools.clearGrants()
			this.#store.setMeta('updated_at', String(now))
			this.#subagents.ending('reset', now)
			this.#journal.emit('reset', null, {})
		})
		endedQueued(this.#host.metrics, queued, 'reset', now)
		for (const run of queued) this.#waiters.wake(run.id)
		this.#indexNow(session, now)
		this.#releaseSlot(session)
		this.#scheduleNext()
		// The children's cancellations are stored; each is tried once before this returns.
		await this.#subagents.cancelsSettled()
		return ok(this.#info())
	}

	/** Wipes the session: storage, alarm, index row, subscribers, its slot. */
	async destroy(): Promise<LaneResult<{ deleted: true }>> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		return this.#wipe()
	}

	#wipe(): Promise<LaneResult<{ deleted: true }>> {
		this.#wiping ??= this.#halt(() => this.#destroy()).finally(() => {
			this.#wiping = undefined
		})
		return this.#wiping
	}

	async #destroy(): Promise<LaneResult<{ deleted: true }>> {
		await this.#stopActive('reset')
		const session = this.#store.session() as SessionRef
		const agent = this.#store.runs.latestAgent()
		// Runs still queued end with the session (no event: nobody is left to hear it).
		const queued = this.#store.runs.withStatus('queued')
		this.#journal.tx(() => this.#subagents.ending('deleted', this.#host.now()))
		await this.#subagents.cancelsSettled()
		this.#host.subscribers.closeAll(4404, 'session deleted')
		if (agent) {
			await this.#host.toolbox
				.sessionEnded(session, agent.config.sandbox)
				.catch((error: unknown) => this.#host.logger.error('lane.sandbox_end_failed', { error }))
		}
		this.#releaseSlot(session)
		if (this.#indexed) await this.#host.index.remove(session)
		this.#host.setAlarm(null)
		// Children not reached yet outlive the wipe: their cancellations are written back alone.
		const unreached = this.#subagents.pendingCancels()
		const wiped = this.#host.deleteAll()
		// SQLite storage wipes at once: written back in the same turn, no restart falls between.
		this.#subagents.keepCancels(unreached)
		await wiped
		endedQueued(this.#host.metrics, queued, 'deleted', this.#host.now())
		this.#store.forget()
		this.#lastRun = undefined
		this.#indexed = true
		// A storage that wiped only later took them too: written back again.
		this.#subagents.keepCancels(unreached)
		this.#outbox.forget()
		this.#waiters.wakeAll()
		this.#scheduleCancels()
		return ok({ deleted: true })
	}

	// ── reads ───────────────────────────────────────────────────────────────────────────────────

	getRun(runId: string): LaneResult<RunView> {
		const run = runOf(this.#store, runId)
		return run.ok ? ok(this.#subagents.withChildren(run.value)) : run
	}

	/** The newest `limit` messages of the transcript, oldest first (a parent reading its child). */
	tailMessages(limit: number): LaneResult<MessageView[]> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		return ok(this.#store.transcript.active().slice(-Math.max(1, Math.min(limit, 500))))
	}

	listMessages(
		afterSeq: number,
		limit: number,
	): LaneResult<{ messages: MessageView[]; next: number | null }> {
		return messagePage(this.#store, afterSeq, limit)
	}

	listRuns(afterSeq: number, limit: number): LaneResult<{ runs: RunView[]; next: number | null }> {
		return runPage(this.#store, afterSeq, limit)
	}

	info(): LaneResult<SessionInfo> {
		return this.#store.exists() ? ok(this.#info()) : fail('not_found', 'No such session.')
	}

	eventsAfter(seq: number, limit: number): LaneEvent[] {
		return this.#store.exists() ? this.#store.events.after(seq, limit) : []
	}

	/** The outbox, newest first: every delivery, or those of one status (`failed`: dead letters). */
	listDeliveries(
		status: DeliveryStatus | undefined,
		limit: number,
	): LaneResult<{ deliveries: DeliveryView[] }> {
		return deliveryList(this.#store, status, limit)
	}

	// ── tools ───────────────────────────────────────────────────────────────────────────────────

	/** A queue consumer asks whether it may run a tool job of this lane. */
	claimToolJob(jobId: string): ClaimAnswer {
		return this.#store.exists() ? this.#tools.claim(jobId) : 'gone'
	}

	/** The run's tool jobs the lane still waits for (its trace shows them running). */
	openToolJobsOfRun(runId: string): ToolJobTimes[] {
		return this.#tools.openJobsOfRun(runId)
	}

	/** A queue consumer delivers a tool job's outcome; false when nobody waits for it. */
	deliverToolResult(jobId: string, outcome: ToolOutcome): boolean {
		return this.#store.exists() && this.#tools.deliver(jobId, outcome)
	}

	/** A human decides an approval of an elevated tool call. */
	decideApproval(id: string, choice: ApprovalChoice, by: string): LaneResult<ApprovalView> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		return this.#tools.decide(id, choice, by)
	}

	listApprovals(limit: number): LaneResult<{ approvals: ApprovalView[] }> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		return ok({ approvals: this.#tools.list(limit) })
	}

	// ── the pump ────────────────────────────────────────────────────────────────────────────────

	/** Starts the next queued run when the lane is idle and the tenant has a free slot. */
	async pump(): Promise<void> {
		if (this.#pumping || this.#active || this.#halted || !this.#store.exists()) return
		this.#pumping = true
		try {
			while (!this.#active) {
				const head = this.#store.runs.head()
				const session = this.#store.session()
				if (!head || !session) {
					if (session) this.#releaseSlot(session)
					break
				}
				if (head.gateLimit === null) {
					// Uncapped tenant: no gate, no round trip.
					this.#releaseSlot(session)
					this.#start(head)
					continue
				}
				let granted: boolean
				try {
					granted = await this.#host
						.gate(session.tenantId)
						.acquire(head.agent.config.limits.runDeadlineMs + HEARTBEAT_MS, head.gateLimit)
				} catch (error) {
					this.#host.logger.error('lane.gate_failed', { error })
					granted = false
				}
				if (this.#active || this.#halted || !this.#store.exists()) break
				const next = this.#store.runs.head()
				if (!granted) {
					this.#holdsSlot = false
					if (next && !next.waitingSlot)
						this.#journal.tx(() => this.#store.runs.setWaitingSlot(next.id, true))
					this.#scheduleNext()
					break
				}
				this.#holdsSlot = true
				if (next) this.#start(next)
			}
		} finally {
			this.#pumping = false
		}
	}

	/** The tenant gate has a slot for this lane now. */
	slotGranted(): Promise<void> {
		this.#holdsSlot = true
		return this.pump()
	}

	/** Wakes from the alarm: enforce deadlines, housekeeping, resume work. */
	async alarm(): Promise<void> {
		if (!this.#store.exists()) {
			// A deleted session may still owe its children their cancellation.
			this.#subagents.resume(this.#host.now())
			return
		}
		const now = this.#host.now()
		if (this.#active && now >= this.#active.deadline) this.#stop(this.#active, 'deadline')
		this.#unstick(now)
		// A throwaway session keeps nothing long enough to prune.
		if (!this.#store.ephemeral()) {
			this.#housekeeping.run(this.#store, (fn) => this.#journal.tx(fn), now)
		}
		this.#outbox.resume()
		this.#subagents.resume(now)
		await this.pump()
		// An idle throwaway session goes now, also if an event stream it opened never closed.
		if (this.#idleThrowaway({ streams: false })) return this.#retire()
		this.#scheduleNext()
	}

	/**
	 * After a restart: runs that were running when the lane went away are put back at the head of
	 * the queue (or failed once they used their attempts or deadline), each with an error event.
	 */
	async recover(): Promise<void> {
		if (!this.#store.exists()) {
			this.#subagents.resume(this.#host.now())
			return
		}
		if (this.#store.ephemeral()) {
			// Whoever waited for a throwaway session's answer lost it with the restart: nobody can
			// take it any more, so the session goes instead of running its turn again.
			return this.#retire()
		}
		const now = this.#host.now()
		this.#journal.tx(() => {
			this.#store.migrate()
			recoverRuns(this.#turnOps, this.#tools, now)
			this.#outbox.recover(now)
		})
		this.#stuck.settle()
		this.#outbox.resume()
		this.#subagents.resume(now)
		if (this.#store.runs.count('queued') > 0) this.#host.setAlarm(now)
		else this.#scheduleNext()
	}

	// ── running one turn ────────────────────────────────────────────────────────────────────────

	#start(run: RunRecord): void {
		const now = this.#host.now()
		const deadline = now + run.agent.config.limits.runDeadlineMs
		this.#journal.tx(() => {
			this.#store.runs.markRunning(run.id, now, deadline)
			for (const m of run.input) insertUser(this.#turnOps, m, run.id)
			this.#journal.emit('started', run.id, { attempt: run.attempt + 1, deadline })
		})
		// The runs waiting behind this one as it starts (its run point's queue depth).
		const queueDepth = this.#store.runs.count('queued')
		const active = activeRun(run, { startedAt: now, deadline, queueDepth })
		this.#active = active
		this.#indexNow(this.#store.session() as SessionRef, now)
		const timer = setTimeout(() => this.#stop(active, 'deadline'), deadline - now)
		const stopTyping = this.#outbox.typing(run.id)
		this.#scheduleNext()
		const turn: TurnContext = {
			...this.#turnOps,
			tools: this.#tools,
			live: () => this.#active === active && !active.reason,
			sessions: (r, call) => this.#subagents.sessionsFor(r, call),
		}
		const turnDone = executeTurn(turn, run, active).finally(() => {
			clearTimeout(timer)
			stopTyping()
		})
		const ended = (status: RunStatus) => {
			if (this.#active === active) this.#active = undefined
			const session = this.#store.exists() ? this.#store.session() : undefined
			// The first run to end here goes to the index at once: a new session's list row would
			// otherwise show no answer for up to one write interval; later ones are paced.
			const first = !this.#ranOnce
			this.#ranOnce = true
			if (session) this.#indexNow(session, this.#host.now(), { id: run.id, status }, first)
			this.#waiters.wake(run.id)
			this.#scheduleNext()
			void this.pump()
			this.#retireWhenDone()
		}
		active.done = turnDone.then(ended, (error: unknown) => {
			// Its end was not recorded: a run left `running` holds the lane until stuck.ts fails it.
			this.#host.logger.error('lane.turn_lost', { runId: run.id, error })
			const stored = this.#store.exists() ? this.#store.runs.get(run.id)?.status : undefined
			if (stored && isFinished(stored)) ended(stored)
		})
	}

	#stop(active: ActiveRun, reason: StopReason): void {
		if (active.reason) return
		active.reason = reason
		active.controller.abort(new RunStopped(reason))
	}

	/** Runs `fn` with the pump halted (a run that stops under it lets nothing queued start). */
	async #halt<T>(fn: () => Promise<T>): Promise<T> {
		this.#halted = true
		try {
			return await fn()
		} finally {
			this.#halted = false
		}
	}

	/** Stops the active run for a reset or delete, which wipe its row: a lost turn lets go too. */
	async #stopActive(reason: StopReason): Promise<void> {
		const active = this.#active
		if (!active) return
		this.#stop(active, reason)
		await active.done
		if (this.#active === active) this.#active = undefined
	}

	// ── helpers ─────────────────────────────────────────────────────────────────────────────────

	/**
	 * Asks for the session's index row as of `now`; the row is read when the write goes out (at most
	 * once per interval), with the last run that ended here.
	 */
	#indexNow(
		session: SessionRef,
		now: number,
		run?: { id: string; status: RunStatus },
		immediate = false,
	): void {
		if (run) this.#lastRun = run
		// A throwaway session is never listed: its key is random and nobody comes back to it.
		if (this.#store.exists() && this.#store.ephemeral()) return
		this.#indexed = true
		const lastRun = this.#lastRun
		const read = () => indexRow(this.#store, now, lastRun, this.#stuck.since())
		this.#host.index.upsert(session, read, immediate ? { now: true } : {})
	}

	/**
	 * Deletes a throwaway session once nothing is left for it to do: no run queued or running, no
	 * caller reading a run's end, no event stream open. The deletion starts after the current
	 * task, so an answer just handed to a caller leaves first: it is off the caller's path. If
	 * this instance goes away first, the lane's alarm (armed while a run is active) restarts the
	 * object, and recovery deletes it.
	 */
	#retireWhenDone(): void {
		if (this.#retiring || !this.#idleThrowaway({ streams: true })) return
		this.#retiring = true
		setTimeout(() => {
			this.#retiring = false
			if (this.#idleThrowaway({ streams: true })) void this.#retire()
		}, 0)
	}

	/** A throwaway session with nothing to do, and (`streams`) no event stream open. */
	#idleThrowaway(wait: { streams: boolean }): boolean {
		return (
			this.#store.exists() &&
			this.#store.ephemeral() &&
			this.#active === undefined &&
			this.#readers === 0 &&
			(!wait.streams || (this.#host.subscribers.streamCount ?? 0) === 0) &&
			this.#store.runs.count('queued') === 0
		)
	}

	/** Deletes a throwaway session (as `destroy`); after a failure an alarm tries again. */
	async #retire(): Promise<void> {
		this.#retiring = true
		try {
			if (this.#store.exists()) await this.#wipe()
			await this.#host.flushWrites?.()
		} catch (error) {
			this.#host.logger.error('lane.retire_failed', { error })
			if (this.#store.exists()) this.#host.setAlarm(this.#host.now() + HEARTBEAT_MS)
		} finally {
			this.#retiring = false
		}
	}

	/** An event stream closed: a throwaway session may have been waiting only for it. */
	streamClosed(): void {
		this.#retireWhenDone()
	}

	/** Fails runs stuck past their deadline (stuck.ts); a failed active run lets the lane go on. */
	#unstick(now: number): void {
		const { found, failed } = this.#stuck.check(now)
		for (const runId of failed) {
			// Stopped at its deadline already; its turn never let go.
			if (this.#active?.id === runId) this.#active = undefined
			this.#waiters.wake(runId)
		}
		const session = found > 0 ? this.#store.session() : undefined
		if (session) this.#indexNow(session, now)
	}

	#releaseSlot(session: SessionRef): void {
		if (!this.#holdsSlot) return
		this.#holdsSlot = false
		this.#host
			.gate(session.tenantId)
			.release()
			.catch((error: unknown) => this.#host.logger.error('lane.gate_release_failed', { error }))
	}

	/** One alarm covers everything (see wake.ts). */
	#scheduleNext(): void {
		if (!this.#store.exists()) return
		const at = nextWake({
			now: this.#host.now(),
			activeDeadline: this.#active?.deadline,
			queued: () => this.#store.runs.count('queued') > 0,
			outboxDue: Math.min(this.#outbox.nextDue(), this.#subagents.nextDue()),
			alarmPending: this.#host.alarmPending(),
			// A throwaway session keeps nothing for retention: an idle one is looked at once more (and
			// deleted) a heartbeat later, in case what it waits for never tells it.
			expiry: () =>
				this.#store.ephemeral() ? this.#host.now() + HEARTBEAT_MS : nextExpiry(this.#store),
		})
		if (at !== undefined) this.#host.setAlarm(at)
	}

	/** A deleted session's alarm: only for the cancellations of children it still owes. */
	#scheduleCancels(): void {
		if (this.#store.exists()) return
		const due = this.#subagents.nextDue()
		this.#host.setAlarm(Number.isFinite(due) ? Math.max(due, this.#host.now() + 1_000) : null)
	}

	#info(): SessionInfo {
		return sessionInfo(this.#store, this.#active?.id ?? null)
	}
}
