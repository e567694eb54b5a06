// The session lane: a FIFO of runs executed one at a time, with queue modes, idempotency, caps,
// deadlines, recovery after restarts and compaction. It owns no I/O of its own: storage, clock,
// the tenant's concurrency gate, the sessions index, subscribers and the model come in as a host.
import { estimateTokens } from '../agents/runner'
import type { ClaimAnswer } from '../tools/jobs'
import type { ToolOutcome } from '../tools/registry'
import type { LaneHost } from './host'
import { DEFAULT_LIMITS, limitsFor } from './limits'
import { type LaneStore, type PendingMessage, type RunRecord, runView } from './store'
import { type ApprovalChoice, LaneToolCalls } from './tool-calls'
import type { ApprovalView } from './tool-store'
import {
	type ActiveRun,
	executeTurn,
	failRun,
	insertUser,
	RunStopped,
	requeueLeftoverSteers,
	type StopReason,
	type TurnContext,
} from './turn'
import {
	type ContextMessage,
	fail,
	isFinished,
	type LaneEvent,
	type LaneEventType,
	type LaneResult,
	type MessageView,
	ok,
	type RunStatus,
	type RunView,
	type SessionInfo,
	type SessionRef,
	type SubmitOutcome,
	type SubmitRequest,
} from './types'

export type { LaneHost, SessionIndex, SlotGate, Subscribers } from './host'

/** A run cut off by a restart is tried this many times in all before it is failed. */
export const MAX_ATTEMPTS = 2
/** While work is pending the lane wakes at least this often, so a restart never leaves it stuck. */
export const HEARTBEAT_MS = 30_000
/** Retention pruning runs on alarms, but not more often than this. */
export const HOUSEKEEPING_EVERY_MS = 3_600_000

export class Lane {
	readonly #host: LaneHost
	#active: ActiveRun | undefined
	#pumping = false
	#holdsSlot = false
	#housekeptAt = Number.NEGATIVE_INFINITY
	readonly #waiters = new Map<string, Set<() => void>>()
	#pending: LaneEvent[] = []
	readonly #tools: LaneToolCalls

