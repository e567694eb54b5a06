// The Dashboard's numbers apart from drawing: the windows it offers and the query each asks the
// metrics API, how a series step and a time on its axis read, and the totals and peaks that the
// charts' text summaries say. Pure, so it is tested alone.

export const WINDOWS = {
	'1h': { label: 'Last 1 hour', ms: 3_600_000, stepSeconds: 60 },
	'24h': { label: 'Last 24 hours', ms: 86_400_000, stepSeconds: 1_800 },
	'7d': { label: 'Last 7 days', ms: 7 * 86_400_000, stepSeconds: 10_800 },
} as const
export type WindowKey = keyof typeof WINDOWS
export const WINDOW_KEYS = Object.keys(WINDOWS) as WindowKey[]
export const DEFAULT_WINDOW: WindowKey = '1h'

/** The window a URL names; anything else is the default. */
export const windowOf = (value: string | undefined): WindowKey =>
	value !== undefined && Object.hasOwn(WINDOWS, value) ? (value as WindowKey) : DEFAULT_WINDOW

export interface MetricsRange {
	from: number
	to: number
	step: number
}

/**
 * The window ending now, `to` rounded up to the minute: the views asked together share one range,
 * and a reload within the minute asks the same question.
 */
export function metricsRange(window: WindowKey, now: number): MetricsRange {
	const { ms, stepSeconds } = WINDOWS[window]
	const to = Math.ceil(now / 60_000) * 60_000
	return { from: to - ms, to, step: stepSeconds }
}

/** 60 → "minute", 1800 → "30 minutes", 10800 → "3 hours", 86400 → "day". */
export function stepText(seconds: number): string {
	const units: [number, string][] = [
		[86_400, 'day'],
		[3_600, 'hour'],
		[60, 'minute'],
		[1, 'second'],
	]
	for (const [size, unit] of units) {
		if (seconds >= size && seconds % size === 0) {
			const n = seconds / size
			return n === 1 ? unit : `${n} ${unit}s`
		}
	}
	return `${seconds} seconds`
}

const pad = (n: number) => String(n).padStart(2, '0')

/** A point's time on the axis, local: `14:05` within a day, `03-12 14:00` over longer windows. */
export function axisTime(t: number, windowMs: number): string {
	const d = new Date(t)
	const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}`
	return windowMs > 86_400_000 ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock}` : clock
}

/** The finite values of a series (null and NaN are gaps, not zeros). */
export const measured = (values: readonly (number | null)[]): number[] =>
	values.filter((v): v is number => v !== null && Number.isFinite(v))

export const sumOf = (values: readonly (number | null)[]): number =>
	measured(values).reduce((a, b) => a + b, 0)

/** The largest value, or null when none was measured. */
export function peakOf(values: readonly (number | null)[]): number | null {
	const known = measured(values)
	return known.length > 0 ? Math.max(...known) : null
}

/** Something to draw: a value above zero somewhere (an all-zero window reads as "nothing"). */
export const hasData = (series: readonly (readonly (number | null)[])[]): boolean =>
	series.some((values) => measured(values).some((v) => v > 0))
