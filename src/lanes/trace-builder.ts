// A run as a tree of spans (GET /v1/sessions/{key}/runs/{runId}/trace), built when asked from what
// the lane keeps anyway: the run's times and model calls, its tool and compaction events, its tool
// jobs (created → claimed → settled) and approvals (created → decided). Nothing is written for it.
import type { ModelCallRecord } from '../agents/runner'
import type { RunTrace, Span, SpanKind, SpanStatus } from '../observability/spans'
import { parseTraceparent } from '../observability/trace'
import type { LaneStore, RunRecord } from './store'
import type { ApprovalView, ToolJobTimes } from './tool-store'
import { fail, type LaneEvent, type LaneResult, ok, type RunStatus } from './types'

/** Job codes that mean the call was stopped, not that the tool failed. */
const STOPPED_CODES = new Set(['cancelled', 'lane_restarted', 'no_waiter'])

const RUN_STATUS: Record<RunStatus, SpanStatus> = {
	queued: 'running',
	running: 'running',
	succeeded: 'ok',
	failed: 'error',
	cancelled: 'cancelled',
}

function span(
	id: string,
	kind: SpanKind,
	name: string,
	startedAt: number,
	endedAt: number | null,
	status: SpanStatus,
	attributes: Span['attributes'] = {},
	children: Span[] = [],
): Span {
	const durationMs = endedAt === null ? null : Math.max(0, endedAt - startedAt)
	return { id, kind, name, startedAt, durationMs, status, attributes, children }
}

const byStart = (a: Span, b: Span): number => a.startedAt - b.startedAt

/**
 * The run's trace, or not_found for a session or run the lane does not have. `openJobs`: the
 * run's tool jobs not settled yet, which the lane holds in memory rather than in the store.
 */
export function runTraceOf(
	store: LaneStore,
	runId: string,
	openJobs: ToolJobTimes[] = [],
): LaneResult<RunTrace> {
	if (!store.exists()) return fail('not_found', 'No such session.')
	const run = store.runs.get(runId)
	if (!run) return fail('not_found', `No run ${runId} in this session.`)
	const context = parseTraceparent(run.trace)
	const events = store.events.ofRun(runId, ['tool', 'compacted'])
	const children = [
		queueSpan(run),
		...events.filter((e) => e.type === 'compacted').map((e, i) => compactionSpan(run, e, i)),
		...run.calls.map((call, i) => modelSpan(run, call, i)),
		...toolSpans(
			run,
			events.filter((e) => e.type === 'tool'),
			[...store.tools.jobTimesOfRun(runId), ...openJobs],
			store.tools.approvalsOfRun(runId),
		),
	].sort(byStart)
	const root = span(
		context?.spanId ?? 'run',
		'run',
		'run',
		run.createdAt,
		run.finishedAt,
		RUN_STATUS[run.status],
		{
			agent: run.agent.id,
			mode: run.mode,
			status: run.status,
			attempt: run.attempt,
			...(run.model !== null && { model: run.model }),
			...(run.error && { code: run.error.code }),
		},
		children,
	)
	return ok({
		traceId: context?.traceId ?? null,
		runId,
		agentId: run.agent.id,
		sessionKey: store.session()?.sessionKey ?? '',
		root,
	})
}

/** Created → started: the lane's FIFO and the tenant's gate (closed at the end of a run that never started). */
function queueSpan(run: RunRecord): Span {
	const end = run.startedAt ?? run.finishedAt
	const status = run.startedAt !== null ? 'ok' : end !== null ? RUN_STATUS[run.status] : 'running'
	return span('queue', 'queue', 'queue wait', run.createdAt, end, status, {
		waitingForSlot: run.waitingSlot,
	})
}

/** The event comes when compaction is done; it began when its attempt of the run started. */
function compactionSpan(run: RunRecord, event: LaneEvent, i: number): Span {
	const start = Math.min(run.startedAt ?? event.ts, event.ts)
	const folded = event.data.folded
	return span(`compaction-${i + 1}`, 'compaction', 'compaction', start, event.ts, 'ok', {
		...(typeof folded === 'number' && { folded }),
	})
}

