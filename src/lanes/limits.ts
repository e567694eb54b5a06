// What a lane holds a session to: queue, size, retention and context limits, per agent where its
// config says so. Apart from the RPC shapes (types.ts) because it reads the agent's model table.

import { DEFAULT_OUTPUT_RESERVE } from '../agents/models/router'
import { targetOf } from '../agents/models/targets'
import type { AgentSnapshot } from '../agents/runner'

/** Limits a lane enforces; per agent where the agent config says so. */
export interface LaneLimits {
	queueCap: number
	runDeadlineMs: number
	contextBudgetTokens: number
	maxMessages: number
	maxSessionBytes: number
	eventHistory: number
	eventRetentionMs: number
	compactedRetentionMs: number
	idempotencyTtlMs: number
	/** Finished runs are kept this long for `GET …/runs/{id}` and export. */
	runRetentionMs: number
	toolResultMaxChars: number
}

export const DEFAULT_LIMITS: Omit<
	LaneLimits,
	'queueCap' | 'runDeadlineMs' | 'contextBudgetTokens' | 'maxMessages'
> = {
	maxSessionBytes: 64 * 1024 * 1024,
	eventHistory: 10_000,
	eventRetentionMs: 7 * 24 * 3600_000,
	compactedRetentionMs: 7 * 24 * 3600_000,
	idempotencyTtlMs: 24 * 3600_000,
	runRetentionMs: 7 * 24 * 3600_000,
	toolResultMaxChars: 8_000,
}

/**
 * The lane's limits for an agent. The compaction budget is the agent's context budget, but never
 * more than its primary model can take (window minus output reserve and a share for the system
 * prompt and tools), so compaction happens before a call that could not fit.
 */
export function limitsFor(agent: AgentSnapshot): LaneLimits {
	const l = agent.config.limits
	const window = targetOf(agent.config, agent.config.model.primary).contextWindow
	const reserve = agent.config.params.maxOutputTokens ?? DEFAULT_OUTPUT_RESERVE
	const room = Math.max(1_000, Math.floor((window - reserve) * 0.8))
	return {
		...DEFAULT_LIMITS,
		queueCap: l.queueCap,
		runDeadlineMs: l.runDeadlineMs,
		contextBudgetTokens: Math.min(l.contextBudgetTokens, room),
		maxMessages: l.maxMessages,
	}
}
