import { render } from 'preact'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { UsagePage } from '../../src/console/usage'
import { fakeGateway, renderRoot, signInAs } from './dom'

const usage = (dailyTokenBudget: number | null) => ({
	tenantId: 'acme',
	from: '2026-03-01',
	to: '2026-03-03',
	dailyTokenBudget,
	usedToday: 120,
	rows: [
		{
			day: '2026-03-01',
			agentId: 'main',
			model: 'offline:echo',
			calls: 2,
			errors: 0,
			inputTokens: 300,
			outputTokens: 200,
			latencyMs: 40,
		},
		{
			day: '2026-03-03',
			agentId: 'bot',
			model: 'anthropic:claude',
			calls: 1,
			errors: 1,
			inputTokens: 100,
			outputTokens: 20,
			latencyMs: 900,
		},
	],
})

const root = renderRoot()

beforeEach(() => {
	signInAs('viewer', ['usage:read'])
})

describe('Usage page', () => {
	it('draws tokens per day with a legend, the budget line, and the same numbers in a table', async () => {
		fakeGateway({ 'GET /v1/usage': () => ({ body: usage(1000) }) })
		render(<UsagePage />, root())
		await vi.waitFor(() => expect(root().querySelector('svg[role="img"]')).not.toBeNull())
		const chart = root().querySelector('svg[role="img"]') as SVGElement
		expect(chart.getAttribute('aria-label')).toMatch(
			/^Tokens per day by agent and model, 2026-03-01 to 2026-03-03/,
		)
		expect(chart.getAttribute('aria-label')).toContain('daily budget 1,000')
		// One bar segment per (day, series) with tokens; the empty day draws nothing.
		expect(chart.querySelectorAll('rect')).toHaveLength(2)
		expect(chart.querySelectorAll('line.budget')).toHaveLength(1)
		const legend = root().querySelector('[aria-label="Legend"]')?.textContent ?? ''
		expect(legend).toContain('main · offline:echo')
		expect(legend).toContain('bot · anthropic:claude')
		expect(legend).toContain('daily budget')
		const cells = [...root().querySelectorAll('tbody tr')].map((tr) =>
			[...tr.querySelectorAll('td')].map((td) => td.textContent),
		)
		expect(cells[0]?.slice(0, 3)).toEqual(['2026-03-01', 'main', 'offline:echo'])
		expect(cells[0]?.[7]).toBe('500')
		expect(cells[1]?.[7]).toBe('120')
	})

	it('draws no budget line when the tenant has no daily budget', async () => {
		fakeGateway({ 'GET /v1/usage': () => ({ body: usage(null) }) })
		render(<UsagePage />, root())
		await vi.waitFor(() => expect(root().querySelector('svg[role="img"]')).not.toBeNull())
		expect(root().querySelectorAll('line.budget')).toHaveLength(0)
		expect(root().textContent).toContain('no daily budget')
	})
})
