// What a schedule is: its times (`at`, `every`, `cron` in an IANA time zone), the session its
// message goes to, where the answer goes, and what happens to slots missed while nothing ran.
// One zod schema validates the API and reads the stored JSON.
import { Cron } from 'croner'
import { z } from 'zod'
import { Slug } from '../../agents/slug'
import { SessionKey } from '../../lanes/name'
import { AlertWebhook } from '../../observability/alert-settings'

/** `every` may not fire more often than this. */
export const MIN_EVERY_MS = 60_000
/** Nor less often than this (a year and a day; anything rarer is a `cron` or an `at`). */
export const MAX_EVERY_MS = 366 * 86_400_000
export const MAX_MESSAGE_CHARS = 20_000
/** Default and longest tolerated lateness of a missed slot under `runOnce`. */
export const DEFAULT_MAX_LATENESS_MS = 3_600_000
export const MAX_LATENESS_MS = 7 * 86_400_000

const UNITS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** `90s`, `15m`, `2h`, `1d` → ms; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
	const m = /^(\d{1,9})(s|m|h|d)$/.exec(text)
	if (!m) return undefined
	return Number(m[1]) * UNITS[m[2] as keyof typeof UNITS]
}

/** True for a time zone this runtime knows (IANA names, `UTC`). */
export function isTimeZone(zone: string): boolean {
	if (zone.length > 64) return false
	try {
		new Intl.DateTimeFormat('en-US', { timeZone: zone })
		return true
	} catch {
		return false
	}
}

/** A paused croner job over a 5-field expression; throws croner's message when it is invalid. */
function cronOf(expr: string, timeZone: string): Cron {
	return new Cron(expr, { timezone: timeZone, mode: '5-part', paused: true })
}

/** Why a 5-field cron expression cannot be used, or undefined when it can. */
export function cronProblem(expr: string, timeZone: string): string | undefined {
	try {
		const next = cronOf(expr, timeZone).nextRun(new Date(0))
		return next ? undefined : 'never fires'
	} catch (error) {
		return error instanceof Error ? error.message.replace(/^CronPattern: /, '') : 'is invalid'
	}
}

const IsoTime = z.iso.datetime({ offset: true })

const At = z.object({ kind: z.literal('at'), at: IsoTime }).strict()

const Every = z
	.object({
		kind: z.literal('every'),
		everyMs: z.number().int().min(MIN_EVERY_MS).max(MAX_EVERY_MS).optional(),
		every: z
			.string()
			.max(12)
			.optional()
			.refine((v) => v === undefined || parseDuration(v) !== undefined, {
				message: 'must be a duration like 90s, 15m, 2h or 1d',
			}),
		/** Slots fall on `anchorAt + k·everyMs`; default: when the schedule was created. */
		anchorAt: IsoTime.optional(),
	})
	.strict()

const CronSpec = z
	.object({
		kind: z.literal('cron'),
		expr: z.string().min(9).max(200),
		timeZone: z.string().min(1).max(64).default('UTC'),
	})
	.strict()

export const ScheduleTime = z.discriminatedUnion('kind', [At, Every, CronSpec])

export const ScheduleTarget = z
	.object({
		agentId: Slug,
		/** `main`, any session key, or `isolated`: a fresh session for every run. */
		session: SessionKey.default('main'),
		message: z.string().min(1).max(MAX_MESSAGE_CHARS),
	})
	.strict()

export const ScheduleDelivery = z.discriminatedUnion('type', [
	z.object({ type: z.literal('none') }).strict(),
	z
		.object({
			type: z.literal('channel'),
			channelId: Slug,
			/** The channel's own reply target (docs/channels.md): a chat id, a thread, … */
			target: z.record(z.string(), z.unknown()),
		})
		.strict()
		.refine((d) => JSON.stringify(d.target).length <= 2_000, {
			message: 'target is larger than 2000 characters of JSON',
			path: ['target'],
		}),
	z
		.object({
			type: z.literal('webhook'),
			url: z.url({ protocol: /^https?$/ }).max(2_048),
		})
		.strict(),
])

export const MisfirePolicy = z
	.object({
		policy: z.enum(['skip', 'runOnce']).default('runOnce'),
		maxLatenessMs: z.number().int().min(0).max(MAX_LATENESS_MS).default(DEFAULT_MAX_LATENESS_MS),
	})
	.strict()

/** Every field of a schedule a caller sets (the API's body, apart from `id`). */
export const ScheduleFields = z
	.object({
		name: z.string().max(200).optional(),
		enabled: z.boolean().default(true),
		schedule: ScheduleTime,
		target: ScheduleTarget,
		delivery: ScheduleDelivery.default({ type: 'none' }),
		misfire: MisfirePolicy.default({ policy: 'runOnce', maxLatenessMs: DEFAULT_MAX_LATENESS_MS }),
		/** Told (Standard-Webhooks-signed) when runs keep failing; `secret` names a tenant secret. */
		alertWebhook: AlertWebhook.optional(),
	})
	.strict()

