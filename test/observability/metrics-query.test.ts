// Property-based tests of what a metrics query is made of: the window parser (whatever the
// caller sends, a window aligned to whole steps within the limits, or a reason naming the rule
// broken — never a throw) and the SQL text (no caller's string reaches it unless it is a slug).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { analyticsEngineSql } from '../../src/observability/metric-views/analytics-engine'
import {
	MAX_SERIES_POINTS,
	MAX_TIME,
	MAX_WINDOW_MS,
	parseMetricsWindow,
	parseTime,
	type WindowResult,
} from '../../src/observability/metric-views/window'

const NOW = Date.UTC(2026, 5, 1, 12, 34, 56, 789)
const REASONS = ['bad_time', 'window_reversed', 'window_too_long', 'bad_step', 'too_many_points']

/** Epoch ms of the last ten years. */
const instant = fc.integer({ min: NOW - 10 * 365 * 86_400_000, max: NOW })
const minutesStep = fc.integer({ min: 1, max: 1_440 }).map((m) => m * 60)

function expectAligned(result: WindowResult, from: number, to: number) {
	if (!result.ok) throw new Error(`expected a window, got ${JSON.stringify(result.problem)}`)
	const { window } = result
	const stepMs = window.stepSeconds * 1_000
	expect(window.from % stepMs).toBe(0)
	expect(window.to % stepMs).toBe(0)
	expect(window.from).toBeLessThanOrEqual(from)
	expect(window.from).toBeGreaterThan(from - stepMs)
	expect(window.to).toBeGreaterThanOrEqual(to)
	expect(window.to).toBeLessThan(to + stepMs)
	expect(window.points).toBe((window.to - window.from) / stepMs)
	expect(window.points).toBeLessThanOrEqual(MAX_SERIES_POINTS)
}

describe('parseMetricsWindow', () => {
	it('widens any valid window to whole steps, within the limits', () => {
		fc.assert(
			fc.property(
				instant,
				fc.integer({ min: 1, max: MAX_WINDOW_MS }),
				minutesStep,
				(from, length, step) => {
					const to = from + length
					const result = parseMetricsWindow({ from: String(from), to: String(to), step }, NOW)
					const points = Math.ceil(to / (step * 1_000)) - Math.floor(from / (step * 1_000))
					if (points > MAX_SERIES_POINTS) {
						expect(result).toMatchObject({
							ok: false,
							problem: { reason: 'too_many_points', param: 'step' },
						})
					} else {
						expectAligned(result, from, to)
					}
				},
			),
		)
	})

	it('picks a step of whole minutes giving about 60 points when none is asked', () => {
		fc.assert(
			fc.property(instant, fc.integer({ min: 1, max: MAX_WINDOW_MS }), (from, length) => {
				const result = parseMetricsWindow({ from: String(from), to: String(from + length) }, NOW)
				expectAligned(result, from, from + length)
				if (result.ok) {
					expect(result.window.stepSeconds % 60).toBe(0)
					expect(result.window.points).toBeLessThanOrEqual(62)
				}
			}),
		)
	})

	it('refuses a reversed or empty window, and one longer than 31 days', () => {
		fc.assert(
			fc.property(instant, fc.integer({ min: 0, max: MAX_WINDOW_MS }), (to, back) => {
				const reversed = parseMetricsWindow({ from: String(to + back), to: String(to) }, NOW)
				expect(reversed).toMatchObject({
					ok: false,
					problem: { reason: 'window_reversed', param: 'from' },
				})
				const long = parseMetricsWindow(
					{ from: String(to - MAX_WINDOW_MS - 1 - back), to: String(to), step: 86_400 },
					NOW,
				)
				expect(long).toMatchObject({ ok: false, problem: { reason: 'window_too_long' } })
			}),
		)
	})

	it('refuses a step that is not whole minutes from 60 s to a day', () => {
		const badStep = fc.oneof(
			fc
				.integer({ min: -100_000, max: 200_000 })
				.filter((s) => s % 60 !== 0 || s < 60 || s > 86_400),
			fc.double({ noNaN: false }).filter((s) => !Number.isInteger(s)),
		)
		fc.assert(
			fc.property(badStep, (step) => {
				const result = parseMetricsWindow(
					{ from: String(NOW - 3_600_000), to: String(NOW), step },
					NOW,
				)
				expect(result).toMatchObject({ ok: false, problem: { reason: 'bad_step', param: 'step' } })
			}),
		)
	})

	it('reads ISO times as the same instants as epoch ms', () => {
		fc.assert(
			fc.property(instant, fc.integer({ min: 60_000, max: 86_400_000 }), (from, length) => {
				const iso = parseMetricsWindow(
					{ from: new Date(from).toISOString(), to: new Date(from + length).toISOString() },
					NOW,
				)
				const epoch = parseMetricsWindow({ from: String(from), to: String(from + length) }, NOW)
				expect(iso).toEqual(epoch)
			}),
		)
	})

	it('defaults to the hour before now, and to now when only from is given', () => {
		const result = parseMetricsWindow({}, NOW)
		expectAligned(result, NOW - 3_600_000, NOW)
		expect(result).toMatchObject({ window: { stepSeconds: 60, points: 61 } })
		expect(parseMetricsWindow({ from: String(NOW + 1) }, NOW)).toMatchObject({
			ok: false,
			problem: { reason: 'window_reversed' },
		})
	})

	it('never throws on anything, and answers a window or a known reason', () => {
		const text = fc.oneof(
			fc.string(),
			fc.stringMatching(/^[0-9TZ:.+-]{0,30}$/),
			fc.integer().map(String),
			fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
		)
		fc.assert(
			fc.property(
				fc.option(text, { nil: undefined }),
				fc.option(text, { nil: undefined }),
				fc.option(fc.oneof(fc.integer(), fc.double()), { nil: undefined }),
				(from, to, step) => {
					const result = parseMetricsWindow({ from, to, step }, NOW)
					if (result.ok) {
						expect(result.window.points).toBeLessThanOrEqual(MAX_SERIES_POINTS)
						expect(result.window.to - result.window.from).toBeLessThanOrEqual(
							MAX_WINDOW_MS + 2 * result.window.stepSeconds * 1_000,
						)
					} else {
						expect(REASONS).toContain(result.problem.reason)
						expect(['from', 'to', 'step']).toContain(result.problem.param)
					}
				},
			),
		)
	})
})

