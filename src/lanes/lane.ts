// The session lane: a FIFO of runs executed one at a time, with queue modes, idempotency, caps,
// deadlines, recovery after restarts and compaction. It owns no I/O of its own: storage, clock,
// the tenant's concurrency gate, the sessions index, subscribers and the model come in as a host.
import type { AgentRunner, AgentSnapshot, TextPart, TurnMessage } from '../agents/runner'
import { estimateTokens } from '../agents/runner'
import type { Logger } from '../observability/logger'
import { planCompaction, toTurnMessages } from './compaction'
import {
	asUserMessage,
	type LaneStore,
	type PendingMessage,
	type RunRecord,
	runView,
} from './store'
import {
	DEFAULT_LIMITS,
	fail,
	isFinished,
	type LaneEvent,
	type LaneEventType,
	type LaneLimits,
	type LaneResult,
	limitsFor,
	type MessageView,
	ok,
	type RunStatus,
	type RunView,
	type SessionInfo,
	type SessionRef,
	type SubmitOutcome,
	type SubmitRequest,
} from './types'

/** A run cut off by a restart is tried this many times in all before it is failed. */
export const MAX_ATTEMPTS = 2
/** While work is pending the lane wakes at least this often, so a restart never leaves it stuck. */
export const HEARTBEAT_MS = 30_000
/** Retention pruning runs on alarms, but not more often than this. */
export const HOUSEKEEPING_EVERY_MS = 3_600_000

/** The tenant's cap on concurrently running turns, seen from one lane. */
export interface SlotGate {
	/** Takes (or renews) this lane's slot; false = queued as a waiter, `slotGranted` follows. */
	acquire(ttlMs: number, limit: number): Promise<boolean>
	release(): Promise<void>
}

/** The D1 index of sessions. Writes are asynchronous and ordered; failures are logged. */
export interface SessionIndex {
	upsert(
		session: SessionRef,
		row: {
			createdAt: number
			updatedAt: number
			messageCount: number
			lastRunId?: string
			lastRunStatus?: string
		},
	): void
	remove(session: SessionRef): Promise<void>
}

export interface Subscribers {
	broadcast(event: LaneEvent): void
	closeAll(code: number, reason: string): void
}

export interface LaneHost {
	store: LaneStore
	transaction<T>(fn: () => T): T
	now(): number
	newId(): string
	setAlarm(at: number | null): void
	/** True when an alarm is scheduled in the future. */
	alarmPending(): boolean
	deleteAll(): Promise<void>
	subscribers: Subscribers
	gate(tenantId: string): SlotGate
	index: SessionIndex
	runnerFor(agent: AgentSnapshot): AgentRunner
	logger: Logger
}

type StopReason = 'cancelled' | 'interrupted' | 'deadline' | 'reset'

interface ActiveRun {
	id: string
	controller: AbortController
	deadline: number
	reason: StopReason | undefined
	/** Set once a message was steered into this run, so its end checks for untaken steers. */
	steered: boolean
	stopped: Promise<never>
	done: Promise<void>
}

class RunStopped extends Error {
	override readonly name = 'RunStopped'
	readonly reason: StopReason
	constructor(reason: StopReason) {
		super(`run stopped: ${reason}`)
		this.reason = reason
	}
}

export class Lane {
	readonly #host: LaneHost
	#active: ActiveRun | undefined
	#pumping = false
	#holdsSlot = false
	#housekeptAt = Number.NEGATIVE_INFINITY
	readonly #waiters = new Map<string, Set<() => void>>()
	#pending: LaneEvent[] = []

	constructor(host: LaneHost) {
		this.#host = host
	}

