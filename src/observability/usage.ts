// Usage accounting of model calls: every call becomes an Analytics Engine data point at once, and
// is added to the D1 day totals (per tenant, agent, model) in coalesced batches — at most one D1
// write per `intervalMs` per recorder (the first one interval after the first call), so a busy
// lane does not write D1 per turn.
import { PacedWrites } from '../db/paced-writes'
import { type UsageDelta, utcDay } from '../db/usage'
import type { Logger } from './logger'

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
}

export interface UsageSink {
	record(agent: { tenantId: string; id: string }, calls: readonly ModelCallRecord[]): void
}

export interface MetricsDataset {
	writeDataPoint(point: AnalyticsEngineDataPoint): void
}

/**
 * Analytics Engine layout of a model call: index = tenant; blobs = tenant, agent, model, profile,
 * outcome, kind ("model_call"); doubles = input tokens, output tokens, latency ms, 1 (count).
 */
export function modelCallPoint(
	agent: { tenantId: string; id: string },
	call: ModelCallRecord,
): AnalyticsEngineDataPoint {
	return {
		indexes: [agent.tenantId],
		blobs: [agent.tenantId, agent.id, call.model, call.profile ?? '', call.outcome, 'model_call'],
		doubles: [call.inputTokens, call.outputTokens, call.latencyMs, 1],
	}
}

export class UsageRecorder implements UsageSink {
	readonly #metrics: MetricsDataset | undefined
	readonly #logger: Logger
	readonly #writes: PacedWrites<Map<string, UsageDelta>>

	constructor(options: {
		metrics: MetricsDataset | undefined
		write: (deltas: UsageDelta[]) => Promise<void>
		intervalMs: number
		waitUntil: (p: Promise<unknown>) => void
		logger: Logger
	}) {
		this.#metrics = options.metrics
		this.#logger = options.logger
		this.#writes = new PacedWrites({
			...options,
			write: (pending) => options.write([...pending.values()]),
			failed: (error) => options.logger.error('usage.write_failed', { error }),
			// A short burst of calls is one write.
			waitFirst: true,
		})
	}

	record(agent: { tenantId: string; id: string }, calls: readonly ModelCallRecord[]): void {
		if (calls.length === 0) return
		const day = utcDay(Date.now())
		this.#writes.put((pending = new Map()) => {
			for (const call of calls) {
				try {
					this.#metrics?.writeDataPoint(modelCallPoint(agent, call))
				} catch (error) {
					this.#logger.warn('usage.metrics_failed', { error })
				}
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
	}

	/** Resolves once everything recorded so far is in D1 (tests, shutdown). */
	settled(): Promise<void> {
		return this.#writes.settled()
	}
}