describe('parseTime', () => {
	it('answers a non-negative integer or nothing, never throwing', () => {
		fc.assert(
			fc.property(fc.string(), (value) => {
				const ms = parseTime(value)
				if (ms !== undefined) {
					expect(Number.isSafeInteger(ms)).toBe(true)
					expect(ms).toBeGreaterThanOrEqual(0)
					expect(ms).toBeLessThanOrEqual(MAX_TIME)
				}
			}),
		)
		expect(parseTime('1767607200000')).toBe(Date.UTC(2026, 0, 5, 10))
		expect(parseTime('2026-01-05')).toBe(Date.UTC(2026, 0, 5))
		expect(parseTime('2026-01-05T12:00:00+02:00')).toBe(Date.UTC(2026, 0, 5, 10))
		for (const bad of [
			'2026-01-05T10:00',
			'now',
			'-5',
			'1e12',
			'0x10',
			' 1',
			'99999999999999999',
			'9999-12-31T00:00:00Z',
			String(MAX_TIME + 1),
		]) {
			expect(parseTime(bad)).toBeUndefined()
		}
	})
})

describe('analyticsEngineSql', () => {
	const scope = { tenant: 'acme', agent: null, from: NOW - 3_600_000, to: NOW, stepMs: 60_000 }

	it('quotes a tenant or agent only when it is a slug, and refuses anything else', () => {
		fc.assert(
			fc.property(
				fc.string({ maxLength: 40 }),
				fc.constantFrom('tenant', 'agent'),
				(value, field) => {
					let sql: string
					try {
						sql = analyticsEngineSql(
							{ ...scope, [field]: value },
							{ kinds: ['request'], by: ['t'] },
						)
					} catch (error) {
						expect(String(error)).toMatch(new RegExp(`unsafe ${field}`))
						return
					}
					expect(value).toMatch(/^[a-z0-9_][a-z0-9_-]*$/)
					expect(sql).toContain(`= '${value}'`)
					// Every quote in the text opens or closes a literal the code wrote.
					expect(sql.split("'").length % 2).toBe(1)
				},
			),
		)
	})
})
