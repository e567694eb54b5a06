import { describe, expect, it } from 'vitest'
import {
	daysBetween,
	labelEvery,
	niceScale,
	OTHER,
	stackUsage,
	type UsageRow,
} from '../../src/console/usage-model'

const row = (day: string, agentId: string, model: string, input: number, output = 0): UsageRow => ({
	day,
	agentId,
	model,
	calls: 1,
	errors: 0,
	inputTokens: input,
	outputTokens: output,
	latencyMs: 10,
})

describe('daysBetween', () => {
	it('lists every UTC day inclusive, across a month end', () => {
		expect(daysBetween('2026-01-30', '2026-02-02')).toEqual([
			'2026-01-30',
			'2026-01-31',
			'2026-02-01',
			'2026-02-02',
		])
	})

	it('is empty for a reversed or invalid range and capped at max', () => {
		expect(daysBetween('2026-02-02', '2026-02-01')).toEqual([])
		expect(daysBetween('nope', '2026-02-01')).toEqual([])
		expect(daysBetween('2020-01-01', '2026-01-01', 5)).toHaveLength(5)
	})
})

describe('stackUsage', () => {
	it('stacks series per day, largest series first, empty days kept', () => {
		const stacked = stackUsage(
			[
				row('2026-03-01', 'main', 'a:x', 100, 50),
				row('2026-03-01', 'bot', 'b:y', 10),
				row('2026-03-03', 'main', 'a:x', 5),
			],
			'2026-03-01',
			'2026-03-03',
		)
		expect(stacked.series).toEqual([
			{ label: 'main · a:x', total: 155 },
			{ label: 'bot · b:y', total: 10 },
		])
		expect(stacked.days.map((d) => d.total)).toEqual([160, 0, 5])
		expect(stacked.days[0]?.segments).toEqual([
			{ series: 0, tokens: 150, from: 0, to: 150 },
			{ series: 1, tokens: 10, from: 150, to: 160 },
		])
		expect(stacked.days[1]?.segments).toEqual([])
	})

	it('folds the smallest series into "other" beyond the palette', () => {
		const rows = [1, 2, 3, 4].map((n) => row('2026-03-01', `agent-${n}`, 'm:x', n * 10))
		const stacked = stackUsage(rows, '2026-03-01', '2026-03-01', 3)
		expect(stacked.series.map((s) => s.label)).toEqual(['agent-4 · m:x', 'agent-3 · m:x', OTHER])
		expect(stacked.series[2]?.total).toBe(30)
		expect(stacked.days[0]?.total).toBe(100)
	})
})

describe('niceScale', () => {
	it('rounds the top up to a 1-2-5 step', () => {
		expect(niceScale(930)).toEqual({
			top: 1000,
			step: 250 > 200 ? 500 : 200,
			ticks: expect.any(Array),
		})
		const scale = niceScale(930)
		expect(scale.top).toBeGreaterThanOrEqual(930)
		expect(scale.ticks[0]).toBe(0)
		expect(scale.ticks.at(-1)).toBe(scale.top)
		expect([1, 2, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(scale.step)))).toContain(
			scale.step,
		)
	})

	it('covers exactly a round maximum and never steps below one token', () => {
		expect(niceScale(1000, 4)).toMatchObject({ top: 1000, step: 500 })
		expect(niceScale(3)).toMatchObject({ step: 1, top: 3 })
		expect(niceScale(0)).toEqual({ top: 1, step: 1, ticks: [0, 1] })
	})
})

describe('labelEvery', () => {
	it('labels every day when few, every n-th when many', () => {
		expect(labelEvery(7)).toBe(1)
		expect(labelEvery(30)).toBe(3)
		expect(labelEvery(0)).toBe(1)
	})
})
