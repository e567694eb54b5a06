// Alert rules as pure decisions: defaults and overrides from the tenant settings, each rule's
// value, and episodes that open once, stay open while the condition lasts and close once it has
// clearly cleared (hysteresis) — never one change per failing request or per tick.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TenantSettings, TenantSettingsPatch } from '../../src/db/tenant-settings'
import { ALERT_DEFAULTS, type RuleConfig, rulesOf } from '../../src/observability/alert-settings'
import {
	type AlertChange,
	decideAlerts,
	NO_FACTS,
	type OpenEpisode,
	ruleValue,
	type TenantFacts,
} from '../../src/observability/alerts'
import { BUCKET_COUNT, bucketOf } from '../../src/observability/rollups'

const rule = (name: RuleConfig['rule'], rules = rulesOf(undefined)): RuleConfig =>
	rules.find((r) => r.rule === name) as RuleConfig

/** A histogram of run durations. */
function hist(durations: number[]): number[] {
	const h = new Array<number>(BUCKET_COUNT).fill(0)
	for (const d of durations) h[bucketOf(d)] = (h[bucketOf(d)] ?? 0) + 1
	return h
}

const facts = (f: Partial<TenantFacts>): TenantFacts => ({ ...NO_FACTS, ...f })

describe('alert settings', () => {
	it('applies the documented defaults', () => {
		expect(rulesOf(undefined)).toEqual([
			{ rule: 'error_rate', enabled: true, threshold: 0.05, min: 20 },
			{ rule: 'latency_p95', enabled: true, threshold: 30_000, min: 5 },
			{ rule: 'stuck_lanes', enabled: true, threshold: 1, min: 0 },
			{ rule: 'failed_deliveries', enabled: true, threshold: 1, min: 0 },
			{ rule: 'budget', enabled: true, threshold: 0.8, min: 0 },
			{ rule: 'failing_schedules', enabled: true, threshold: 1, min: 0 },
		])
		expect(ALERT_DEFAULTS.error_rate.threshold).toBe(0.05)
	})

	it('takes overrides per rule, and turns every rule off with alerts.enabled = false', () => {
		const rules = rulesOf({
			errorRate: { threshold: 0.2, minRequests: 5 },
			latencyP95: { thresholdMs: 2_000, minRuns: 1 },
			budget: { enabled: false },
		})
		expect(rule('error_rate', rules)).toMatchObject({ threshold: 0.2, min: 5, enabled: true })
		expect(rule('latency_p95', rules)).toMatchObject({ threshold: 2_000, min: 1 })
		expect(rule('budget', rules).enabled).toBe(false)
		expect(rulesOf({ enabled: false }).every((r) => !r.enabled)).toBe(true)
	})

	it('validates the tenant setting and its merge patch', () => {
		const alerts = {
			webhook: { url: 'https://ops.example/alerts', secret: 'ALERT_SIGNING' },
			failedDeliveries: { threshold: 3 },
		}
		expect(TenantSettings.safeParse({ alerts }).success).toBe(true)
		const bad = [
			{ alerts: { errorRate: { threshold: 5 } } },
			{ alerts: { latencyP95: { threshold: 100 } } },
			{ alerts: { webhook: { url: 'ftp://ops.example', secret: 'S' } } },
			{ alerts: { webhook: { url: 'https://ops.example', secret: 'lowercase' } } },
			{ alerts: { webhook: { url: 'https://ops.example', secret: 'EDGECLAW_X' } } },
			{ alerts: { webhook: { url: 'https://ops.example' } } },
			{ alerts: { paging: true } },
		]
		for (const settings of bad) expect(TenantSettings.safeParse(settings).success).toBe(false)
		expect(
			TenantSettings.safeParse({ alerts: { failingSchedules: { enabled: false, threshold: 3 } } })
				.success,
		).toBe(true)
		for (const failingSchedules of [{ threshold: 0 }, { threshold: 1.5 }, { minRuns: 2 }]) {
			expect(TenantSettings.safeParse({ alerts: { failingSchedules } }).success).toBe(false)
		}
		expect(rule('failing_schedules', rulesOf({ failingSchedules: { threshold: 3 } }))).toEqual({
			rule: 'failing_schedules',
			enabled: true,
			threshold: 3,
			min: 0,
		})
		const patch = { alerts: { webhook: null, errorRate: { threshold: null }, enabled: false } }
		expect(TenantSettingsPatch.safeParse(patch).success).toBe(true)
		expect(TenantSettingsPatch.safeParse({ alerts: { errorRate: { min: 1 } } }).success).toBe(false)
	})
})