function modelSpan(run: RunRecord, call: ModelCallRecord, i: number): Span {
	// Records from before traces have no start: they sit at the run's start.
	const start = call.startedAt ?? run.startedAt ?? run.createdAt
	return span(
		`model-${i + 1}`,
		'model',
		`model ${call.model}`,
		start,
		start + call.latencyMs,
		call.outcome === 'ok' ? 'ok' : 'error',
		{
			model: call.model,
			outcome: call.outcome,
			inputTokens: call.inputTokens,
			outputTokens: call.outputTokens,
			failover: call.failover ?? false,
			...(call.profile !== undefined && { profile: call.profile }),
			...(call.status !== undefined && { httpStatus: call.status }),
		},
	)
}

/**
 * One span per tool call (its `call` event → its `result` event), with its approval and, for a
 * job, its queue wait and execution as children. Approvals and jobs whose call events are gone
 * (pruned) hang from the run itself.
 */
function toolSpans(
	run: RunRecord,
	events: LaneEvent[],
	jobs: ToolJobTimes[],
	approvals: ApprovalView[],
): Span[] {
	const parts = new Map<string, Span[]>()
	const add = (callId: string, s: Span) => parts.set(callId, [...(parts.get(callId) ?? []), s])
	for (const a of approvals) add(a.callId, approvalSpan(a))
	for (const job of jobs) for (const s of jobSpans(job)) add(job.callId, s)
	const results = new Map<string, LaneEvent>()
	for (const e of events) if (e.data.phase === 'result') results.set(String(e.data.callId), e)
	const spans: Span[] = []
	for (const call of events) {
		if (call.data.phase !== 'call') continue
		const callId = String(call.data.callId)
		const result = results.get(callId)
		const outcome = result?.data.data as { ok?: unknown; code?: unknown } | undefined
		const end = result?.ts ?? run.finishedAt
		const status: SpanStatus = result ? (outcome?.ok === true ? 'ok' : 'error') : cutOff(run, end)
		const children = (parts.get(callId) ?? []).sort(byStart)
		parts.delete(callId)
		spans.push(
			span(
				`tool-${callId}`,
				'tool',
				`tool ${String(call.data.name)}`,
				call.ts,
				end,
				status,
				{
					tool: String(call.data.name),
					callId,
					placement: children.some((c) => c.kind === 'tool.queue') ? 'job' : 'lane',
					...(typeof outcome?.code === 'string' && { code: outcome.code }),
				},
				children,
			),
		)
	}
	for (const orphans of parts.values()) spans.push(...orphans)
	return spans
}

/** A call without a result: still running, or cut off by the end of its run. */
function cutOff(run: RunRecord, end: number | null): SpanStatus {
	if (end === null) return 'running'
	return run.status === 'cancelled' ? 'cancelled' : 'error'
}

const APPROVAL_STATUS: Record<ApprovalView['status'], SpanStatus> = {
	pending: 'running',
	allowed: 'ok',
	denied: 'error',
	expired: 'cancelled',
}

function approvalSpan(a: ApprovalView): Span {
	return span(
		`approval-${a.id}`,
		'approval',
		`approval ${a.tool}`,
		a.createdAt,
		a.decidedAt,
		APPROVAL_STATUS[a.status],
		{
			approvalId: a.id,
			decision: a.status,
			...(a.decidedBy !== null && { decidedBy: a.decidedBy }),
		},
	)
}

/** Created → claimed on the queue, claimed → settled in the consumer (and delivery back). */
function jobSpans(job: ToolJobTimes): Span[] {
	const settled: SpanStatus =
		job.code === null ? 'ok' : STOPPED_CODES.has(job.code) ? 'cancelled' : 'error'
	const attributes = { jobId: job.jobId, claims: job.claims, ...(job.code && { code: job.code }) }
	const queueEnd = job.startedAt ?? job.finishedAt
	const queue = span(
		`job-${job.jobId}-queue`,
		'tool.queue',
		`queue ${job.tool}`,
		job.createdAt,
		queueEnd,
		job.startedAt !== null ? 'ok' : queueEnd === null ? 'running' : settled,
		attributes,
	)
	if (job.startedAt === null) return [queue]
	const exec = span(
		`job-${job.jobId}-exec`,
		'tool.exec',
		`exec ${job.tool}`,
		job.startedAt,
		job.finishedAt,
		job.finishedAt === null ? 'running' : settled,
		attributes,
	)
	return [queue, exec]
}
