import { render } from 'preact'
import { LocationProvider } from 'preact-iso'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { DashboardPage } from '../../src/console/dashboard'
import type { MetricsByView } from '../../src/console/metrics-types'
import { type Call, choose, fakeGateway, labelled, type Routes, renderRoot, signInAs } from './dom'
import { ALERTS, emptyAnswers, fullAnswers, LANES, T0 } from './metrics-fixtures'

const root = renderRoot()

const TENANT = ['metrics:read', 'alerts:read', 'provider-health:read', 'agents:list']

const health = (scope: string, at: number) => ({
	scope,
	at,
	profiles: [
		{
			key: 'anthropic:ANTHROPIC_KEY',
			failures: 2,
			cooldownUntil: at + 60_000,
			disabled: null,
			lastError: 'rate_limit',
		},
	],
	breakers: [
		{ key: 'anthropic:claude', state: 'open', failures: 5, trips: 1, openUntil: at + 30_000 },
		{ key: 'openai:gpt', state: 'closed', failures: 0, trips: 0, openUntil: 0 },
	],
})

function gateway(answers: MetricsByView, extra: Routes = {}): Call[] {
	const views: Routes = {}
	for (const view of Object.keys(answers) as (keyof MetricsByView)[]) {
		// The series step the page asked for, as the server would answer it.
		views[`GET /v1/metrics/${view}`] = (call) => ({
			body: { ...answers[view], stepSeconds: Number(call.query.get('step') ?? 60) },
		})
	}
	return fakeGateway({
		...views,
		'GET /v1/agents': () => ({ body: { agents: [{ id: 'main' }, { id: 'bot' }] } }),
		'GET /v1/provider-health': () => ({
			body: {
				tenant: { ...health('tenant:acme', T0), breakers: [] },
				shared: { ...health('shared', T0), profiles: [] },
			},
		}),
		'GET /v1/alerts': () => ({ body: { alerts: ALERTS } }),
		'GET /v1/admin/lanes': () => ({ body: { lanes: LANES } }),
		...extra,
	})
}

const show = (url = '/dashboard') => {
	history.replaceState(null, '', url)
	render(
		<LocationProvider>
			<DashboardPage />
		</LocationProvider>,
		root(),
	)
}

const headings = () => [...root().querySelectorAll('h2')].map((h) => h.textContent)
/** The panel a heading names. */
const panel = (title: string): HTMLElement => {
	const heading = [...root().querySelectorAll('h2')].find((h) => h.textContent === title)
	const section = heading?.closest('section')
	if (!section) throw new Error(`no panel "${title}"`)
	return section
}
const chartIn = (title: string) =>
	panel(title).querySelector('svg[role="img"]')?.getAttribute('aria-label') ?? null
const metricCalls = (calls: Call[]) => calls.filter((c) => c.path.startsWith('/v1/metrics/'))
const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ')

beforeEach(() => {
	vi.spyOn(Date, 'now').mockReturnValue(T0 + 3 * 60_000 - 30_000)
})