describe('rule values', () => {
	it('error rate: 5xx over requests, once the sample is big enough', () => {
		const r = rule('error_rate')
		expect(ruleValue(r, facts({ requests: 19, serverErrors: 19 }))).toBeNull()
		expect(ruleValue(r, facts({ requests: 40, serverErrors: 4 }))).toBe(0.1)
	})

	it('turn latency: the p95 of the runs histogram, once there are enough runs', () => {
		const r = rule('latency_p95')
		expect(ruleValue(r, facts({ runs: 4, runHist: hist([1, 1, 1, 1]) }))).toBeNull()
		const slow = hist([100, 100, 100, 100, 100, 100, 100, 100, 100, 45_000])
		expect(ruleValue(r, facts({ runs: 10, runHist: slow }))).toBeGreaterThan(30_000)
	})

	it('budget use: tokens today over the daily budget; no budget, no value', () => {
		const r = rule('budget')
		expect(ruleValue(r, facts({ tokensToday: 900 }))).toBeNull()
		expect(ruleValue(r, facts({ tokensToday: 900, dailyTokenBudget: 1_000 }))).toBe(0.9)
		expect(ruleValue(r, facts({ tokensToday: 5, dailyTokenBudget: 0 }))).toBeNull()
	})

	it('failing schedules: the count, judged always (0 without any)', () => {
		const r = rule('failing_schedules')
		expect(ruleValue(r, NO_FACTS)).toBe(0)
		expect(ruleValue(r, facts({ failingSchedules: 3 }))).toBe(3)
		// Other facts do not move it: no traffic at all still judges it.
		expect(ruleValue(r, facts({ failingSchedules: 1, requests: 0, runs: 0 }))).toBe(1)
	})
})

