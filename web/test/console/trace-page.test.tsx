import { render } from 'preact'
import { LocationProvider } from 'preact-iso'
import { describe, expect, it, vi } from 'vitest'
import type { Span } from '../../src/console/metrics-types'
import { TracePage } from '../../src/console/trace'
import { layoutWaterfall, spanCount, type WaterfallSpan } from '../../src/console/waterfall-model'
import { button, click, fakeGateway, labelled, renderRoot, signInAs, type } from './dom'
import { T0, TRACE } from './metrics-fixtures'

/** Every placed span, depth first: name, depth, offset and width. */
const flat = (node: WaterfallSpan): [string, number, number, number][] => [
	[node.span.name, node.depth, node.offsetPct, node.widthPct],
	...node.children.flatMap(flat),
]

describe('layoutWaterfall', () => {
	it('places each span by its start and sizes it by its duration, against the root', () => {
		const tree = layoutWaterfall(TRACE.root, T0 + 5_000)
		expect(flat(tree)).toEqual([
			['run', 0, 0, 100],
			['queue wait', 1, 0, 10],
			['model anthropic:claude', 1, 10, 40],
			['tool web_fetch', 1, 50, 30],
			['job queue', 2, 50, 5],
			['execute', 2, 55, 25],
			// Still open: it runs to the root's end, and so does its duration.
			['approval time_now', 1, 90, 10],
		])
		expect(tree.children.at(-1)?.durationMs).toBe(100)
		expect(spanCount(tree)).toBe(7)
	})

	it('measures an open root until now, and cuts spans to its bounds', () => {
		const root: Span = {
			...TRACE.root,
			durationMs: null,
			status: 'running',
			children: [
				{
					...TRACE.root,
					id: 'early',
					name: 'early',
					startedAt: T0 - 200,
					durationMs: 400,
					children: [],
				},
				{
					...TRACE.root,
					id: 'late',
					name: 'late',
					startedAt: T0 + 1_500,
					durationMs: 900,
					children: [],
				},
				{
					...TRACE.root,
					id: 'open',
					name: 'open',
					startedAt: T0 + 1_000,
					durationMs: null,
					children: [],
				},
			],
		}
		const tree = layoutWaterfall(root, T0 + 2_000)
		expect(tree.durationMs).toBe(2_000)
		expect(flat(tree)).toEqual([
			['run', 0, 0, 100],
			['early', 1, 0, 10],
			['late', 1, 75, 25],
			['open', 1, 50, 50],
		])
		expect(tree.children.at(-1)?.durationMs).toBe(1_000)
	})

	it('never divides by zero for a run of 0 ms', () => {
		const tree = layoutWaterfall({ ...TRACE.root, durationMs: 0, children: [] }, T0)
		expect([tree.offsetPct, tree.widthPct]).toEqual([0, 0])
	})
})

const root = renderRoot()

const show = (url: string) => {
	history.replaceState(null, '', url)
	render(
		<LocationProvider>
			<TracePage />
		</LocationProvider>,
		root(),
	)
}

describe('Trace page', () => {
	it("draws the run's spans as a waterfall: nested, placed and labelled", async () => {
		signInAs('viewer', ['sessions:read'])
		const calls = fakeGateway({
			'GET /v1/sessions/s1/runs/r1/trace': () => ({ body: TRACE }),
		})
		show('/trace?agent=main&session=s1&run=r1')
		await vi.waitFor(() => expect(root().querySelectorAll('.span-item')).toHaveLength(7))
		expect(calls.find((c) => c.path.endsWith('/trace'))?.query.get('agent')).toBe('main')

		const bars = [...root().querySelectorAll('svg[role="img"]')]
		expect(bars.map((b) => b.getAttribute('aria-label'))).toEqual([
			'run: 1.0 s',
			'queue wait: 100 ms',
			'model anthropic:claude: 400 ms',
			'tool web_fetch: 300 ms',
			'job queue: 50 ms',
			'execute: 250 ms',
			'approval time_now: 100 ms',
		])
		const rect = (name: string) => {
			const bar = bars.find((b) => b.getAttribute('aria-label')?.startsWith(`${name}:`))
			const r = bar?.querySelector('rect')
			return [r?.getAttribute('x'), r?.getAttribute('width')]
		}
		expect(rect('model anthropic:claude')).toEqual(['10%', '40%'])
		expect(rect('execute')).toEqual(['55%', '25%'])
		expect(
			bars
				.find((b) => b.getAttribute('aria-label')?.startsWith('execute'))
				?.querySelector('rect')
				?.getAttribute('class'),
		).toBe('span-bar bar-error')

		// The tool's job spans are list items inside the tool's own item: the nesting is structural.
		const item = (id: string) => root().querySelector(`[data-span="${id}"]`) as HTMLElement
		expect(item('t1x').parentElement?.closest('li')).toBe(item('t1'))
		expect(item('t1').parentElement?.closest('li')).toBe(item('run'))
		expect(item('run').parentElement?.closest('li')).toBeNull()
		expect(item('t1x').querySelector('.span-name')?.classList.contains('depth-2')).toBe(true)

		const list = root().querySelector('ol[aria-label]')
		expect(list?.getAttribute('aria-label')).toBe('Spans of run r1, 7 in all')
		const attributes = item('m1').querySelector(':scope > details')
		expect(attributes?.querySelector('summary')?.textContent).toBe(
			'Attributes of model anthropic:claude',
		)
		expect(attributes?.textContent).toContain('kind')
		expect(root().textContent).toContain(TRACE.traceId)
		expect(root().querySelector('a[href="/chat?agent=main&session=s1"]')).not.toBeNull()
	})

	it('asks for a run when the URL names none, and shows the one asked for', async () => {
		signInAs('viewer', ['sessions:read'])
		const calls = fakeGateway({
			'GET /v1/sessions/s%201/runs/r1/trace': () => ({ body: TRACE }),
		})
		show('/trace')
		expect(root().textContent).toContain('Name a session and one of its runs')
		// A trace is of one agent's session: `main` unless another is chosen, never "all".
		const agent = labelled<HTMLSelectElement>(root(), 'Agent')
		expect([...agent.options].map((o) => o.value)).toEqual(['main'])
		type(labelled(root(), 'Session'), 's 1')
		type(labelled(root(), 'Run'), ' r1 ')
		click(button(root(), 'Show trace'))
		await vi.waitFor(() => expect(root().querySelectorAll('.span-item')).toHaveLength(7))
		expect(location.search).toBe('?agent=main&session=s+1&run=r1')
		expect(calls.map((c) => c.path)).toEqual(['/v1/sessions/s%201/runs/r1/trace'])
	})

	it("shows the server's error", async () => {
		signInAs('viewer', ['sessions:read'])
		fakeGateway({
			'GET /v1/sessions/s1/runs/nope/trace': () => ({
				status: 404,
				body: { code: 'not_found', detail: 'No run nope in this session.' },
			}),
		})
		show('/trace?session=s1&run=nope')
		await vi.waitFor(() => expect(root().querySelector('[role="alert"]')).not.toBeNull())
		expect(root().querySelector('[role="alert"]')?.textContent).toContain(
			'not_found: No run nope in this session.',
		)
	})
})
