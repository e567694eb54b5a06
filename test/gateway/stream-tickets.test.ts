// Stream tickets: a browser's EventSource cannot send a header, so an authenticated caller trades
// its credential for a single-use, 60-second ticket bound to one session's event stream. Used
// once, anywhere; refused on any other path, session or agent; dead with the key it came from.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { admin, call, createAgent, postJson, problem, send } from '../helpers'
import { as, key, tenant } from '../security/helpers'

interface Ticket {
	ticket: string
	expiresAt: number
	url: string
}

async function ticketFor(session: string, token?: string, agent = 'main'): Promise<Ticket> {
	const path = `/v1/sessions/${session}/events/ticket?agent=${agent}`
	const res = token ? await as(token, path, { method: 'POST' }) : await postJson(path, {})
	expect(res.status, await res.clone().text()).toBe(201)
	expect(res.headers.get('cache-control')).toBe('no-store')
	return (await res.json()) as Ticket
}

/** Reads SSE frames until a `final` event (or the stream ends). */
async function finalOf(res: Response): Promise<Record<string, unknown> | undefined> {
	const reader = res.body?.getReader()
	if (!reader) throw new Error('no body')
	const decoder = new TextDecoder()
	let buffer = ''
	for (;;) {
		const { value, done } = await reader.read()
		if (done) return undefined
		buffer += decoder.decode(value, { stream: true })
		for (const frame of buffer.split('\n\n')) {
			const data = frame.split('\n').find((l) => l.startsWith('data: '))
			const event = data ? (JSON.parse(data.slice(6)) as Record<string, unknown>) : undefined
			if (event?.type === 'final') {
				await reader.cancel()
				return event
			}
		}
	}
}

beforeAll(async () => {
	await tenant('tix')
	await createAgent(env.DB, 'other', {})
})

describe('stream tickets', () => {
	it('open the event stream once, without a header; a second use is 401', async () => {
		await send('tix-1', { content: 'hello', wait: true })
		const t = await ticketFor('tix-1')
		expect(t.ticket).toMatch(/^et_default_[0-9a-f]{64}$/)
		expect(t.url).toBe(`/v1/sessions/tix-1/events?agent=main&ticket=${t.ticket}`)
		expect(t.expiresAt).toBeGreaterThan(Date.now())
		const res = await call(t.url)
		expect(res.status).toBe(200)
		expect(res.headers.get('content-type')).toContain('text/event-stream')
		expect(await finalOf(res)).toMatchObject({ type: 'final', data: { output: 'echo: hello' } })
		const again = await call(t.url)
		expect(again.status).toBe(401)
		expect(await problem(again)).toMatchObject({ code: 'unauthorized' })
	})

	it('are bound to their session and agent, and to the event stream alone', async () => {
		await send('tix-2', { content: 'x', wait: true })
		const elsewhere = await ticketFor('tix-2')
		expect((await call(`/v1/sessions/tix-3/events?ticket=${elsewhere.ticket}`)).status).toBe(401)
		const otherAgent = await ticketFor('tix-2')
		expect(
			(await call(`/v1/sessions/tix-2/events?agent=other&ticket=${otherAgent.ticket}`)).status,
		).toBe(401)
		const otherRoute = await ticketFor('tix-2')
		expect((await call(`/v1/sessions/tix-2/messages?ticket=${otherRoute.ticket}`)).status).toBe(401)
		expect((await call(`/v1/agents?ticket=${otherRoute.ticket}`)).status).toBe(401)
		// Refused on another session's stream, the ticket was not spent: its own stream opens.
		const own = await call(elsewhere.url)
		expect(own.status).toBe(200)
		await own.body?.cancel()
	})

	it('refuse a forged, malformed or another tenant’s ticket', async () => {
		const forged = `et_default_${'0'.repeat(64)}`
		expect((await call(`/v1/sessions/tix-1/events?ticket=${forged}`)).status).toBe(401)
		expect((await call('/v1/sessions/tix-1/events?ticket=not-a-ticket')).status).toBe(401)
		const theirs = await ticketFor('tix-t', (await key('tix', 'viewer')).secret)
		expect(theirs.ticket).toMatch(/^et_tix_/)
		// The same session key in the default tenant is another lane: nothing to redeem there.
		const swapped = theirs.ticket.replace('et_tix_', 'et_default_')
		expect((await call(`/v1/sessions/tix-t/events?ticket=${swapped}`)).status).toBe(401)
		const own = await call(theirs.url)
		expect(own.status).toBe(200)
		await own.body?.cancel()
	})

	it('act as the caller who asked: a revoked key’s ticket is refused', async () => {
		const viewer = await key('default', 'viewer')
		const t = await ticketFor('tix-4', viewer.secret)
		expect((await admin(`/v1/keys/${viewer.id}`, { method: 'DELETE' })).status).toBe(204)
		expect((await call(t.url)).status).toBe(401)
	})

	it('may be asked for before the session’s first message', async () => {
		const t = await ticketFor('tix-new')
		const res = await call(t.url)
		expect(res.status).toBe(200)
		const final = finalOf(res)
		await send('tix-new', { content: 'first' })
		expect(await final).toMatchObject({ type: 'final', data: { output: 'echo: first' } })
	})

	it('need the right to stream the session, and an agent that exists', async () => {
		const res = await call('/v1/sessions/tix-1/events/ticket', { method: 'POST' })
		expect(res.status).toBe(401)
		expect((await postJson('/v1/sessions/tix-1/events/ticket?agent=ghost', {})).status).toBe(404)
	})
})
