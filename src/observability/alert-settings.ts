// A tenant's alert settings (`alerts` in the tenant settings): each rule's threshold and switch
// over the documented defaults, and the optional Standard-Webhooks-signed webhook that hears of
// every raise and resolve. One schema validates the API and reads the stored JSON.
import { z } from 'zod'
import { isReservedName, RESERVED_PREFIX, SECRET_NAME_PATTERN } from '../security/secrets'

export const ALERT_RULES = [
	'error_rate',
	'latency_p95',
	'stuck_lanes',
	'failed_deliveries',
	'budget',
	'failing_schedules',
] as const
export type AlertRule = (typeof ALERT_RULES)[number]

/**
 * Every rule's defaults, in the rule's unit: error rate and budget use as fractions (0.05 = 5 %),
 * latency in ms, stuck lanes, failed deliveries and failing schedules as counts. `min` is the sample below which a
 * rule does not judge (requests for the error rate, runs for latency).
 */
export const ALERT_DEFAULTS = {
	error_rate: { threshold: 0.05, min: 20 },
	latency_p95: { threshold: 30_000, min: 5 },
	stuck_lanes: { threshold: 1, min: 0 },
	failed_deliveries: { threshold: 1, min: 0 },
	budget: { threshold: 0.8, min: 0 },
	failing_schedules: { threshold: 1, min: 0 },
} as const satisfies Record<AlertRule, { threshold: number; min: number }>

/** The settings key of each rule (camelCase, like every tenant setting). */
const SETTINGS_KEY = {
	error_rate: 'errorRate',
	latency_p95: 'latencyP95',
	stuck_lanes: 'stuckLanes',
	failed_deliveries: 'failedDeliveries',
	budget: 'budget',
	failing_schedules: 'failingSchedules',
} as const satisfies Record<AlertRule, string>

const enabled = z.boolean()
const count = (max: number) => z.number().int().min(1).max(max)

/** Each rule's fields: a switch, its threshold and (for rates and percentiles) its sample. */
const RULE_FIELDS = {
	errorRate: { enabled, threshold: z.number().min(0).max(1), minRequests: count(1_000_000) },
	latencyP95: { enabled, thresholdMs: count(3_600_000), minRuns: count(1_000_000) },
	stuckLanes: { enabled, threshold: count(1_000_000) },
	failedDeliveries: { enabled, threshold: count(1_000_000) },
	budget: { enabled, threshold: z.number().gt(0).max(1) },
	failingSchedules: { enabled, threshold: count(1_000_000) },
}

const SecretRef = z
	.string()
	.regex(SECRET_NAME_PATTERN, 'must name a tenant secret: 1-128 chars of A-Z, 0-9 and "_"')
	.refine((name) => !isReservedName(name), `names starting with ${RESERVED_PREFIX} are reserved`)

/** Where raises and resolves are POSTed; `secret` names the tenant secret (`whsec_…`) signing them. */
export const AlertWebhook = z
	.object({
		url: z.url({ protocol: /^https?$/ }).max(2_048),
		secret: SecretRef,
	})
	.strict()
export type AlertWebhook = z.infer<typeof AlertWebhook>

type Fields = Record<string, z.ZodType>

const allOptional = <F extends Fields>(fields: F) =>
	z
		.object(
			Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as {
				[K in keyof F]: z.ZodOptional<F[K]>
			},
		)
		.strict()

/** A merge patch of an object: each key sets its value or, `null`, goes back to its default. */
const allPatchable = <F extends Fields>(fields: F) =>
	z
		.object(
			Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.nullable().optional()])) as {
				[K in keyof F]: z.ZodOptional<z.ZodNullable<F[K]>>
			},
		)
		.strict()

const rules = <T>(each: (fields: Fields) => T) =>
	Object.fromEntries(Object.entries(RULE_FIELDS).map(([k, f]) => [k, each(f)])) as {
		[K in keyof typeof RULE_FIELDS]: T
	}

export const AlertSettings = allOptional({
	/** false: no rule is evaluated (open episodes resolve). */
	enabled,
	webhook: AlertWebhook,
	...rules((f) => allOptional(f)),
})
export type AlertSettings = z.infer<typeof AlertSettings>

/** A change to the alert settings, merged like the rest of the tenant settings (RFC 7396). */
export const AlertSettingsPatch = allPatchable({
	enabled,
	webhook: AlertWebhook,
	...rules((f) => allPatchable(f)),
})

/** One rule as evaluated: defaults applied. */
export interface RuleConfig {
	rule: AlertRule
	enabled: boolean
	threshold: number
	/** The sample below which the rule does not judge (0: always judges). */
	min: number
}

/** The rules of a tenant's settings, defaults applied; every rule is off when alerts are. */
export function rulesOf(settings: AlertSettings | undefined): RuleConfig[] {
	return ALERT_RULES.map((rule) => {
		const own = (settings?.[SETTINGS_KEY[rule]] ?? {}) as {
			enabled?: boolean
			threshold?: number
			thresholdMs?: number
			minRequests?: number
			minRuns?: number
		}
		const defaults = ALERT_DEFAULTS[rule]
		return {
			rule,
			enabled: settings?.enabled !== false && own.enabled !== false,
			threshold: own.threshold ?? own.thresholdMs ?? defaults.threshold,
			min: own.minRequests ?? own.minRuns ?? defaults.min,
		}
	})
}
