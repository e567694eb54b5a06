// The usage chart's numbers, apart from drawing: every day of the range (empty days too), one
// series per agent and model (the smaller ones folded into "other"), stacked per day, and an axis
// scale of round numbers that fits both the tallest day and the budget line.
import type { Schemas } from '../api'

/** A row of `GET /v1/usage`. */
export type UsageRow = Schemas['Usage']['rows'][number]

export interface Series {
	/** `agent · model`, or "other" for the folded rest. */
	label: string
	total: number
}

export interface Segment {
	series: number
	tokens: number
	/** Tokens stacked below this segment, and up to its top. */
	from: number
	to: number
}

export interface DayStack {
	day: string
	total: number
	segments: Segment[]
}

export interface StackedUsage {
	days: DayStack[]
	series: Series[]
}

export const OTHER = 'other'

export const tokensOf = (r: UsageRow): number => r.inputTokens + r.outputTokens

/** Every UTC day from `from` to `to` inclusive (`YYYY-MM-DD`), at most `max` of them. */
export function daysBetween(from: string, to: string, max = 366): string[] {
	const days: string[] = []
	const start = Date.parse(`${from}T00:00:00Z`)
	const end = Date.parse(`${to}T00:00:00Z`)
	if (Number.isNaN(start) || Number.isNaN(end)) return days
	for (let at = start; at <= end && days.length < max; at += 86_400_000) {
		days.push(new Date(at).toISOString().slice(0, 10))
	}
	return days
}

/** Series of the rows by total tokens, largest first; beyond `maxSeries - 1` they fold into "other". */
export function stackUsage(
	rows: readonly UsageRow[],
	from: string,
	to: string,
	maxSeries = 8,
): StackedUsage {
	const totals = new Map<string, number>()
	for (const r of rows) {
		const label = `${r.agentId} · ${r.model}`
		totals.set(label, (totals.get(label) ?? 0) + tokensOf(r))
	}
	const ranked = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
	const kept = ranked.length > maxSeries ? ranked.slice(0, maxSeries - 1) : ranked
	const series: Series[] = kept.map(([label, total]) => ({ label, total }))
	if (kept.length < ranked.length) {
		const rest = ranked.slice(kept.length).reduce((n, [, total]) => n + total, 0)
		series.push({ label: OTHER, total: rest })
	}
	const indexOf = new Map(series.map((s, i) => [s.label, i]))
	const byDay = new Map<string, number[]>()
	for (const r of rows) {
		const label = `${r.agentId} · ${r.model}`
		const index = indexOf.get(label) ?? indexOf.get(OTHER) ?? 0
		const perSeries = byDay.get(r.day) ?? new Array<number>(series.length).fill(0)
		perSeries[index] = (perSeries[index] ?? 0) + tokensOf(r)
		byDay.set(r.day, perSeries)
	}
	const days = daysBetween(from, to).map((day) => {
		let below = 0
		const segments: Segment[] = []
		;(byDay.get(day) ?? []).forEach((tokens, index) => {
			if (tokens <= 0) return
			segments.push({ series: index, tokens, from: below, to: below + tokens })
			below += tokens
		})
		return { day, total: below, segments }
	})
	return { days, series }
}

/** The axis from 0 to a round `top` ≥ `max`, with ticks every `step` (1, 2 or 5 × 10ⁿ). */
export function niceScale(max: number, ticks = 4): { top: number; step: number; ticks: number[] } {
	if (!(max > 0)) return { top: 1, step: 1, ticks: [0, 1] }
	const raw = max / ticks
	const magnitude = 10 ** Math.floor(Math.log10(raw))
	// Tokens come whole: no step below one.
	const step = Math.max(1, ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude)
	const top = Math.ceil(max / step) * step
	const marks: number[] = []
	for (let v = 0; v <= top + step / 2; v += step) marks.push(v)
	return { top, step, ticks: marks }
}

/** Every n-th day gets a label so that at most `most` fit under the bars. */
export const labelEvery = (days: number, most = 10): number => Math.max(1, Math.ceil(days / most))
