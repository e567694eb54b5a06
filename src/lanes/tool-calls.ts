// The lane's half of tool calls: tool jobs it waits for and approvals it asks for. Each wait has
// a deadline and ends exactly once — outcome delivered, timed out, or the run stopped — so a run
// never waits forever. The lane is the authority on a job: a consumer must claim it before running
// it, and a job with side effects is never run twice (a second claim settles it as an error).
// An open job lives in memory only and is written once, when it settles: a write holds the
// object's next outgoing message until it is durable, so a row written at dispatch would hold
// the job's send and one written at claim the consumer's answer. No guarantee rests on those rows:
// after a restart nobody waits for an open job, and a job the lane neither holds nor settled is
// `gone` to a claim.
// With separate approvers the lane alone enforces that no principal of a call decides its approval.
import { traceIdOf } from '../observability/trace'
import type { AuditEvent } from '../security/audit'
import type { SessionRef, ToolSubject } from '../security/subject'
import type { ApprovalDecision, ToolCall } from '../tools/invoker'
import type { ClaimAnswer, ToolJob } from '../tools/jobs'
import { type AnyToolSpec, fail, type ToolOutcome } from '../tools/registry'
import type { LaneHost } from './host'
import type { ApprovalView, ToolCallStore, ToolJobTimes } from './tool-store'
import { type LaneEventType, type LaneResult, fail as laneFail, ok } from './types'

/** Time a job may spend on the queue and in delivery beyond the tool's own timeout. */
export const QUEUE_SLACK_MS = 15_000
/** Most characters of a call's arguments an `approval.requested` event carries. */
const ARGS_PREVIEW_CHARS = 2_000

export type ApprovalChoice = 'allow-once' | 'allow-always' | 'deny'

export interface ToolCallsDeps {
	store: ToolCallStore
	host: Pick<LaneHost, 'now' | 'newId' | 'toolbox' | 'logger'>
	tx<T>(fn: () => T): T
	emit(type: LaneEventType, runId: string | null, data: Record<string, unknown>): void
	/** An audit row about this session (the lane adds its tenant and the session as target). */
	audit(event: Omit<AuditEvent, 'tenantId' | 'target'>): void
	/** An approval was requested, settled or expired: the session's index row changes. */
	approvalsChanged(): void
	/** Queue and delivery time allowed beyond a tool's timeout (default QUEUE_SLACK_MS). */
	slackMs?: number
}

interface Waiter<T> {
	resolve(value: T): void
	timer: ReturnType<typeof setTimeout>
}

/** A job the lane waits for: its row as it will be written when it settles. */
interface OpenJob extends Waiter<ToolOutcome> {
	row: Omit<ToolJobTimes, 'status' | 'finishedAt' | 'code'>
}

/** A pending approval as the lane waits for it; `principals` may not decide it when `separate`. */
interface ApprovalWaiter extends Waiter<ApprovalDecision> {
	principals: readonly string[]
	separate: boolean
	traceId: string | undefined
}

/** What a dispatched job carries besides the call. */
export interface JobOrigin {
	laneName: string
	session: SessionRef
	runId: string
	/** Who started the run. */
	subject: ToolSubject
	/** Every principal the call was decided for, the starter first. */
	principals: ToolSubject[]
	/** The run's W3C traceparent; the job carries it to the consumer. */
	traceparent?: string | undefined
}

/** How an elevated call asks for its approval. */
export interface ApprovalRequest {
	timeoutMs: number
	/** Audit names of every principal the call was decided for (the run's starter first). */
	principals: readonly string[]
	/** Separation of duties: none of `principals` may allow the call, nor a grant of theirs. */
	separateApprover: boolean
	/** The run's W3C traceparent: audit rows about the approval carry its trace id. */
	traceparent?: string | undefined
}

export class LaneToolCalls {
	readonly #d: ToolCallsDeps
	readonly #jobs = new Map<string, OpenJob>()
	readonly #approvals = new Map<string, ApprovalWaiter>()

	constructor(deps: ToolCallsDeps) {
		this.#d = deps
	}

	// ── tool jobs ───────────────────────────────────────────────────────────────────────────────

