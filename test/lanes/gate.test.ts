// The tenant's cap on concurrently running turns: waiting runs stay queued, visible and in order;
// slots come back when runs end or when a lane vanishes.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { limitsOf, readSettings } from '../../src/db/tenant-settings'
import { GRANT_CLAIM_MS } from '../../src/lanes/gate'
import { admin, createAgent, postJson } from '../helpers'
import { STATE_WAIT_MS } from '../timeouts'

const TENANT = 'narrow'
const headers = { 'x-edgeclaw-tenant': TENANT }

beforeAll(async () => {
	await env.DB.prepare("INSERT INTO tenants (id, name, settings) VALUES (?, 'Narrow', ?)")
		.bind(TENANT, JSON.stringify({ maxConcurrentRuns: 1 }))
		.run()
	await createAgent(env.DB, 'main', {}, TENANT)
})

const sendTo = async (key: string, content: string) => {
	const res = await postJson(`/v1/sessions/${key}/messages`, { content }, headers)
	return (await res.json()) as { runId: string }
}
const runOf = async (key: string, runId: string) =>
	(await (await admin(`/v1/sessions/${key}/runs/${runId}`, { headers })).json()) as {
		status: string
		waitingForSlot: boolean
		startedAt: number | null
		finishedAt: number | null
	}

describe('tenant concurrency cap', () => {
	it('runs one turn at a time across sessions when the cap is 1; the others wait visibly', async () => {
		// a runs long enough for b to be seen waiting behind it, even on a slow machine.
		const a = await sendTo('gate-a', '/slow 2000 a')
		const b = await sendTo('gate-b', 'b')
		const c = await sendTo('gate-c', 'c')
		await until(async () => (await runOf('gate-a', a.runId)).status === 'running')
		const waiting = await runOf('gate-b', b.runId)
		expect(waiting).toMatchObject({ status: 'queued', waitingForSlot: true })
		const deadline = Date.now() + STATE_WAIT_MS
		let ra = await runOf('gate-a', a.runId)
		let rb = await runOf('gate-b', b.runId)
		let rc = await runOf('gate-c', c.runId)
		while ([ra, rb, rc].some((r) => r.status !== 'succeeded') && Date.now() < deadline) {
			await new Promise((r) => setTimeout(r, 25))
			;[ra, rb, rc] = await Promise.all([
				runOf('gate-a', a.runId),
				runOf('gate-b', b.runId),
				runOf('gate-c', c.runId),
			])
		}
		expect([ra.status, rb.status, rc.status]).toEqual(['succeeded', 'succeeded', 'succeeded'])
		// No overlap: each run started after the one before it finished, in order of waiting.
		expect(rb.startedAt as number).toBeGreaterThanOrEqual(ra.finishedAt as number)
		expect(rc.startedAt as number).toBeGreaterThanOrEqual(rb.finishedAt as number)
		const gate = await env.TENANT_GATE.getByName(TENANT).state()
		expect(gate).toEqual({ leases: [], waiters: [] })
	})

	it('does not limit other tenants', async () => {
		const slow = await postJson('/v1/sessions/free-a/messages', { content: '/slow 300 x' })
		const fast = await postJson('/v1/sessions/free-b/messages', { content: 'y', wait: true })
		expect(((await fast.json()) as { status: string }).status).toBe('succeeded')
		expect(slow.status).toBe(202)
	})

	it('reads the cap from tenant settings; no setting means no cap', () => {
		const cap = (stored: unknown) => limitsOf(readSettings(stored)).maxConcurrentRuns
		expect(cap({ maxConcurrentRuns: 3 })).toBe(3)
		expect(cap({ maxConcurrentRuns: 0 })).toBeNull()
		expect(cap({ maxConcurrentRuns: 1.5 })).toBeNull()
		expect(cap({})).toBeNull()
		expect(cap(undefined)).toBeNull()
		expect(GRANT_CLAIM_MS).toBeGreaterThan(0)
	})
})

async function until(probe: () => Promise<boolean>, timeoutMs = STATE_WAIT_MS): Promise<void> {
	const deadline = Date.now() + timeoutMs
	while (!(await probe())) {
		if (Date.now() > deadline) throw new Error('condition not met in time')
		await new Promise((r) => setTimeout(r, 20))
	}
}