export type ScheduleFields = z.infer<typeof ScheduleFields>
export type ScheduleTime = z.infer<typeof ScheduleTime>
export type ScheduleDelivery = z.infer<typeof ScheduleDelivery>

/** The stored, normalised time: `every` always in ms, times as epoch ms. */
export type NormalTime =
	| { kind: 'at'; atMs: number }
	| { kind: 'every'; everyMs: number; anchorMs?: number }
	| { kind: 'cron'; expr: string; timeZone: string }

/**
 * What makes a schedule an agent's heartbeat (src/automation/heartbeat/): the rules its timer
 * applies on top of an `every` schedule's, stored with the definition of the schedule the agent owns.
 */
export const HeartbeatRules = z.object({
	agentId: z.string(),
	activeHours: z.object({ start: z.string(), end: z.string(), timeZone: z.string() }).optional(),
	skipIfIdleDays: z.number().optional(),
})
export type HeartbeatRules = z.infer<typeof HeartbeatRules>

/** The stored definition: what an idempotent create compares (`enabled` excluded). */
export interface ScheduleDefinition {
	name?: string
	/** Set on an agent's heartbeat schedule only. */
	heartbeat?: HeartbeatRules
	schedule: NormalTime
	target: z.infer<typeof ScheduleTarget>
	delivery: ScheduleDelivery
	misfire: z.infer<typeof MisfirePolicy>
	alertWebhook?: AlertWebhook
}

export const StoredDefinition = z
	.object({
		name: z.string().optional(),
		schedule: z.discriminatedUnion('kind', [
			z.object({ kind: z.literal('at'), atMs: z.number() }),
			z.object({ kind: z.literal('every'), everyMs: z.number(), anchorMs: z.number().optional() }),
			z.object({ kind: z.literal('cron'), expr: z.string(), timeZone: z.string() }),
		]),
		target: ScheduleTarget,
		delivery: ScheduleDelivery,
		misfire: MisfirePolicy,
		alertWebhook: AlertWebhook.optional(),
		heartbeat: HeartbeatRules.optional(),
	})
	.loose()

export type FieldIssue = { path: string; message: string }

/** Checks beyond shape (one duration form, a known zone, a valid cron); the normalised time or issues. */
export function normaliseTime(time: ScheduleTime): NormalTime | FieldIssue[] {
	switch (time.kind) {
		case 'at':
			return { kind: 'at', atMs: Date.parse(time.at) }
		case 'every': {
			const fromText = time.every === undefined ? undefined : parseDuration(time.every)
			if ((time.everyMs === undefined) === (fromText === undefined)) {
				return [{ path: 'schedule', message: 'give exactly one of everyMs and every' }]
			}
			const everyMs = time.everyMs ?? (fromText as number)
			if (everyMs < MIN_EVERY_MS || everyMs > MAX_EVERY_MS) {
				return [
					{
						path: 'schedule.every',
						message: `must be between ${MIN_EVERY_MS / 1000} s and ${MAX_EVERY_MS / 86_400_000} days`,
					},
				]
			}
			return {
				kind: 'every',
				everyMs,
				...(time.anchorAt !== undefined && { anchorMs: Date.parse(time.anchorAt) }),
			}
		}
		case 'cron': {
			if (!isTimeZone(time.timeZone)) {
				return [{ path: 'schedule.timeZone', message: `unknown time zone "${time.timeZone}"` }]
			}
			const problem = cronProblem(time.expr, time.timeZone)
			if (problem) return [{ path: 'schedule.expr', message: problem }]
			return { kind: 'cron', expr: time.expr.trim(), timeZone: time.timeZone }
		}
	}
}

/**
 * The first slot strictly after `after` (ms), or null when there is none (an `at` in the past).
 * `every` slots are `anchor + k·every`, so the same slot is computed whenever it is asked for.
 */
export function nextDue(time: NormalTime, anchorMs: number, after: number): number | null {
	switch (time.kind) {
		case 'at':
			return time.atMs > after ? time.atMs : null
		case 'every': {
			const anchor = time.anchorMs ?? anchorMs
			if (after < anchor) return anchor
			return anchor + (Math.floor((after - anchor) / time.everyMs) + 1) * time.everyMs
		}
		case 'cron':
			return cronOf(time.expr, time.timeZone).nextRun(new Date(after))?.getTime() ?? null
	}
}

/** Canonical JSON (keys sorted), so two equal definitions compare equal as text. */
export function canonical(value: unknown): string {
	return JSON.stringify(value, (_key, v: unknown) =>
		v && typeof v === 'object' && !Array.isArray(v)
			? Object.fromEntries(
					Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
						a < b ? -1 : a > b ? 1 : 0,
					),
				)
			: v,
	)
}
