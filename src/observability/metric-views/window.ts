// The window and step of a metrics query, from the caller's `from`, `to` and `step`: a pure
// validator (the clock is passed in) that either answers a window aligned to whole steps or says
// which parameter is wrong and why, in a reason code the API hands on.

export const MAX_WINDOW_MS = 31 * 86_400_000
export const DEFAULT_WINDOW_MS = 3_600_000
export const MAX_SERIES_POINTS = 1_500
export const MIN_STEP_SECONDS = 60
export const MAX_STEP_SECONDS = 86_400
/** The default step gives about this many points. */
const DEFAULT_POINTS = 60

export interface MetricsWindow {
	/** Start of the first step bucket, epoch ms (the asked `from` rounded down to the step). */
	from: number
	/** End of the last bucket, exclusive (the asked `to` rounded up to the step). */
	to: number
	stepSeconds: number
	/** Buckets in the series. */
	points: number
}

export type WindowReason =
	| 'bad_time'
	| 'window_reversed'
	| 'window_too_long'
	| 'bad_step'
	| 'too_many_points'

export interface WindowProblem {
	reason: WindowReason
	param: 'from' | 'to' | 'step'
	message: string
}

export type WindowResult =
	| { ok: true; window: MetricsWindow }
	| { ok: false; problem: WindowProblem }

export interface WindowInput {
	from?: string | undefined
	to?: string | undefined
	step?: number | undefined
}

/** Epoch ms (digits only) or an ISO 8601 date, or date and time with `Z` or an offset. */
const EPOCH_MS = /^\d{1,16}$/
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/
/**
 * The latest time a window may name: 2100-01-01. Analytics Engine's `toDateTime` ends in 2106,
 * and nothing is measured that late anyway.
 */
export const MAX_TIME = Date.UTC(2100, 0, 1)

/** A time parameter as epoch ms, or undefined when it is neither form (or out of range). */
export function parseTime(value: string): number | undefined {
	if (EPOCH_MS.test(value)) {
		const ms = Number(value)
		return ms <= MAX_TIME ? ms : undefined
	}
	if (!ISO_TIME.test(value)) return undefined
	const ms = Date.parse(value)
	return Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIME ? ms : undefined
}

const fail = (
	reason: WindowReason,
	param: WindowProblem['param'],
	message: string,
): WindowResult => ({
	ok: false,
	problem: { reason, param, message },
})

/**
 * The window of a query. Defaults: `to` now, `from` an hour before `to`, a step that gives about
 * 60 points (whole minutes). The window is widened to whole steps (buckets start at multiples of
 * the step since the epoch), so every store buckets it alike.
 */
export function parseMetricsWindow(input: WindowInput, now: number): WindowResult {
	const to = input.to === undefined ? now : parseTime(input.to)
	if (to === undefined)
		return fail('bad_time', 'to', '`to` must be epoch milliseconds or an ISO 8601 time')
	const from =
		input.from === undefined ? Math.max(0, to - DEFAULT_WINDOW_MS) : parseTime(input.from)
	if (from === undefined)
		return fail('bad_time', 'from', '`from` must be epoch milliseconds or an ISO 8601 time')
	if (from >= to) return fail('window_reversed', 'from', '`from` must be before `to`')
	if (to - from > MAX_WINDOW_MS)
		return fail('window_too_long', 'from', 'the window must be at most 31 days')
	const step = input.step ?? defaultStep(to - from)
	if (
		!Number.isInteger(step) ||
		step < MIN_STEP_SECONDS ||
		step > MAX_STEP_SECONDS ||
		step % 60 !== 0
	) {
		return fail(
			'bad_step',
			'step',
			'`step` must be whole minutes in seconds: 60 to 86400, a multiple of 60',
		)
	}
	const stepMs = step * 1_000
	const alignedFrom = Math.floor(from / stepMs) * stepMs
	const alignedTo = Math.ceil(to / stepMs) * stepMs
	const points = (alignedTo - alignedFrom) / stepMs
	if (points > MAX_SERIES_POINTS) {
		return fail(
			'too_many_points',
			'step',
			`the window holds ${points} steps; at most ${MAX_SERIES_POINTS} (use a larger step)`,
		)
	}
	return { ok: true, window: { from: alignedFrom, to: alignedTo, stepSeconds: step, points } }
}

/** Whole minutes giving about DEFAULT_POINTS buckets over the window. */
export const defaultStep = (windowMs: number): number =>
	Math.max(MIN_STEP_SECONDS, Math.ceil(windowMs / DEFAULT_POINTS / 60_000) * 60)
