// Alert rules as pure decisions: from what the schedule measured for a tenant (the per-minute
// rollups, the sessions index, the day's usage, the schedules' failure streaks) and the episodes already open, which episodes
// open and which close. An episode opens once when its rule crosses the threshold and closes once
// the value is clearly back under it (a 10 % hysteresis), so a flapping value never floods.
import type { AlertRule, RuleConfig } from './alert-settings'
import { quantileOf } from './rollups'

/** Error rate and turn latency are judged over the last 5 minutes of rollups. */
export const RECENT_WINDOW_MS = 5 * 60_000
/** Failed deliveries are counted over the last 15 minutes. */
export const DELIVERY_WINDOW_MS = 15 * 60_000
/**
 * Failures in a row that make a schedule count for `failing_schedules`: the streak at which the
 * schedule's own alert goes out (ALERT_AFTER in src/automation/schedules/outcomes.ts).
 */
export const FAILING_STREAK = 2
/** An open episode closes once its value is below threshold × (1 − HYSTERESIS). */
export const HYSTERESIS = 0.1

/** What the schedule measured for one tenant. */
export interface TenantFacts {
	/** Gateway requests in the recent window, and those answered 5xx. */
	requests: number
	serverErrors: number
	/** Finished runs in the recent window, and their duration histogram (ROLLUP_BUCKETS_MS). */
	runs: number
	runHist: readonly number[]
	/** Deliveries given up in the delivery window. */
	failedDeliveries: number
	/** The tenant's sessions whose lane has a stuck run (the D1 sessions index). */
	stuckLanes: number
	/** Input + output tokens used today (UTC) and the daily budget (null: none). */
	tokensToday: number
	dailyTokenBudget: number | null
	/**
	 * The tenant's schedules failing FAILING_STREAK or more times in a row: those still on, and
	 * those the scheduler turned off for it until someone turns them on again or deletes them.
	 */
	failingSchedules: number
}

export const NO_FACTS: TenantFacts = {
	requests: 0,
	serverErrors: 0,
	runs: 0,
	runHist: [],
	failedDeliveries: 0,
	stuckLanes: 0,
	tokensToday: 0,
	dailyTokenBudget: null,
	failingSchedules: 0,
}

/** An episode as the decisions see it. */
export interface OpenEpisode {
	id: string
	rule: string
	value: number
	threshold: number
	openedAt: number
}

export type AlertChange<E extends OpenEpisode = OpenEpisode> =
	| { kind: 'raise'; rule: AlertRule; value: number; threshold: number }
	| { kind: 'resolve'; episode: E; value: number | null; threshold: number }

/**
 * A rule's value for the tenant, in its unit; null when the rule cannot judge (too small a
 * sample, or no budget to measure against).
 */
export function ruleValue(config: RuleConfig, f: TenantFacts): number | null {
	switch (config.rule) {
		case 'error_rate':
			return f.requests >= Math.max(1, config.min) ? f.serverErrors / f.requests : null
		case 'latency_p95':
			return f.runs >= Math.max(1, config.min) ? quantileOf(f.runHist, 0.95) : null
		case 'stuck_lanes':
			return f.stuckLanes
		case 'failed_deliveries':
			return f.failedDeliveries
		case 'budget':
			return f.dailyTokenBudget ? f.tokensToday / f.dailyTokenBudget : null
		case 'failing_schedules':
			return f.failingSchedules
	}
}

/**
 * Whether a rule that cannot judge has nothing left to judge: no requests (no runs) at all in the
 * window, or no budget. A sample that is only too small is not that: an episode stays as it is
 * through it, so traffic hovering at the rule's minimum does not open and close it every minute.
 */
function nothingToJudge(config: RuleConfig, f: TenantFacts): boolean {
	if (config.rule === 'error_rate') return f.requests === 0
	if (config.rule === 'latency_p95') return f.runs === 0
	return true
}

/**
 * The changes for one tenant: a rule that is on, has no open episode and is at or over its
 * threshold opens one; an open episode closes when its rule is off, has nothing left to judge, or
 * is below the threshold by the hysteresis. Anything else changes nothing (an open episode stays
 * open however long the condition lasts).
 */
export function decideAlerts<E extends OpenEpisode>(
	rules: readonly RuleConfig[],
	facts: TenantFacts,
	open: readonly E[],
): AlertChange<E>[] {
	const changes: AlertChange<E>[] = []
	for (const config of rules) {
		const value = ruleValue(config, facts)
		const episode = open.find((e) => e.rule === config.rule)
		const { threshold } = config
		if (!episode) {
			if (config.enabled && value !== null && value >= threshold) {
				changes.push({ kind: 'raise', rule: config.rule, value, threshold })
			}
		} else if (
			!config.enabled ||
			(value === null ? nothingToJudge(config, facts) : value < threshold * (1 - HYSTERESIS))
		) {
			changes.push({ kind: 'resolve', episode, value, threshold })
		}
	}
	return changes
}
