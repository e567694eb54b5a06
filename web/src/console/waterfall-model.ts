// A run's span tree laid out as a waterfall: every span's start and length as shares of the root
// span, so its bar sits where it happened in the run. Pure, so it is tested alone.
import type { Span } from './metrics-types'

export interface WaterfallSpan {
	span: Span
	depth: number
	/** Where the bar starts, in % of the root's duration from the root's start (0–100). */
	offsetPct: number
	/** The bar's length in % of the root's duration (offset + width ≤ 100). */
	widthPct: number
	/** The span's duration; for one still open, until the root's end (an open root: `now`). */
	durationMs: number
	children: WaterfallSpan[]
}

const clamp = (n: number, low: number, high: number) => Math.min(high, Math.max(low, n))
/** Shares rounded to 1/1000 of a percent: stable in tests, finer than any screen. */
const share = (part: number, whole: number) => Math.round((part / whole) * 100_000) / 1_000

/**
 * Lays out `root` and its descendants against the root's duration (an open root: until `now`).
 * A span that starts before the root or runs past it is cut to the root's bounds; an open span
 * runs until the root's end (a finished root with an open span: the span was never closed).
 */
export function layoutWaterfall(root: Span, now: number): WaterfallSpan {
	const start = root.startedAt
	const total = Math.max(1, root.durationMs ?? now - start)
	const end = start + total
	const place = (span: Span, depth: number): WaterfallSpan => {
		const from = clamp(span.startedAt, start, end)
		const until = clamp(
			span.durationMs === null ? end : span.startedAt + span.durationMs,
			from,
			end,
		)
		return {
			span,
			depth,
			offsetPct: share(from - start, total),
			widthPct: share(until - from, total),
			durationMs: span.durationMs ?? Math.max(0, end - span.startedAt),
			children: span.children.map((child) => place(child, depth + 1)),
		}
	}
	return place(root, 0)
}

/** How many spans the tree holds (the root included). */
export const spanCount = (node: WaterfallSpan): number =>
	1 + node.children.reduce((n, child) => n + spanCount(child), 0)