describe('episodes', () => {
	const rules = rulesOf(undefined)
	let open: OpenEpisode[] = []
	/** One tick: decides, then applies the changes to `open` as the schedule would. */
	function tick(f: Partial<TenantFacts>, at: number, settings = rules): AlertChange[] {
		const changes = decideAlerts(settings, facts(f), open)
		for (const c of changes) {
			if (c.kind === 'raise') {
				open.push({
					id: `${c.rule}-${at}`,
					rule: c.rule,
					value: c.value,
					threshold: c.threshold,
					openedAt: at,
				})
			} else open = open.filter((e) => e.id !== c.episode.id)
		}
		return changes
	}

	it('raises once per episode, holds through the hysteresis band, resolves once', () => {
		open = []
		expect(tick({ requests: 100, serverErrors: 4 }, 1)).toEqual([])
		expect(tick({ requests: 100, serverErrors: 5 }, 2)).toEqual([
			{ kind: 'raise', rule: 'error_rate', value: 0.05, threshold: 0.05 },
		])
		// Still failing, more than before: the episode stays, nothing is raised again.
		expect(tick({ requests: 100, serverErrors: 30 }, 3)).toEqual([])
		// Just under the threshold but within 10 % of it: still the same episode.
		expect(tick({ requests: 100, serverErrors: 4.6 }, 4)).toEqual([])
		const resolved = tick({ requests: 100, serverErrors: 4 }, 5)
		expect(resolved).toEqual([
			expect.objectContaining({
				kind: 'resolve',
				value: 0.04,
				episode: expect.objectContaining({ id: 'error_rate-2' }),
			}),
		])
		expect(tick({ requests: 100, serverErrors: 0 }, 6)).toEqual([])
		// A new crossing is a new episode.
		expect(tick({ requests: 100, serverErrors: 50 }, 7)).toEqual([
			expect.objectContaining({ kind: 'raise' }),
		])
		expect(open.map((e) => e.id)).toEqual(['error_rate-7'])
	})

	it('resolves when the rule is switched off or has nothing left to judge', () => {
		open = []
		tick({ stuckLanes: 2, requests: 50, serverErrors: 50 }, 1)
		expect(open.map((e) => e.rule).sort()).toEqual(['error_rate', 'stuck_lanes'])
		const off = rulesOf({ stuckLanes: { enabled: false } })
		// Too few requests to judge: the error-rate episode stays as it is (no flapping at the
		// minimum); the stuck rule was turned off.
		expect(
			tick({ stuckLanes: 2, requests: 3, serverErrors: 3 }, 2, off).map(
				(c) => c.kind === 'resolve' && c.episode.rule,
			),
		).toEqual(['stuck_lanes'])
		expect(tick({ requests: 19, serverErrors: 19 }, 3, off)).toEqual([])
		expect(open.map((e) => e.rule)).toEqual(['error_rate'])
		// Traffic stopped: nothing left to judge.
		const changes = tick({ requests: 0 }, 4, off)
		expect(changes.map((c) => c.kind === 'resolve' && c.episode.rule)).toEqual(['error_rate'])
		expect(open).toEqual([])
		// Off, it raises nothing however bad it gets.
		expect(tick({ stuckLanes: 9 }, 5, off)).toEqual([])
	})

	it('counts rules raise at their threshold and clear at zero', () => {
		open = []
		expect(tick({ failedDeliveries: 1, stuckLanes: 1 }, 1).map((c) => c.kind)).toEqual([
			'raise',
			'raise',
		])
		expect(tick({ failedDeliveries: 0, stuckLanes: 1 }, 2)).toEqual([
			expect.objectContaining({
				kind: 'resolve',
				value: 0,
				episode: expect.objectContaining({ rule: 'failed_deliveries' }),
			}),
		])
		expect(open.map((e) => e.rule)).toEqual(['stuck_lanes'])
	})

	it('failing schedules: one episode while any fails, closed when none does', () => {
		open = []
		expect(tick({ failingSchedules: 0 }, 1)).toEqual([])
		expect(tick({ failingSchedules: 1 }, 2)).toEqual([
			{ kind: 'raise', rule: 'failing_schedules', value: 1, threshold: 1 },
		])
		// More schedules failing, or fewer but still some: the same episode, nothing raised.
		expect(tick({ failingSchedules: 4 }, 3)).toEqual([])
		expect(tick({ failingSchedules: 1 }, 4)).toEqual([])
		expect(open.map((e) => e.id)).toEqual(['failing_schedules-2'])
		expect(tick({ failingSchedules: 0 }, 5)).toEqual([
			expect.objectContaining({
				kind: 'resolve',
				value: 0,
				episode: expect.objectContaining({ id: 'failing_schedules-2' }),
			}),
		])
		expect(open).toEqual([])
		// A higher threshold: one failing schedule is not enough; switched off, an episode closes.
		const three = rulesOf({ failingSchedules: { threshold: 3 } })
		expect(tick({ failingSchedules: 2 }, 6, three)).toEqual([])
		expect(tick({ failingSchedules: 3 }, 7, three).map((c) => c.kind)).toEqual(['raise'])
		const off = rulesOf({ failingSchedules: { enabled: false } })
		expect(tick({ failingSchedules: 5 }, 8, off).map((c) => c.kind)).toEqual(['resolve'])
		expect(tick({ failingSchedules: 5 }, 9, off)).toEqual([])
	})

	it('failing schedules: open exactly while any fails, one raise per stretch (property)', () => {
		fc.assert(
			fc.property(fc.array(fc.nat({ max: 4 }), { maxLength: 40 }), (counts) => {
				open = []
				let raises = 0
				let before = 0
				counts.forEach((n, i) => {
					const changes = tick({ failingSchedules: n }, i)
					raises += changes.filter((c) => c.kind === 'raise').length
					// At most one change a tick, and only where the condition starts or ends.
					expect(changes.length).toBe(Number((before === 0) !== (n === 0)))
					expect(open.map((e) => e.rule)).toEqual(n > 0 ? ['failing_schedules'] : [])
					before = n
				})
				const stretches = counts.filter((n, i) => n > 0 && (counts[i - 1] ?? 0) === 0).length
				expect(raises).toBe(stretches)
			}),
		)
	})
})
