// An agent's `heartbeat` setting (docs/automation.md, "Heartbeat"): a turn every `every` in one of
// its sessions with a standing prompt, only within active hours and only while the session is in
// use; its answer goes where a schedule's would, unless it is a bare `HEARTBEAT_OK`. Off when absent.
import { z } from 'zod'
import {
	isTimeZone,
	MAX_EVERY_MS,
	MAX_MESSAGE_CHARS,
	MIN_EVERY_MS,
	parseDuration,
	ScheduleDelivery,
} from '../schedules/spec'
import { HEARTBEAT_TOKEN } from './ack'

export const DEFAULT_HEARTBEAT_PROMPT = `This is a heartbeat: a scheduled check-in, not a message from a person. Consider outstanding tasks and anything in your memory that needs attention now. If nothing needs attention, reply ${HEARTBEAT_TOKEN}.`

/** `HH:MM` on a 24-hour clock; `24:00` only as an end. */
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/

/** Minutes after local midnight of an `HH:MM`. */
export const minutesOf = (hhmm: string): number =>
	Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

export const ActiveHours = z
	.object({
		start: z.string().regex(HHMM, 'must be HH:MM (00:00-23:59)'),
		end: z.string().regex(HHMM, 'must be HH:MM (00:00-24:00)'),
		/** An IANA time zone, e.g. Europe/Berlin. */
		timeZone: z.string().min(1).max(64).default('UTC'),
	})
	.strict()
	.superRefine((h, ctx) => {
		if (h.start === '24:00') {
			ctx.addIssue({ code: 'custom', path: ['start'], message: 'must be before 24:00' })
		}
		if (minutesOf(h.start) === minutesOf(h.end)) {
			ctx.addIssue({ code: 'custom', path: ['end'], message: 'must differ from start' })
		}
		if (!isTimeZone(h.timeZone)) {
			ctx.addIssue({
				code: 'custom',
				path: ['timeZone'],
				message: `unknown time zone "${h.timeZone}"`,
			})
		}
	})
export type ActiveHours = z.infer<typeof ActiveHours>

const Every = z.union([
	z.number().int().min(MIN_EVERY_MS).max(MAX_EVERY_MS),
	z
		.string()
		.max(12)
		.refine(
			(v) => {
				const ms = parseDuration(v)
				return ms !== undefined && ms >= MIN_EVERY_MS && ms <= MAX_EVERY_MS
			},
			{ message: 'must be a duration from 60s to 366d, like 30m, 2h or 1d (or ms)' },
		),
])

/** `session` is the one the heartbeat's turns run in; never `isolated` (it would have no history). */
const HeartbeatSession = z
	.string()
	.regex(
		/^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,255}$/,
		'must be 1-256 chars of A-Z, a-z, 0-9 and ._:@+=-, starting with a letter or digit',
	)
	.refine((k) => k !== 'isolated', { message: 'a heartbeat runs in a session of its own history' })

export const HeartbeatConfig = z
	.object({
		/** How often: a duration (`30m`, at least `60s`) or milliseconds. */
		every: Every,
		prompt: z.string().min(1).max(MAX_MESSAGE_CHARS).default(DEFAULT_HEARTBEAT_PROMPT),
		session: HeartbeatSession.default('main'),
		/** Slots outside these local hours are skipped (recorded), not moved. */
		activeHours: ActiveHours.optional(),
		/** Never runs in a session without a message from a person for longer than this. */
		skipIfIdleDays: z.number().min(1).max(365).optional(),
		/** Where a non-`HEARTBEAT_OK` answer goes; `none` keeps it in the session only. */
		delivery: ScheduleDelivery.default({ type: 'none' }),
	})
	.strict()
export type HeartbeatConfig = z.infer<typeof HeartbeatConfig>

/** The heartbeat's interval in ms. */
export const everyMsOf = (config: HeartbeatConfig): number =>
	typeof config.every === 'number' ? config.every : (parseDuration(config.every) as number)
