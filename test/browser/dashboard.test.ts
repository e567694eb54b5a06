// The Dashboard and a run's trace in the real app against the real gateway: a message sent in the
// chat makes a run and requests; its trace opens from the chat as a waterfall of spans, and the
// Dashboard shows each panel's heading and a chart of the requests, for the window picked.
import type { Page } from 'playwright-core'
import { describe, expect, inject, it } from 'vitest'
import { baseUrl, freshSession, signInAt, useBrowser } from './browser.js'
import { chatPage, chatPath } from './chat-page.js'

const memberKey = inject('apiKey')
const viewerKey = inject('viewerKey')
const browser = useBrowser()

/** The panels every tenant role sees (alerts and provider health follow the role's actions). */
const PANELS = [
	'Requests and errors',
	'Turn latency',
	'Tokens and cost',
	'Tool runs',
	'Failovers and breakers',
	'Stuck and recovered lanes',
	'Failed deliveries',
	'Errors',
]

/** The tenant's requests over the last hour, as the Dashboard's first panel reads them. */
async function requestsLastHour(key: string): Promise<number> {
	const res = await fetch(`${baseUrl}/v1/metrics/overview`, {
		headers: { authorization: `Bearer ${key}` },
	})
	if (!res.ok) return 0
	return ((await res.json()) as { totals: { requests: number } }).totals.requests
}

const nav = (page: Page) => page.getByRole('navigation', { name: 'Pages' })

describe('the Dashboard and the trace waterfall', () => {
	it("a run's trace from the chat, then the Dashboard's panels and charts", async () => {
		const app = await browser.open()
		await signInAt(app, chatPath('main', freshSession('dashboard')), memberKey)
		const chat = chatPage(app.page)
		await chat.send('hello')
		await chat.rendered('echo: hello').waitFor()

		// The stored answer links its run's trace: every span a row, the run itself first.
		await chat.transcript.getByRole('link', { name: 'Run trace' }).first().click()
		await app.page.getByRole('heading', { level: 1, name: 'Trace' }).waitFor()
		const spans = app.page.getByRole('list', { name: /^Spans of run / })
		await spans.waitFor()
		await spans.getByRole('img', { name: /^run: \d/ }).waitFor()
		expect(await spans.getByRole('listitem').count()).toBeGreaterThan(1)
		expect(await spans.getByRole('img', { name: /^model / }).count()).toBeGreaterThan(0)

		// The rollups the local metrics come from are written a little after the requests.
		await expect.poll(() => requestsLastHour(memberKey)).toBeGreaterThan(0)
		await nav(app.page).getByRole('link', { name: 'Dashboard', exact: true }).click()
		await app.page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor()
		for (const panel of PANELS) {
			await app.page.getByRole('heading', { level: 2, name: panel, exact: true }).waitFor()
		}
		await app.page.getByRole('img', { name: /^Requests per minute, last 1 hour: / }).waitFor()
		await app.page.getByText(/Source: (D1 rollups|Workers Analytics Engine)/).waitFor()
		// Every panel answered, none with an error; a member reads the tenant's alerts like a viewer
		// does.
		await app.page.getByRole('region', { name: 'Open alerts', exact: true }).waitFor()
		await expect.poll(() => app.page.getByText('Loading…').count()).toBe(0)
		expect(await app.page.getByRole('alert').count()).toBe(0)

		await app.page.getByLabel('Window').selectOption('24h')
		await app.page.getByRole('img', { name: /^Requests per 30 minutes, last 24 hours: / }).waitFor()
		expect(new URL(app.page.url()).searchParams.get('window')).toBe('24h')
	})

	it('a viewer sees the open alerts panel beside the others', async () => {
		const app = await browser.open()
		await signInAt(app, '/dashboard', viewerKey)
		await app.page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor()
		const alerts = app.page.getByRole('region', { name: 'Open alerts', exact: true })
		// Its episodes as a table, or the empty state when none is open.
		await alerts.getByText('No open alerts.').or(alerts.getByRole('table')).first().waitFor()
		await app.page.getByRole('heading', { level: 2, name: 'Turn latency', exact: true }).waitFor()
		await expect.poll(() => app.page.getByText('Loading…').count()).toBe(0)
		expect(await app.page.getByRole('alert').count()).toBe(0)
	})
})
