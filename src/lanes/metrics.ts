// What a lane measures, as metric points (docs/observability.md): one `run` point per run at the
// moment its end is recorded — whether it ran or ended in the queue —, the lane's own events
// (`recovered`, `compacted`) and each try of its outbox. Built here, written through the host's sink.
import type { ModelCallRecord } from '../agents/runner'
import {
	type DeliveryPoint,
	type LanePoint,
	type MetricsSink,
	pointBase,
	type RunPoint,
} from '../observability/metrics'
import { traceIdOf } from '../observability/trace'
import type { SessionRef } from '../security/subject'
import type { DeliveryRecord } from './delivery-store'
import type { RunRecord } from './store'

/** How a run ended, as the lane recorded it. */
export interface RunEnd {
	outcome: RunPoint['outcome']
	/** The error code of a failed run; the stop reason of a cancelled one. */
	code?: string
	finishedAt: number
	/** The model that answered (a succeeded run). */
	model?: string
	/** The model calls of this attempt. */
	calls?: readonly ModelCallRecord[]
	toolCalls?: number
	/** Runs still queued when this one started. */
	queueDepth?: number
	traceId?: string
}

/**
 * The run's point. A run that never started (cancelled in the queue, dropped by a reset or a
 * delete) has duration 0 and waited from its creation to its end; one that started waited from
 * its creation to its (last) start, and ran from then to its end.
 */
export function runPoint(
	run: Pick<RunRecord, 'agent' | 'mode' | 'createdAt' | 'startedAt' | 'attempt'> &
		Partial<Pick<RunRecord, 'trace'>>,
	end: RunEnd,
): RunPoint {
	const calls = end.calls ?? []
	let inputTokens = 0
	let outputTokens = 0
	for (const call of calls) {
		inputTokens += call.inputTokens
		outputTokens += call.outputTokens
	}
	const started = run.startedAt
	return {
		kind: 'run',
		...pointBase(run.agent.tenantId, run.agent.id, end.traceId ?? traceIdOf(run.trace)),
		outcome: end.outcome,
		...(end.code !== undefined && { code: end.code }),
		model: end.model ?? run.agent.config.model.primary,
		mode: run.mode,
		durationMs: started === null ? 0 : Math.max(0, end.finishedAt - started),
		queueWaitMs: Math.max(0, (started ?? end.finishedAt) - run.createdAt),
		steps: calls.length,
		toolCalls: end.toolCalls ?? 0,
		inputTokens,
		outputTokens,
		queueDepth: end.queueDepth ?? 0,
		attempt: run.attempt,
	}
}

/** Runs that ended in the queue, never started: cancelled there, or dropped by a reset or delete. */
export function endedQueued(
	sink: MetricsSink,
	runs: readonly RunRecord[],
	code: 'cancelled' | 'reset' | 'deleted',
	finishedAt: number,
): void {
	for (const run of runs) sink.write(runPoint(run, { outcome: 'cancelled', code, finishedAt }))
}

/** `recovered` (value: runs resumed) or `compacted` (value: messages folded). */
export function lanePoint(
	session: Pick<SessionRef, 'tenantId' | 'agentId'>,
	event: 'recovered' | 'compacted',
	value: number,
	traceId?: string,
): LanePoint {
	return { kind: 'lane', ...pointBase(session.tenantId, session.agentId, traceId), event, value }
}

/** One try of a delivery (or its giving up before a try: `attempts` is then the tries made). */
export function deliveryPoint(
	session: Pick<SessionRef, 'tenantId' | 'agentId'>,
	d: DeliveryRecord,
	outcome: DeliveryPoint['outcome'],
	attempts: number,
	latencyMs: number,
	traceId?: string,
): DeliveryPoint {
	return {
		kind: 'delivery',
		...pointBase(session.tenantId, session.agentId, traceId),
		channel: d.channelId,
		channelKind: d.route.kind,
		outcome,
		latencyMs,
		attempts,
		bytes: d.body.length,
	}
}
