// Usage accounting of model calls: every call becomes a `model_call` metric point at once (through
// the place's metrics writer), and is added to the D1 day totals (per tenant, agent, model) in
// coalesced batches — at most one D1 write per `intervalMs` per recorder (the first one interval
// after the first call), or per isolate for recorders that share their writes (the lanes), so a
// busy lane does not write D1 per turn and an isolate of many lanes writes once per interval.
import { HandedWrites, handNext, PacedWrites } from '../db/paced-writes'
import { type UsageDelta, utcDay } from '../db/usage'
import type { Logger } from './logger'
import { type MetricsSink, type ModelCallPoint, type ModelCallPurpose, pointBase } from './metrics'
import { costOf, type ModelPrice, priceOf } from './prices'

/** One call to a model provider, successful or not. */
export interface ModelCallRecord {
	/** `provider:model` as the agent config names it. */
	model: string
	/** Auth profile id, when the provider has profiles. */
	profile?: string
	inputTokens: number
	outputTokens: number
	/** Epoch ms the call started (absent in records from before traces). */
	startedAt?: number
	latencyMs: number
	/** `ok`, or the failure class (rate_limit, server, timeout, …). */
	outcome: string
	status?: number
	/** True when an earlier target or profile of the same step failed first. */
	failover?: boolean
	/** `embedding` for a `/v1/embeddings` call; else a step of a run. */
	purpose?: ModelCallPurpose
}

/** The agent a call is accounted to; its config's `prices` (USD per million tokens) go first. */
export interface UsageAgent {
	tenantId: string
	id: string
	config?: { prices?: Readonly<Record<string, ModelPrice>> | undefined }
}

export interface UsageSink {
	/** `traceId`: the W3C trace id of the run the calls were made in, when it has one. */
	record(agent: UsageAgent, calls: readonly ModelCallRecord[], traceId?: string): void
}

/** The `model_call` metric point of a call (docs/observability.md). */
export function modelCallMetric(
	agent: UsageAgent,
	call: ModelCallRecord,
	traceId?: string,
): ModelCallPoint {
	const colon = call.model.indexOf(':')
	const costUsd = costOf(
		priceOf(call.model, agent.config?.prices),
		call.inputTokens,
		call.outputTokens,
	)
	return {
		kind: 'model_call',
		...pointBase(agent.tenantId, agent.id, traceId),
		model: call.model,
		provider: colon < 0 ? call.model : call.model.slice(0, colon),
		...(call.profile !== undefined && { profile: call.profile }),
		outcome: call.outcome,
		...(call.status !== undefined && { status: call.status }),
		latencyMs: call.latencyMs,
		inputTokens: call.inputTokens,
		outputTokens: call.outputTokens,
		...(costUsd !== undefined && { costUsd }),
		failover: call.failover === true,
		...(call.purpose !== undefined && { purpose: call.purpose }),
	}
}

export type PendingUsage = Map<string, UsageDelta>

/**
 * Usage writes shared by every Durable Object of this isolate (one per D1 binding): the lanes an
 * isolate hosts add their deltas to one pending batch, and each batch is written by one of them
 * (HandedWrites) — one D1 write per interval per isolate instead of one per lane.
 */
const sharedWrites = new WeakMap<D1Database, HandedWrites<PendingUsage>>()

export function sharedUsageWrites(
	d1: D1Database,
	options: { write: (deltas: UsageDelta[]) => Promise<void>; intervalMs: number; logger: Logger },
): HandedWrites<PendingUsage> {
	let writes = sharedWrites.get(d1)
	if (!writes) {
		writes = new HandedWrites<PendingUsage>({
			intervalMs: options.intervalMs,
			write: (pending) => options.write([...pending.values()]),
			failed: (error) => options.logger.error('usage.write_failed', { error }),
		})
		sharedWrites.set(d1, writes)
	}
	return writes
}

export class UsageRecorder implements UsageSink {
	readonly #metrics: MetricsSink
	readonly #writes: PacedWrites<PendingUsage> | HandedWrites<PendingUsage>
	readonly #waitUntil: (p: Promise<unknown>) => void

	constructor(
		options: {
			/** Where each call's `model_call` point goes (NO_METRICS when telemetry is off). */
			metrics: MetricsSink
			/** Keeps the writes this recorder makes alive. */
			waitUntil: (p: Promise<unknown>) => void
			logger: Logger
		} & (
			| { write: (deltas: UsageDelta[]) => Promise<void>; intervalMs: number }
			/** Writes shared with other recorders (sharedUsageWrites): this one makes a write when it falls to it. */
			| { shared: HandedWrites<PendingUsage> }
		),
	) {
		this.#metrics = options.metrics
		this.#waitUntil = options.waitUntil
		this.#writes =
			'shared' in options
				? options.shared
				: new PacedWrites({
						intervalMs: options.intervalMs,
						waitUntil: options.waitUntil,
						write: (pending) => options.write([...pending.values()]),
						failed: (error) => options.logger.error('usage.write_failed', { error }),
						// A short burst of calls is one write.
						waitFirst: true,
					})
	}

	record(agent: UsageAgent, calls: readonly ModelCallRecord[], traceId?: string): void {
		if (calls.length === 0) return
		const day = utcDay(Date.now())
		// The writer never throws.
		for (const call of calls) this.#metrics.write(modelCallMetric(agent, call, traceId))
		this.#writes.put((pending = new Map()) => {
			for (const call of calls) {
				const key = `${agent.tenantId}|${day}|${agent.id}|${call.model}`
				const d = pending.get(key) ?? {
					tenantId: agent.tenantId,
					day,
					agentId: agent.id,
					model: call.model,
					calls: 0,
					errors: 0,
					inputTokens: 0,
					outputTokens: 0,
					latencyMs: 0,
				}
				d.calls++
				if (call.outcome !== 'ok') d.errors++
				d.inputTokens += call.inputTokens
				d.outputTokens += call.outputTokens
				d.latencyMs += call.latencyMs
				pending.set(key, d)
			}
			return pending
		})
		if (this.#writes instanceof HandedWrites) handNext(this.#writes, this.#waitUntil)
	}

	/** Resolves once everything recorded so far is in D1 (tests, shutdown). */
	settled(): Promise<void> {
		return this.#writes.settled()
	}
}
