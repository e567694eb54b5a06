import { describe, expect, it } from 'vitest'
import {
	axisTime,
	hasData,
	metricsRange,
	peakOf,
	stepText,
	sumOf,
	windowOf,
} from '../../src/console/metrics-model'

describe('windowOf and metricsRange', () => {
	it('reads a window from the URL, the last hour for anything else', () => {
		expect(windowOf('24h')).toBe('24h')
		expect(windowOf('7d')).toBe('7d')
		expect(windowOf(undefined)).toBe('1h')
		expect(windowOf('toString')).toBe('1h')
		expect(windowOf('2h')).toBe('1h')
	})

	it('ends the window at the next whole minute, with the window’s step', () => {
		const now = Date.UTC(2026, 2, 1, 12, 0, 30)
		const end = Date.UTC(2026, 2, 1, 12, 1)
		expect(metricsRange('1h', now)).toEqual({ from: end - 3_600_000, to: end, step: 60 })
		expect(metricsRange('24h', now)).toEqual({ from: end - 86_400_000, to: end, step: 1_800 })
		expect(metricsRange('7d', end)).toEqual({ from: end - 7 * 86_400_000, to: end, step: 10_800 })
	})
})

describe('stepText', () => {
	it('names a step in the largest whole unit', () => {
		expect(stepText(60)).toBe('minute')
		expect(stepText(1_800)).toBe('30 minutes')
		expect(stepText(3_600)).toBe('hour')
		expect(stepText(10_800)).toBe('3 hours')
		expect(stepText(86_400)).toBe('day')
		expect(stepText(90)).toBe('90 seconds')
	})
})

describe('axisTime', () => {
	it('shows the clock within a day and the date too over longer windows', () => {
		const t = new Date(2026, 2, 4, 9, 5).getTime()
		expect(axisTime(t, 3_600_000)).toBe('09:05')
		expect(axisTime(t, 7 * 86_400_000)).toBe('03-04 09:05')
	})
})

describe('series arithmetic', () => {
	it('skips what was not measured instead of reading it as zero or NaN', () => {
		expect(sumOf([1, null, 2, Number.NaN])).toBe(3)
		expect(peakOf([null, null])).toBeNull()
		expect(peakOf([3, null, 7])).toBe(7)
		expect(hasData([[0, null], [null]])).toBe(false)
		expect(
			hasData([
				[0, null],
				[null, 2],
			]),
		).toBe(true)
	})
})