	get #store(): LaneStore {
		return this.#host.store
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
				const seen = this.#store.idempotentRun(req.idempotencyKey, now - limits.idempotencyTtlMs)
				const run = seen && this.#store.getRun(seen)
				if (run) return ok({ run: runView(run), duplicate: true, disposition: 'queued' })
			}
			const incomingBytes = req.content.reduce((n, p) => n + p.text.length, 0)
			const stored = this.#store.messageStats().bytes + this.#store.queuedBytes()
			if (stored + incomingBytes > limits.maxSessionBytes) {
				return fail(
					'session_full',
					`The session holds more than ${limits.maxSessionBytes} bytes; reset it or start another.`,
				)
			}
			const message: PendingMessage = { id: this.#host.newId(), content: req.content, at: now }
			const active = this.#active && this.#store.getRun(this.#active.id)

			if (req.mode === 'steer' && active && !this.#active?.reason) {
				this.#store.setRunSteer(active.id, [...active.steer, message])
				if (this.#active) this.#active.steered = true
				this.#emit('steered', active.id, { messageId: message.id })
				if (req.idempotencyKey) this.#store.rememberIdempotency(req.idempotencyKey, active.id, now)
				return ok({ run: runView(active), duplicate: false, disposition: 'steered' })
			}
			if (this.#store.queuedMessages() >= limits.queueCap) {
				return fail('queue_full', `The session already has ${limits.queueCap} queued messages.`, 5)
			}
			if (req.mode === 'collect' && (active || this.#store.countRuns('queued') > 0)) {
				const tail = this.#store.tailCollectRun()
				if (tail) {
					this.#store.setRunInput(tail.id, [...tail.input, message])
					this.#emit('queued', tail.id, {
						messageId: message.id,
						mode: 'collect',
						batched: tail.input.length + 1,
					})
					if (req.idempotencyKey) this.#store.rememberIdempotency(req.idempotencyKey, tail.id, now)
					const updated = this.#store.getRun(tail.id) as RunRecord
					return ok({ run: runView(updated), duplicate: false, disposition: 'collected' })
				}
			}
			const runId = this.#host.newId()
			const queued = this.#store.insertRun({
				id: runId,
				mode: req.mode,
				input: [message],
				agent: req.agent,
				idempotencyKey: req.idempotencyKey,
				createdAt: now,
				gateLimit: req.maxConcurrentRuns,
				head: req.mode === 'interrupt',
			})
			if (req.idempotencyKey) this.#store.rememberIdempotency(req.idempotencyKey, runId, now)
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
		const run = this.#store.exists() ? this.#store.getRun(runId) : undefined
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
		const after = this.#store.exists() ? this.#store.getRun(runId) : undefined
		return after && runView(after)
	}

	async cancel(runId: string): Promise<LaneResult<RunView>> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		const run = this.#store.getRun(runId)
		if (!run) return fail('not_found', `No run ${runId} in this session.`)
		if (isFinished(run.status)) return fail('conflict', `Run ${runId} already ${run.status}.`)
		if (run.status === 'queued') {
			this.#tx(() => {
				this.#store.finishRun(runId, { status: 'cancelled', finishedAt: this.#host.now() })
				this.#emit('cancelled', runId, { reason: 'cancelled' })
			})
			this.#notify(runId)
			void this.pump()
		} else if (this.#active?.id === runId) {
			const active = this.#active
			this.#stop(active, 'cancelled')
			await active.done
		}
		return ok(runView(this.#store.getRun(runId) as RunRecord))
	}

	/** A new, empty transcript under the same session id; subscribers and event seq continue. */
	async reset(): Promise<LaneResult<SessionInfo>> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		await this.#stopActive('reset')
		const session = this.#store.session() as SessionRef
		const now = this.#host.now()
		const queued = this.#store.runsWithStatus('queued')
		this.#tx(() => {
			for (const run of queued) this.#emit('cancelled', run.id, { reason: 'reset' })
			this.#store.clearTranscript()
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
		this.#host.subscribers.closeAll(4404, 'session deleted')
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
		const run = this.#store.getRun(runId)
		return run ? ok(runView(run)) : fail('not_found', `No run ${runId} in this session.`)
	}

	listMessages(
		afterSeq: number,
		limit: number,
	): LaneResult<{ messages: MessageView[]; next: number | null }> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		const messages = this.#store.listMessages(afterSeq, limit + 1)
		const page = messages.slice(0, limit)
		return ok({ messages: page, next: messages.length > limit ? (page.at(-1)?.seq ?? null) : null })
	}

	listRuns(afterSeq: number, limit: number): LaneResult<{ runs: RunView[]; next: number | null }> {
		if (!this.#store.exists()) return fail('not_found', 'No such session.')
		const rows = this.#store.listRuns(afterSeq, limit + 1)
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
		return this.#store.exists() ? this.#store.eventsAfter(seq, limit) : []
	}

	// ── the pump ────────────────────────────────────────────────────────────────────────────────

	/** Starts the next queued run when the lane is idle and the tenant has a free slot. */
	async pump(): Promise<void> {
		if (this.#pumping || this.#active || !this.#store.exists()) return
		this.#pumping = true
		try {
			while (!this.#active) {
				const head = this.#store.headRun()
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
				const next = this.#store.headRun()
				if (!granted) {
					this.#holdsSlot = false
					if (next && !next.waitingSlot) this.#tx(() => this.#store.setWaitingSlot(next.id, true))
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
			for (const run of this.#store.runsWithStatus('running')) {
				const retry =
					(run.deadlineAt === null || now < run.deadlineAt) && run.attempt < MAX_ATTEMPTS
				if (!retry) this.#requeueLeftoverSteers(run.id, now)
				if (run.deadlineAt !== null && now >= run.deadlineAt) {
					this.#failRun(
						run.id,
						'deadline_exceeded',
						'The run passed its deadline while the lane was restarting.',
						now,
					)
				} else if (run.attempt >= MAX_ATTEMPTS) {
					this.#failRun(
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
		if (this.#store.countRuns('queued') > 0) this.#host.setAlarm(now)
		else this.#scheduleNext()
	}

	// ── running one turn ────────────────────────────────────────────────────────────────────────

	#start(run: RunRecord): void {
		const now = this.#host.now()
		const deadline = now + run.agent.config.limits.runDeadlineMs
		this.#tx(() => {
			this.#store.markRunning(run.id, now, deadline)
			for (const m of run.input) this.#insertUser(m, run.id)
			this.#emit('started', run.id, { attempt: run.attempt + 1, deadline })
		})
		const controller = new AbortController()
		let rejectStopped: (reason: RunStopped) => void = () => {}
		const stopped = new Promise<never>((_, reject) => {
			rejectStopped = reject
		})
		stopped.catch(() => {})
		controller.signal.addEventListener(
			'abort',
			() => rejectStopped(controller.signal.reason as RunStopped),
			{
				once: true,
			},
		)
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
		active.done = this.#execute(run, active).finally(() => {
			clearTimeout(timer)
			if (this.#active === active) this.#active = undefined
			this.#notify(run.id)
			this.#scheduleNext()
			void this.pump()
		})
	}

	async #execute(run: RunRecord, active: ActiveRun): Promise<void> {
		const runner = this.#host.runnerFor(run.agent)
		const limits = limitsFor(run.agent)
		const signal = active.controller.signal
		const live = () => this.#active === active && !active.reason
		let status: RunStatus = 'failed'
		try {
			await Promise.race([quiet(this.#compact(run, runner, limits, signal)), active.stopped])
			const transcript = this.#store.activeMessages().filter((m) => m.runId !== run.id)
			const result = await Promise.race([
				quiet(
					runner.runTurn(
						{
							runId: run.id,
							agent: run.agent,
							transcript: toTurnMessages(transcript, limits.toolResultMaxChars),
							input: run.input.map(asUserMessage),
							signal,
							deadline: active.deadline,
						},
						{
							delta: (text) => {
								if (live() && text) this.#tx(() => this.#emit('delta', run.id, { text }))
							},
							tool: (event) => {
								if (live()) this.#tx(() => this.#emit('tool', run.id, { ...event }))
							},
							steer: () => (live() ? this.#takeSteer(run.id) : []),
						},
					),
				),
				active.stopped,
			])
			if (!live()) throw new RunStopped(active.reason ?? 'cancelled')
			const now = this.#host.now()
			this.#tx(() => {
				if (active.steered) this.#requeueLeftoverSteers(run.id, now)
				this.#store.insertMessage({
					id: this.#host.newId(),
					runId: run.id,
					role: 'assistant',
					content: [{ type: 'text', text: result.text }],
					tokens: result.usage.outputTokens,
					createdAt: now,
				})
				this.#store.finishRun(run.id, {
					status: 'succeeded',
					finishedAt: now,
					output: result.text,
					model: result.model,
					inputTokens: result.usage.inputTokens,
					outputTokens: result.usage.outputTokens,
				})
				status = 'succeeded'
				this.#emit('final', run.id, {
					output: result.text,
					usage: result.usage,
					model: result.model,
				})
			})
		} catch (error) {
			const now = this.#host.now()
			const reason = active.reason ?? (error instanceof RunStopped ? error.reason : undefined)
			this.#tx(() => {
				// Before the run is finished (which clears its steer list): steers it never took run next.
				if (reason !== 'reset' && active.steered) this.#requeueLeftoverSteers(run.id, now)
				if (reason === 'deadline') {
					this.#failRun(
						run.id,
						'deadline_exceeded',
						`The run passed its ${limits.runDeadlineMs} ms deadline.`,
						now,
					)
				} else if (reason) {
					this.#store.finishRun(run.id, { status: 'cancelled', finishedAt: now })
					status = 'cancelled'
					this.#emit('cancelled', run.id, { reason })
				} else {
					const code = errorCode(error)
					this.#host.logger.warn('lane.run_failed', { runId: run.id, code, error })
					this.#failRun(run.id, code, errorMessage(error), now)
				}
			})
		}
		const session = this.#store.exists() ? this.#store.session() : undefined
		if (session) this.#indexNow(session, this.#host.now(), { id: run.id, status })
	}

	/** Folds older messages into a summary when the next turn would not fit the context budget. */
	async #compact(
		run: RunRecord,
		runner: AgentRunner,
		limits: LaneLimits,
		signal: AbortSignal,
	): Promise<void> {
		// Fast path from the trigger-kept counts (they include this run's input, already stored).
		const stats = this.#store.messageStats()
		if (stats.active + 1 <= limits.maxMessages && stats.tokens <= limits.contextBudgetTokens) return
		const active = this.#store.activeMessages().filter((m) => m.runId !== run.id)
		const incomingTokens = run.input.reduce(
			(n, m) => n + estimateTokens(m.content.map((p) => p.text).join('')),
			0,
		)
		// The turn adds its input and one reply; the message cap holds after the turn, not only before.
		const incoming = { messages: run.input.length + 1, tokens: incomingTokens }
		const plan = planCompaction(active, incoming, limits)
		if (!plan) return
		const summary = await runner.summarize(
			toTurnMessages(plan.fold, limits.toolResultMaxChars),
			signal,
		)
		const now = this.#host.now()
		this.#tx(() => {
			const folded = this.#store.markCompacted(plan.upToSeq)
			this.#store.insertMessage({
				id: this.#host.newId(),
				runId: null,
				role: 'system',
				kind: 'summary',
				content: [{ type: 'text', text: summary }],
				tokens: estimateTokens(summary),
				createdAt: now,
			})
			const compactions = Number(this.#store.getMeta('compactions') ?? '0') + 1
			this.#store.setMeta('compactions', String(compactions))
			this.#emit('compacted', run.id, { folded, compactions })
		})
	}

	#takeSteer(runId: string): TurnMessage[] {
		return this.#tx(() => {
			const run = this.#store.getRun(runId)
			if (!run || run.steer.length === 0) return []
			this.#store.setRunSteer(runId, [])
			this.#store.setRunInput(runId, [...run.input, ...run.steer])
			for (const m of run.steer) this.#insertUser(m, runId)
			return run.steer.map(asUserMessage)
		})
	}

	/** Steered messages the run never took become the next run: no message is dropped. */
	#requeueLeftoverSteers(runId: string, now: number): void {
		const run = this.#store.getRun(runId)
		if (!run || run.steer.length === 0) return
		const nextId = this.#host.newId()
		this.#store.insertRun({
			id: nextId,
			mode: 'followup',
			input: run.steer,
			agent: run.agent,
			idempotencyKey: undefined,
			createdAt: now,
			gateLimit: run.gateLimit,
			head: true,
		})
		this.#store.setRunSteer(runId, [])
		this.#emit('queued', nextId, {
			mode: 'followup',
			steeredFrom: runId,
			messages: run.steer.length,
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
		const event = this.#store.appendEvent({ ts: this.#host.now(), type, runId, data })
		this.#pending.push(event)
		if (event.seq % 100 === 0) {
			this.#store.pruneEvents(
				DEFAULT_LIMITS.eventHistory,
				event.ts - DEFAULT_LIMITS.eventRetentionMs,
			)
		}
	}

	#failRun(runId: string, code: string, message: string, now: number): void {
		this.#store.finishRun(runId, { status: 'failed', finishedAt: now, error: { code, message } })
		this.#emit('error', runId, { code, message, retrying: false })
	}

	#insertUser(m: PendingMessage, runId: string): void {
		this.#store.insertMessage({
			id: m.id,
			runId,
			role: 'user',
			content: m.content,
			tokens: estimateTokens(textOfParts(m.content)),
			createdAt: m.at,
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
		const stats = this.#store.messageStats()
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
			this.#store.pruneEvents(r.eventHistory, now - r.eventRetentionMs)
			this.#store.pruneCompacted(now - r.compactedRetentionMs)
			this.#store.pruneIdempotency(now - r.idempotencyTtlMs)
			this.#store.pruneRuns(now - r.runRetentionMs)
		})
	}

	/** One alarm covers everything: the active run's deadline and heartbeat, waiting work, retention. */
	#scheduleNext(): void {
		if (!this.#store.exists()) return
		const now = this.#host.now()
		if (this.#active) {
			this.#host.setAlarm(Math.min(this.#active.deadline, now + HEARTBEAT_MS))
		} else if (this.#store.countRuns('queued') > 0) {
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
		const stats = this.#store.messageStats()
		return {
			session: this.#store.session() as SessionRef,
			createdAt: Number(this.#store.getMeta('created_at') ?? 0),
			updatedAt: Number(this.#store.getMeta('updated_at') ?? 0),
			messages: stats,
			runs: {
				queued: this.#store.countRuns('queued'),
				running: this.#store.countRuns('running'),
				total: this.#store.countRuns(),
			},
			activeRunId: this.#active?.id ?? null,
			lastEventSeq: this.#store.lastEventSeq(),
			compactions: Number(this.#store.getMeta('compactions') ?? '0'),
		}
	}
}

const textOfParts = (parts: TextPart[]): string => parts.map((p) => p.text).join('')

function errorCode(error: unknown): string {
	if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string')
		return error.code
	return 'run_failed'
}

function errorMessage(error: unknown): string {
	return error instanceof Error ? error.message.slice(0, 1_000) : 'The run failed.'
}

/**
 * A promise raced against a stop: if the stop wins, the loser's later rejection must not surface
 * as an unhandled rejection. The returned promise still rejects for whoever awaits it.
 */
function quiet<T>(promise: Promise<T>): Promise<T> {
	promise.catch(() => {})
	return promise
}