	/** Sends the call as a tool job and waits for its outcome, its deadline, or the run's end. */
	async dispatch(
		origin: JobOrigin,
		call: ToolCall,
		spec: AnyToolSpec,
		signal: AbortSignal,
	): Promise<ToolOutcome> {
		const { host } = this.#d
		const now = host.now()
		const jobId = host.newId()
		const wait = spec.timeoutMs + (this.#d.slackMs ?? QUEUE_SLACK_MS)
		const deadline = now + wait
		const row = {
			jobId,
			runId: origin.runId,
			callId: call.callId,
			tool: spec.name,
			idempotent: spec.idempotent,
			claims: 0,
			createdAt: now,
			deadlineAt: deadline,
			startedAt: null,
		}
		const outcome = new Promise<ToolOutcome>((resolve) => {
			const timer = setTimeout(
				() =>
					this.#settleJob(
						jobId,
						fail(
							'tool_timeout',
							`No result from "${spec.name}" within ${wait} ms; the call failed.`,
						),
						'expired',
					),
				wait,
			)
			this.#jobs.set(jobId, { resolve, timer, row })
		})
		const job: ToolJob = {
			jobId,
			tenant: origin.session.tenantId,
			session: origin.laneName,
			agent: origin.session.agentId,
			sessionKey: origin.session.sessionKey,
			runId: origin.runId,
			callId: call.callId,
			tool: spec.name,
			args: call.args,
			subject: origin.subject,
			principals: origin.principals,
			deadline,
			...(origin.traceparent && { traceparent: origin.traceparent }),
		}
		try {
			await host.toolbox.enqueue(job)
		} catch (error) {
			host.logger.error('tool_job.enqueue_failed', {
				jobId,
				tool: spec.name,
				traceId: traceIdOf(origin.traceparent),
				error,
			})
			this.#settleJob(
				jobId,
				fail('tool_queue_unavailable', 'The tool queue did not take the job; the call failed.'),
				'expired',
			)
		}
		return untilStopped(outcome, signal, () =>
			this.#settleJob(jobId, fail('cancelled', 'The run stopped.'), 'expired'),
		)
	}

	/**
	 * A consumer asks whether it may run a job (see ClaimAnswer). Answered from memory, without a
	 * write: a job the lane holds is open; one it does not is settled (its row) or unknown.
	 */
	claim(jobId: string): ClaimAnswer {
		const open = this.#jobs.get(jobId)
		if (!open) return this.#d.store.job(jobId)?.status === 'done' ? 'done' : 'gone'
		if (open.row.claims > 0 && !open.row.idempotent) {
			this.#settleJob(
				jobId,
				fail(
					'tool_outcome_unknown',
					`"${open.row.tool}" was started once and its result never arrived; it has side effects, so it is not run again.`,
				),
				'done',
			)
			return 'done'
		}
		open.row.claims++
		open.row.startedAt = this.#d.host.now()
		return 'run'
	}

	/** The run's jobs still open, as a trace shows them (settled ones are in the store). */
	openJobsOfRun(runId: string): ToolJobTimes[] {
		return [...this.#jobs.values()]
			.filter((j) => j.row.runId === runId)
			.map((j) => ({
				...j.row,
				status: j.row.claims > 0 ? 'claimed' : 'queued',
				finishedAt: null,
				code: null,
			}))
	}

	/** A consumer delivers a job's outcome; false when nobody waits for it any more. */
	deliver(jobId: string, outcome: ToolOutcome): boolean {
		return this.#settleJob(jobId, outcome, 'done')
	}

	#settleJob(jobId: string, outcome: ToolOutcome, status: 'done' | 'expired'): boolean {
		const open = this.#jobs.get(jobId)
		if (!open) return false
		this.#jobs.delete(jobId)
		clearTimeout(open.timer)
		const code = outcome.ok ? null : (outcome.code ?? 'tool_failed')
		const finishedAt = this.#d.host.now()
		this.#d.tx(() => this.#d.store.recordJob({ ...open.row, status, finishedAt, code }))
		open.resolve(outcome)
		return true
	}

	// ── approvals ───────────────────────────────────────────────────────────────────────────────

	/**
	 * Asks a human about a call to an elevated tool and waits for the decision until its timeout
	 * (then `expired`). A standing `allow-always` grant of the session answers at once — unless
	 * approvers must be separate and the grant came from one of the call's principals.
	 */
	async approve(
		runId: string,
		call: ToolCall,
		spec: AnyToolSpec,
		request: ApprovalRequest,
		signal: AbortSignal,
	): Promise<ApprovalDecision> {
		const { store, host } = this.#d
		const grantedBy = store.grantedBy(spec.name)
		if (
			grantedBy !== undefined &&
			!(request.separateApprover && request.principals.includes(grantedBy))
		) {
			return 'allowed'
		}
		const id = host.newId()
		const now = host.now()
		const deadline = now + request.timeoutMs
		this.#d.tx(() => {
			store.insertApproval({
				id,
				runId,
				callId: call.callId,
				tool: spec.name,
				args: call.args,
				principals: [...request.principals],
				createdAt: now,
				deadlineAt: deadline,
			})
			const args = JSON.stringify(call.args ?? null)
			this.#d.emit('approval.requested', runId, {
				approvalId: id,
				callId: call.callId,
				tool: spec.name,
				sideEffect: spec.sideEffect,
				args: args.length > ARGS_PREVIEW_CHARS ? `${args.slice(0, ARGS_PREVIEW_CHARS)}…` : args,
				principals: request.principals,
				deadline,
			})
		})
		this.#d.approvalsChanged()
		const decision = new Promise<ApprovalDecision>((resolve) => {
			const timer = setTimeout(() => this.#settleApproval(id, 'expired', null), deadline - now)
			this.#approvals.set(id, {
				resolve,
				timer,
				principals: request.principals,
				separate: request.separateApprover,
				traceId: traceIdOf(request.traceparent),
			})
		})
		return untilStopped(decision, signal, () => this.#settleApproval(id, 'expired', null))
	}

	/**
	 * A human's decision on a pending approval. With separate approvers, a principal of the call
	 * may deny it but never allow it (`approval_self_denied`, audited).
	 */
	decide(id: string, choice: ApprovalChoice, by: string): LaneResult<ApprovalView> {
		const approval = this.#d.store.approval(id)
		if (!approval) return laneFail('not_found', `No approval ${id} in this session.`)
		const waiting = this.#approvals.get(id)
		if (approval.status !== 'pending' || !waiting) {
			return laneFail('conflict', `Approval ${id} is already ${approval.status}.`)
		}
		if (choice !== 'deny' && waiting.separate && waiting.principals.includes(by)) {
			this.#d.audit({
				actor: by,
				action: 'tool.approval_self_denied',
				outcome: 'deny',
				...(waiting.traceId && { traceId: waiting.traceId }),
				data: {
					approvalId: id,
					decision: choice,
					tool: approval.tool,
					runId: approval.runId,
					principals: [...waiting.principals],
				},
			})
			return laneFail(
				'approval_self_denied',
				`Approval ${id} is for a call made for ${by}; this agent requires separate approvers, so another principal must allow it.`,
			)
		}
		this.#settleApproval(id, choice === 'deny' ? 'denied' : 'allowed', by, choice)
		return ok(this.#d.store.approval(id) as ApprovalView)
	}

	list(limit: number): ApprovalView[] {
		return this.#d.store.listApprovals(limit)
	}

	#settleApproval(
		id: string,
		decision: ApprovalDecision,
		by: string | null,
		choice?: ApprovalChoice,
	): void {
		const waiter = this.#approvals.get(id)
		if (!waiter) return
		this.#approvals.delete(id)
		clearTimeout(waiter.timer)
		const { store, host } = this.#d
		const now = host.now()
		this.#d.tx(() => {
			const approval = store.approval(id)
			store.decideApproval(id, decision, by, now)
			if (choice === 'allow-always' && approval) store.grant(approval.tool, by ?? 'unknown', now)
			this.#d.emit('approval.resolved', approval?.runId ?? null, {
				approvalId: id,
				decision: choice ?? decision,
				...(by !== null && { by }),
			})
		})
		this.#d.approvalsChanged()
		waiter.resolve(decision)
	}

	// ── lifecycle ───────────────────────────────────────────────────────────────────────────────

	/** After a restart nothing waits: open jobs and pending approvals are settled as expired. */
	recover(): void {
		const { store, host } = this.#d
		const now = host.now()
		store.expireOpenJobs(now)
		const expired = store.expirePendingApprovals(now)
		for (const a of expired) {
			this.#d.emit('approval.resolved', a.runId, { approvalId: a.id, decision: 'expired' })
		}
		if (expired.length > 0) this.#d.approvalsChanged()
	}
}

/** Resolves with `work`, or runs `onStop` and rejects with the signal's reason when it aborts. */
function untilStopped<T>(work: Promise<T>, signal: AbortSignal, onStop: () => void): Promise<T> {
	if (signal.aborted) {
		onStop()
		return Promise.reject(signal.reason)
	}
	return new Promise<T>((resolve, reject) => {
		const abort = () => {
			onStop()
			reject(signal.reason)
		}
		signal.addEventListener('abort', abort, { once: true })
		work.then(
			(value) => {
				signal.removeEventListener('abort', abort)
				resolve(value)
			},
			(error: unknown) => {
				signal.removeEventListener('abort', abort)
				reject(error)
			},
		)
	})
}
