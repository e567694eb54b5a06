// Tenant settings (D1 `tenants.settings`): one zod schema is the API's validator, the stored JSON's
// type and, field by field, the reader of rows — a value written by hand that does not fit falls
// back to its default alone instead of failing the tenant.
import { z } from 'zod'
import { AlertSettings, AlertSettingsPatch } from '../observability/alert-settings'

export const RATE_LIMIT_TIERS = ['low', 'standard', 'high'] as const
export type RateLimitTier = (typeof RATE_LIMIT_TIERS)[number]

const fields = {
	/** Cap on turns running at once across the tenant's sessions; unset = no cap. */
	maxConcurrentRuns: z.number().int().min(1).max(100_000),
	/** Input + output tokens per UTC day; unset = unlimited. */
	dailyTokenBudget: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
	/** Which tenant request counter applies (wrangler.toml RATE_LIMIT_TENANT*); unset = standard. */
	rateLimitTier: z.enum(RATE_LIMIT_TIERS),
	/** Alert thresholds and their webhook (src/observability/alert-settings.ts); unset = defaults. */
	alerts: AlertSettings,
}
type Fields = typeof fields

export const TenantSettings = z
	.object({
		maxConcurrentRuns: fields.maxConcurrentRuns.optional(),
		dailyTokenBudget: fields.dailyTokenBudget.optional(),
		rateLimitTier: fields.rateLimitTier.optional(),
		alerts: fields.alerts.optional(),
	} satisfies { [K in keyof Fields]: z.ZodOptional<Fields[K]> })
	.strict()
export type TenantSettings = z.infer<typeof TenantSettings>

/**
 * A change to the settings (JSON merge patch, RFC 7396): a key sets its value, `null` removes it
 * (back to the default), a key left out stays as it is. Unknown keys are refused.
 */
export const TenantSettingsPatch = z
	.object({
		maxConcurrentRuns: fields.maxConcurrentRuns.nullable().optional(),
		dailyTokenBudget: fields.dailyTokenBudget.nullable().optional(),
		rateLimitTier: fields.rateLimitTier.nullable().optional(),
		// Merged key by key, like the settings around it (a nested `null` restores that default).
		alerts: AlertSettingsPatch.nullable().optional(),
	} satisfies {
		[K in Exclude<keyof Fields, 'alerts'>]: z.ZodOptional<z.ZodNullable<Fields[K]>>
	} & { alerts: unknown })
	.strict()
export type TenantSettingsPatch = z.infer<typeof TenantSettingsPatch>

/** The settings a stored value holds: each known field that fits its schema; the rest is ignored. */
export function readSettings(stored: unknown): TenantSettings {
	const out: Record<string, unknown> = {}
	if (stored && typeof stored === 'object') {
		for (const [key, schema] of Object.entries(fields)) {
			const parsed = schema.safeParse((stored as Record<string, unknown>)[key])
			if (parsed.success) out[key] = parsed.data
		}
	}
	return out as TenantSettings
}

/** What the hot path needs of a tenant's settings, defaults applied. */
export interface TenantLimits {
	/** Cap on concurrently running turns across the tenant's sessions; null = none. */
	maxConcurrentRuns: number | null
	/** Tokens (input + output) the tenant may use per UTC day; null = unlimited. */
	dailyTokenBudget: number | null
	rateLimitTier: RateLimitTier
}

export const limitsOf = (settings: TenantSettings): TenantLimits => ({
	maxConcurrentRuns: settings.maxConcurrentRuns ?? null,
	dailyTokenBudget: settings.dailyTokenBudget ?? null,
	rateLimitTier: settings.rateLimitTier ?? 'standard',
})