describe('Dashboard page', () => {
	it('renders every panel from the answers of every view', async () => {
		signInAs('viewer', TENANT)
		const calls = gateway(fullAnswers())
		show()
		await vi.waitFor(() => expect(root().querySelectorAll('svg[role="img"]').length).toBe(7))
		expect(headings()).toEqual([
			'Requests and errors',
			'Turn latency',
			'Tokens and cost',
			'Tool runs',
			'Failovers and breakers',
			'Stuck and recovered lanes',
			'Failed deliveries',
			'Errors',
			'Open alerts',
		])
		// All five views asked for one window: the last hour, in minutes, ending at the next minute.
		const asked = metricCalls(calls)
		expect(asked.map((c) => c.path).sort()).toEqual(
			['errors', 'latency', 'overview', 'tokens', 'tools'].map((v) => `/v1/metrics/${v}`),
		)
		for (const call of asked) {
			expect(call.query.get('to')).toBe(String(T0 + 3 * 60_000))
			expect(call.query.get('from')).toBe(String(T0 + 3 * 60_000 - 3_600_000))
			expect(call.query.get('step')).toBe('60')
			expect(call.query.has('agent')).toBe(false)
		}
		expect(text(root())).toContain('Source: D1 rollups.')

		expect(chartIn('Requests and errors')).toBe(
			'Requests per minute, last 1 hour: 15 requests, 1 answered 5xx (6.67%); the busiest minute had 10',
		)
		// Requests and 5xx as bars over each other; the empty middle minute draws no bar.
		const bars = panel('Requests and errors').querySelectorAll('svg[role="img"] rect')
		expect(bars).toHaveLength(3)
		expect(text(panel('Requests and errors'))).toContain('Runs by agent')

		const latency = panel('Turn latency')
		expect(chartIn('Turn latency')).toBe(
			'Turn latency per minute, last 1 hour: p50 850 ms, p95 2.4 s; the slowest minute had a p95 of 2.4 s',
		)
		// The unmeasured middle minute is a gap: each line is two single points, not a line through 0.
		expect(latency.querySelectorAll('polyline')).toHaveLength(0)
		expect(latency.querySelectorAll('circle')).toHaveLength(4)
		expect(text(latency)).toContain('POST /v1/sessions/:key/messages')

		const tokens = panel('Tokens and cost')
		expect(chartIn('Tokens and cost')).toBe(
			'Tokens per minute, last 1 hour: 500 in, 200 out, costing ≥ $0.0123',
		)
		const ranking = tokens.querySelectorAll('svg[role="img"]')[1]
		expect(ranking?.getAttribute('aria-label')).toBe(
			'Tokens by agent and model, last 1 hour: main · anthropic:claude 560, bot · offline:echo 140',
		)
		const tokenRows = [...tokens.querySelectorAll('tbody tr')].map((tr) =>
			[...tr.querySelectorAll('td')].map((td) => td.textContent),
		)
		expect(tokenRows).toEqual([
			['main', 'anthropic:claude', '6', '1', '400', '160', '$0.0123'],
			['bot', 'offline:echo', '3', '0', '100', '40', '≥ $0.00'],
		])

		const tools = panel('Tool runs')
		expect(chartIn('Tool runs')).toContain('5 runs, 1 failed (20.0%)')
		expect([...tools.querySelectorAll('tbody td')].map((td) => td.textContent)).toEqual([
			'web_fetch',
			'5',
			'1',
			'320 ms',
			'1.3 s',
			'40 ms',
			'20 KiB',
		])

		const failovers = panel('Failovers and breakers')
		expect(text(failovers)).toContain('Failovers2')
		// The open breaker and the key cooling down; the closed breaker is not listed.
		const trouble = [...failovers.querySelectorAll('tbody tr')].map((tr) =>
			[...tr.querySelectorAll('td')].slice(0, 4).map((td) => td.textContent),
		)
		expect(trouble).toEqual([
			['tenant:acme', 'Key', 'anthropic:ANTHROPIC_KEY', 'cooling down'],
			['shared', 'Breaker', 'anthropic:claude', 'open'],
		])

		expect(text(panel('Stuck and recovered lanes'))).toMatch(
			/Stuck runs\s?1.*Lane recoveries\s?1.*Compactions\s?2/,
		)
		const deliveries = panel('Failed deliveries')
		expect(chartIn('Failed deliveries')).toBe('Failed deliveries per minute, last 1 hour: 3')
		expect([...deliveries.querySelectorAll('tbody td')].map((td) => td.textContent)).toEqual([
			'telegram-support',
			'failed',
			'3',
		])
		expect(chartIn('Errors')).toBe(
			'Failures per minute, last 1 hour: 4xx 3, 5xx 1, Failed runs 1, Model failures 2, Tool failures 1',
		)

		const alerts = panel('Open alerts')
		expect(alerts.querySelectorAll('tbody tr')).toHaveLength(1)
		expect(text(alerts)).toContain('error_rate')
		// The notification's state as the server says it (`none`, `pending`, `sent`, `failed`).
		expect([...alerts.querySelectorAll('tbody td')].map((td) => td.textContent).at(-1)).toBe('sent')
		expect(text(alerts)).toContain('1 resolved.')
		expect(text(root())).not.toContain('NaN')
	})

	it('the window picker and the agent filter change the query and the URL', async () => {
		signInAs('viewer', TENANT)
		const calls = gateway(fullAnswers())
		show()
		await vi.waitFor(() => expect(metricCalls(calls)).toHaveLength(5))
		choose(labelled<HTMLSelectElement>(root(), 'Window'), '24h')
		await vi.waitFor(() => expect(metricCalls(calls)).toHaveLength(10))
		expect(location.search).toBe('?window=24h')
		for (const call of metricCalls(calls).slice(5)) {
			const from = Number(call.query.get('from'))
			expect(Number(call.query.get('to')) - from).toBe(86_400_000)
			expect(call.query.get('step')).toBe('1800')
		}
		await vi.waitFor(() =>
			expect(chartIn('Requests and errors')).toMatch(/^Requests per 30 minutes, last 24 hours:/),
		)

		const agents = () => [...root().querySelectorAll('option')].map((o) => o.value)
		await vi.waitFor(() => expect(agents()).toContain('bot'))
		choose(labelled<HTMLSelectElement>(root(), 'Agent'), 'bot')
		await vi.waitFor(() => expect(metricCalls(calls)).toHaveLength(15))
		expect(location.search).toBe('?window=24h&agent=bot')
		expect(
			new Set(
				metricCalls(calls)
					.slice(10)
					.map((c) => c.query.get('agent')),
			),
		).toEqual(new Set(['bot']))
		expect(labelled<HTMLSelectElement>(root(), 'Window').value).toBe('24h')
	})

	it('reads the window and agent from a link', async () => {
		signInAs('viewer', TENANT)
		const calls = gateway(fullAnswers())
		show('/dashboard?window=7d&agent=main')
		await vi.waitFor(() => expect(metricCalls(calls)).toHaveLength(5))
		expect(metricCalls(calls).every((c) => c.query.get('step') === '10800')).toBe(true)
		expect(metricCalls(calls).every((c) => c.query.get('agent') === 'main')).toBe(true)
	})

	it('shows an empty state, not a chart of zeros or NaN, for a window with nothing in it', async () => {
		signInAs('viewer', TENANT)
		gateway(emptyAnswers(), {
			'GET /v1/alerts': () => ({ body: { alerts: [] } }),
			'GET /v1/provider-health': () => ({
				body: {
					tenant: { scope: 'tenant:acme', at: T0, profiles: [], breakers: [] },
					shared: { scope: 'shared', at: T0, profiles: [], breakers: [] },
				},
			}),
		})
		show()
		await vi.waitFor(() => expect(text(root())).toContain('No requests in this window.'))
		await vi.waitFor(() => expect(text(root())).toContain('No open alerts.'))
		for (const empty of [
			'No turn finished in this window.',
			'No tokens used in this window.',
			'No tool ran in this window.',
			'No delivery failed in this window.',
			'Nothing failed in this window.',
			'No breaker is open and no key is cooling down.',
		]) {
			expect(text(root())).toContain(empty)
		}
		expect(root().querySelectorAll('svg[role="img"]')).toHaveLength(0)
		expect(root().querySelectorAll('tbody tr')).toHaveLength(0)
		expect(text(root())).not.toContain('NaN')
		expect(text(panel('Requests and errors'))).toContain('Error rate—')
		expect(text(panel('Turn latency'))).toContain('Turn p95—')
	})

	it("shows a view's error in its panel; the other panels still show theirs", async () => {
		signInAs('viewer', TENANT)
		gateway(fullAnswers(), {
			'GET /v1/metrics/latency': () => ({
				status: 502,
				body: {
					code: 'metrics_unavailable',
					detail: 'The Analytics Engine SQL API answered 500.',
					requestId: 'req-9',
				},
			}),
		})
		show()
		await vi.waitFor(() =>
			expect(panel('Turn latency').querySelector('[role="alert"]')).not.toBeNull(),
		)
		const alert = panel('Turn latency').querySelector('[role="alert"]') as HTMLElement
		expect(text(alert)).toContain('metrics_unavailable: The Analytics Engine SQL API answered 500.')
		expect(text(alert)).toContain('request req-9')
		await vi.waitFor(() => expect(chartIn('Requests and errors')).not.toBeNull())
		expect(root().querySelectorAll('[role="alert"]')).toHaveLength(1)
	})

	it('leaves out what the principal may not read, and never asks for it', async () => {
		signInAs('member', ['metrics:read'])
		const calls = gateway(fullAnswers())
		show()
		await vi.waitFor(() => expect(chartIn('Requests and errors')).not.toBeNull())
		expect(headings()).not.toContain('Open alerts')
		expect(headings()).not.toContain('Lanes')
		expect(panel('Failovers and breakers').querySelector('table')).toBeNull()
		const unread = ['/v1/alerts', '/v1/provider-health', '/v1/admin/lanes']
		expect(calls.filter((c) => unread.includes(c.path))).toEqual([])
	})

	it('shows the platform admin every lane, stuck ones first', async () => {
		signInAs('admin', [...TENANT, 'platform-lanes:read'])
		gateway(fullAnswers())
		show()
		await vi.waitFor(() => expect(panel('Lanes').querySelectorAll('tbody tr')).toHaveLength(2))
		const lanes = panel('Lanes')
		expect(text(lanes)).toMatch(/Stuck lanes\s?1.*Queued runs\s?5/)
		const sessions = [...lanes.querySelectorAll('tbody tr')].map(
			(tr) => tr.querySelectorAll('td')[2]?.textContent,
		)
		expect(sessions).toEqual(['wedged', 'busy'])
		const agents = [...lanes.querySelectorAll('tbody tr')].map(
			(tr) => tr.querySelectorAll('td')[1]?.textContent,
		)
		expect(agents).toEqual(['bot', 'main'])
	})
})