	constructor(host: LaneHost) {
		this.#host = host
		this.#tools = new LaneToolCalls({
			store: host.store.tools,
			host,
			tx: (fn) => this.#tx(fn),
			emit: (type, runId, data) => this.#emit(type, runId, data),
			audit: (event) => {
				const session = this.#store.session()
				if (!session) return
				host.toolbox.audit({
					...event,
					tenantId: session.tenantId,
					target: `session:${session.agentId}/${session.sessionKey}`,
				})
			},
		})
	}

	get #store(): LaneStore {
		return this.#host.store
	}

	/** What the turn module's helpers need, for the lane's own use of them (recovery, start). */
	get #turnOps(): Pick<TurnContext, 'store' | 'host' | 'emit'> {
		return { store: this.#store, host: this.#host, emit: (t, r, d) => this.#emit(t, r, d) }
	}

	exists(): boolean {
		return this.#store.exists()
	}

	// ── writes ──────────────────────────────────────────────────────────────────────────────────

	/** Takes a message into the lane. Synchronous: when it returns, the message is stored. */
	submit(req: SubmitRequest): LaneResult<SubmitOutcome> {
		const now = this.#host.now()
		const limits = limitsFor(req.agent)
		const result = this.#tx((): LaneResult<SubmitOutcome> => {
			this.#store.migrate()
			const created = this.#ensureSession(req.session, now)
			if (req.idempotencyKey) {
				const seen = this.#store.runs.idempotent(req.idempotencyKey, now - limits.idempotencyTtlMs)
				const run = seen && this.#store.runs.get(seen)
				if (run) return ok({ run: runView(run), duplicate: true, disposition: 'queued' })
			}
			const stats = this.#store.transcript.stats()
			const context = stats.active === 0 ? (req.context ?? []) : []
			const incomingBytes =
				req.content.reduce((n, p) => n + p.text.length, 0) +
				context.reduce((n, m) => n + m.text.length, 0)
			const stored = stats.bytes + this.#store.runs.queuedBytes()
			if (stored + incomingBytes > limits.maxSessionBytes) {
				return fail(
					'session_full',
					`The session holds more than ${limits.maxSessionBytes} bytes; reset it or start another.`,
				)
			}
			for (const m of context) this.#seed(m, now)
			const message: PendingMessage = {
				id: this.#host.newId(),
				content: req.content,
				at: now,
				subject: req.subject,
			}
			const active = this.#active && this.#store.runs.get(this.#active.id)

			if (req.mode === 'steer' && active && !this.#active?.reason) {
				this.#store.runs.setSteer(active.id, [...active.steer, message])
				if (this.#active) this.#active.steered = true
				this.#emit('steered', active.id, { messageId: message.id })
				if (req.idempotencyKey)
					this.#store.runs.rememberIdempotency(req.idempotencyKey, active.id, now)
				return ok({ run: runView(active), duplicate: false, disposition: 'steered' })
			}
			if (this.#store.runs.queuedMessages() >= limits.queueCap) {
				return fail('queue_full', `The session already has ${limits.queueCap} queued messages.`, 5)
			}
			if (req.mode === 'collect' && (active || this.#store.runs.count('queued') > 0)) {
				const tail = this.#store.runs.tailCollect()
				if (tail) {
					this.#store.runs.setInput(tail.id, [...tail.input, message])
					this.#emit('queued', tail.id, {
						messageId: message.id,
						mode: 'collect',
						batched: tail.input.length + 1,
					})
					if (req.idempotencyKey)
						this.#store.runs.rememberIdempotency(req.idempotencyKey, tail.id, now)
					const updated = this.#store.runs.get(tail.id) as RunRecord
					return ok({ run: runView(updated), duplicate: false, disposition: 'collected' })
				}
			}
			const runId = this.#host.newId()
			const queued = this.#store.runs.insert({
				id: runId,
				mode: req.mode,
				input: [message],
				agent: req.agent,
				idempotencyKey: req.idempotencyKey,
				createdAt: now,
				gateLimit: req.maxConcurrentRuns,
				head: req.mode === 'interrupt',
				subject: req.subject,
			})
			if (req.idempotencyKey) this.#store.runs.rememberIdempotency(req.idempotencyKey, runId, now)
			this.#emit('queued', runId, { messageId: message.id, mode: req.mode })
			if (req.mode === 'interrupt' && this.#active) this.#stop(this.#active, 'interrupted')
			if (created) this.#indexNow(req.session, now)
			return ok({ run: runView(queued), duplicate: false, disposition: 'queued' })
		})
		if (result.ok && !result.value.duplicate) void this.pump()
		return result
	}

	/** Waits until the run finishes or `timeoutMs` passes; returns its current view either way. */
	async wait(runId: string, timeoutMs: number): Promise<RunView | undefined> {
		const run = this.#store.exists() ? this.#store.runs.get(runId) : undefined
		if (!run || isFinished(run.status)) return run && runView(run)
		await new Promise<void>((resolve) => {
			const waiters = this.#waiters.get(runId) ?? new Set()
			const done = () => {
				clearTimeout(timer)
				waiters.delete(done)
				resolve()
			}
			const timer = setTimeout(done, timeoutMs)
			waiters.add(done)
			this.#waiters.set(runId, waiters)
		})
		const after = this.#store.exists() ? this.#store.runs.get(runId) : undefined
		return after && runView(after)
	}

	async cancel(runId: string): Promise<LaneResult<RunView>> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		const run = this.#store.runs.get(runId)
		if (!run) return fail('not_found', `No run ${runId} in this session.`)
		if (isFinished(run.status)) return fail('conflict', `Run ${runId} already ${run.status}.`)
		if (run.status === 'queued') {
			this.#tx(() => {
				this.#store.runs.finish(runId, { status: 'cancelled', finishedAt: this.#host.now() })
				this.#emit('cancelled', runId, { reason: 'cancelled' })
			})
			this.#notify(runId)
			void this.pump()
		} else if (this.#active?.id === runId) {
			const active = this.#active
			this.#stop(active, 'cancelled')
			await active.done
		}
		return ok(runView(this.#store.runs.get(runId) as RunRecord))
	}

	/** A new, empty transcript under the same session id; subscribers and event seq continue. */
	async reset(): Promise<LaneResult<SessionInfo>> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		await this.#stopActive('reset')
		const session = this.#store.session() as SessionRef
		const now = this.#host.now()
		const queued = this.#store.runs.withStatus('queued')
		this.#tx(() => {
			for (const run of queued) this.#emit('cancelled', run.id, { reason: 'reset' })
			this.#store.clearTranscript()
			this.#store.tools.clearGrants()
			this.#store.setMeta('updated_at', String(now))
			this.#emit('reset', null, {})
		})
		for (const run of queued) this.#notify(run.id)
		this.#indexNow(session, now)
		this.#releaseSlot(session)
		this.#scheduleNext()
		return ok(this.#info())
	}

	/** Wipes the session: storage, alarm, index row, subscribers, its slot. */
	async destroy(): Promise<LaneResult<{ deleted: true }>> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		await this.#stopActive('reset')
		const session = this.#store.session() as SessionRef
		const agent = this.#store.runs.latestAgent()
		this.#host.subscribers.closeAll(4404, 'session deleted')
		if (agent) {
			await this.#host.toolbox
				.sessionEnded(session, agent.config.sandbox)
				.catch((error: unknown) => this.#host.logger.error('lane.sandbox_end_failed', { error }))
		}
		this.#releaseSlot(session)
		await this.#host.index.remove(session)
		this.#host.setAlarm(null)
		await this.#host.deleteAll()
		this.#store.forget()
		for (const runId of [...this.#waiters.keys()]) this.#notify(runId)
		return ok({ deleted: true })
	}

	// ── reads ───────────────────────────────────────────────────────────────────────────────────

	getRun(runId: string): LaneResult<RunView> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		const run = this.#store.runs.get(runId)
		return run ? ok(runView(run)) : fail('not_found', `No run ${runId} in this session.`)
	}

	listMessages(
		afterSeq: number,
		limit: number,
	): LaneResult<{ messages: MessageView[]; next: number | null }> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		const messages = this.#store.transcript.list(afterSeq, limit + 1)
		const page = messages.slice(0, limit)
		return ok({ messages: page, next: messages.length > limit ? (page.at(-1)?.seq ?? null) : null })
	}

	listRuns(afterSeq: number, limit: number): LaneResult<{ runs: RunView[]; next: number | null }> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		const rows = this.#store.runs.list(afterSeq, limit + 1)
		const page = rows.slice(0, limit)
		return ok({
			runs: page.map((r) => runView(r.run)),
			next: rows.length > limit ? (page.at(-1)?.seq ?? null) : null,
		})
	}

	info(): LaneResult<SessionInfo> {
		return this.#store.exists() ? ok(this.#info()) : fail('not_found', 'No such session.')
	}

	eventsAfter(seq: number, limit: number): LaneEvent[] {
		return this.#store.exists() ? this.#store.events.after(seq, limit) : []
	}

	// ── tools ───────────────────────────────────────────────────────────────────────────────────

	/** A queue consumer asks whether it may run a tool job of this lane. */
	claimToolJob(jobId: string): ClaimAnswer {
		return this.#store.exists() ? this.#tools.claim(jobId) : 'gone'
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
		if (this.#pumping || this.#active || !this.#store.exists()) return
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
				if (this.#active || !this.#store.exists()) break
				const next = this.#store.runs.head()
				if (!granted) {
					this.#holdsSlot = false
					if (next && !next.waitingSlot)
						this.#tx(() => this.#store.runs.setWaitingSlot(next.id, true))
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
		if (!this.#store.exists()) return
		const now = this.#host.now()
		if (this.#active && now >= this.#active.deadline) this.#stop(this.#active, 'deadline')
		this.#housekeeping(now)
		await this.pump()
		this.#scheduleNext()
	}

	/**
	 * After a restart: runs that were running when the lane went away are put back at the head of
	 * the queue (or failed once they used their attempts or deadline), each with an error event.
	 */
	recover(): void {
		if (!this.#store.exists()) return
		const now = this.#host.now()
		this.#tx(() => {
			this.#store.migrate()
			// Nothing waits for tool jobs or approvals after a restart: settle them.
			this.#tools.recover()
			for (const run of this.#store.runs.withStatus('running')) {
				const retry =
					(run.deadlineAt === null || now < run.deadlineAt) && run.attempt < MAX_ATTEMPTS
				if (!retry) requeueLeftoverSteers(this.#turnOps, run.id, now)
				if (run.deadlineAt !== null && now >= run.deadlineAt) {
					failRun(
						this.#turnOps,
						run.id,
						'deadline_exceeded',
						'The run passed its deadline while the lane was restarting.',
						now,
					)
				} else if (run.attempt >= MAX_ATTEMPTS) {
					failRun(
						this.#turnOps,
						run.id,
						'lane_restarted',
						`The lane restarted during the run ${run.attempt} times; giving up.`,
						now,
					)
				} else {
					this.#store.requeueAtHead(run.id)
					this.#emit('error', run.id, {
						code: 'lane_restarted',
						message: 'The lane restarted during the run; it runs again.',
						retrying: true,
						attempt: run.attempt,
					})
				}
			}
		})
		if (this.#store.runs.count('queued') > 0) this.#host.setAlarm(now)
		else this.#scheduleNext()
	}

	// ── running one turn ────────────────────────────────────────────────────────────────────────

	#start(run: RunRecord): void {
		const now = this.#host.now()
		const deadline = now + run.agent.config.limits.runDeadlineMs
		this.#tx(() => {
			this.#store.runs.markRunning(run.id, now, deadline)
			for (const m of run.input) insertUser(this.#turnOps, m, run.id)
			this.#emit('started', run.id, { attempt: run.attempt + 1, deadline })
		})
		const controller = new AbortController()
		const stopped = new Promise<never>((_, reject) => {
			controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {
				once: true,
			})
		})
		stopped.catch(() => {})
		const active: ActiveRun = {
			id: run.id,
			controller,
			deadline,
			reason: undefined,
			steered: run.steer.length > 0,
			stopped,
			done: Promise.resolve(),
		}
		this.#active = active
		const timer = setTimeout(() => this.#stop(active, 'deadline'), deadline - now)
		this.#scheduleNext()
		const turn: TurnContext = {
			store: this.#store,
			host: this.#host,
			tools: this.#tools,
			tx: (fn) => this.#tx(fn),
			emit: (type, runId, data) => this.#emit(type, runId, data),
			live: () => this.#active === active && !active.reason,
		}
		active.done = executeTurn(turn, run, active).then((status) => {
			clearTimeout(timer)
			if (this.#active === active) this.#active = undefined
			const session = this.#store.exists() ? this.#store.session() : undefined
			if (session) this.#indexNow(session, this.#host.now(), { id: run.id, status })
			this.#notify(run.id)
			this.#scheduleNext()
			void this.pump()
		})
	}

	#stop(active: ActiveRun, reason: StopReason): void {
		if (active.reason) return
		active.reason = reason
		active.controller.abort(new RunStopped(reason))
	}

	async #stopActive(reason: StopReason): Promise<void> {
		const active = this.#active
		if (!active) return
		this.#stop(active, reason)
		await active.done
	}

	// ── helpers ─────────────────────────────────────────────────────────────────────────────────

	/** Runs `fn` as one transaction; events it emitted reach subscribers only once it commits. */
	#tx<T>(fn: () => T): T {
		const outer = this.#pending
		this.#pending = []
		try {
			const result = this.#host.transaction(fn)
			const committed = this.#pending
			this.#pending = outer
			for (const event of committed) this.#host.subscribers.broadcast(event)
			return result
		} catch (error) {
			this.#pending = outer
			throw error
		}
	}

	#emit(type: LaneEventType, runId: string | null, data: Record<string, unknown>): void {
		const event = this.#store.events.append({ ts: this.#host.now(), type, runId, data })
		this.#pending.push(event)
		if (event.seq % 100 === 0) {
			this.#store.events.prune(
				DEFAULT_LIMITS.eventHistory,
				event.ts - DEFAULT_LIMITS.eventRetentionMs,
			)
		}
	}

	/** One message of client-supplied history, stored before the run that brought it. */
	#seed(m: ContextMessage, now: number): void {
		const content = [{ type: 'text' as const, text: m.text }]
		this.#store.transcript.insert({
			id: this.#host.newId(),
			runId: null,
			role: m.role,
			content,
			tokens: estimateTokens(m.text),
			createdAt: now,
		})
	}

	#ensureSession(session: SessionRef, now: number): boolean {
		if (this.#store.session()) {
			this.#store.setMeta('updated_at', String(now))
			return false
		}
		this.#store.setMeta('session', JSON.stringify(session))
		this.#store.setMeta('created_at', String(now))
		this.#store.setMeta('updated_at', String(now))
		return true
	}

	#indexNow(session: SessionRef, now: number, run?: { id: string; status: RunStatus }): void {
		const stats = this.#store.transcript.stats()
		this.#host.index.upsert(session, {
			createdAt: this.#store.createdAt() ?? now,
			updatedAt: now,
			messageCount: stats.active + stats.compacted,
			...(run && { lastRunId: run.id, lastRunStatus: run.status }),
		})
	}

	#releaseSlot(session: SessionRef): void {
		if (!this.#holdsSlot) return
		this.#holdsSlot = false
		this.#host
			.gate(session.tenantId)
			.release()
			.catch((error: unknown) => this.#host.logger.error('lane.gate_release_failed', { error }))
	}

	#notify(runId: string): void {
		const waiters = this.#waiters.get(runId)
		if (!waiters) return
		this.#waiters.delete(runId)
		for (const wake of [...waiters]) wake()
	}

	/** Retention pruning, at most once per HOUSEKEEPING_EVERY_MS (heartbeat alarms come often). */
	#housekeeping(now: number): void {
		if (now - this.#housekeptAt < HOUSEKEEPING_EVERY_MS) return
		this.#housekeptAt = now
		const r = DEFAULT_LIMITS
		this.#tx(() => {
			this.#store.events.prune(r.eventHistory, now - r.eventRetentionMs)
			this.#store.transcript.pruneCompacted(now - r.compactedRetentionMs)
			this.#store.runs.pruneIdempotency(now - r.idempotencyTtlMs)
			this.#store.runs.prune(now - r.runRetentionMs)
			this.#store.tools.prune(now - r.runRetentionMs)
		})
	}

	/** One alarm covers everything: the active run's deadline and heartbeat, waiting work, retention. */
	#scheduleNext(): void {
		if (!this.#store.exists()) return
		const now = this.#host.now()
		if (this.#active) {
			this.#host.setAlarm(Math.min(this.#active.deadline, now + HEARTBEAT_MS))
		} else if (this.#store.runs.count('queued') > 0) {
			this.#host.setAlarm(now + HEARTBEAT_MS)
		} else {
			// Idle: wake only when something stored is due to expire. An alarm already pending is
			// sooner than any retention date and recomputes this when it fires.
			if (this.#host.alarmPending()) return
			const oldest = this.#store.oldestExpiring()
			const r = DEFAULT_LIMITS
			const due = (from: number | null, keep: number) =>
				from === null ? Number.POSITIVE_INFINITY : from + keep
			const at = Math.min(
				due(oldest.event, r.eventRetentionMs),
				due(oldest.compacted, r.compactedRetentionMs),
				due(oldest.idempotency, r.idempotencyTtlMs),
				due(oldest.run, r.runRetentionMs),
			)
			this.#host.setAlarm(Number.isFinite(at) ? Math.max(at, now + 1_000) : null)
		}
	}

	#info(): SessionInfo {
		const stats = this.#store.transcript.stats()
		return {
			session: this.#store.session() as SessionRef,
			createdAt: Number(this.#store.getMeta('created_at') ?? 0),
			updatedAt: Number(this.#store.getMeta('updated_at') ?? 0),
			messages: stats,
			runs: {
				queued: this.#store.runs.count('queued'),
				running: this.#store.runs.count('running'),
				total: this.#store.runs.count(),
			},
			activeRunId: this.#active?.id ?? null,
			lastEventSeq: this.#store.events.lastSeq(),
			compactions: Number(this.#store.getMeta('compactions') ?? '0'),
		}
	}
}
