// The child's announce outbox on a clock the test owns: a parent that refuses or throws is offered
// the announce again on the lane's alarm with backoff (15 s doubling to 5 min) until it accepts,
// and after 30 minutes the announce is given up, visibly; one announce per run, never two.
import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { Announce, AnnounceAnswer, SubagentHost } from '../../src/automation/subagents/ports'
import { laneOver } from '../fakes/lane-host'

const PARENT = { tenantId: 'default', agentId: 'main', sessionKey: 'boss' }

/** A host whose parent answers each offer with the next of `answers` (the last repeats). */
function parentAnswering(answers: (AnnounceAnswer | Error)[]) {
	const offers: { at: number; announce: Announce }[] = []
	let clock = () => 0
	const host: SubagentHost = {
		loadAgent: async () => null,
		lane: () => ({
			send: () => Promise.reject(new Error('not used')),
			waitRun: () => Promise.reject(new Error('not used')),
			cancel: () => Promise.reject(new Error('not used')),
			cancelAll: () => Promise.reject(new Error('not used')),
			tailMessages: () => Promise.reject(new Error('not used')),
			async acceptAnnounce(announce) {
				offers.push({ at: clock(), announce })
				const answer = answers[Math.min(offers.length, answers.length) - 1] as
					| AnnounceAnswer
					| Error
				if (answer instanceof Error) throw answer
				return answer
			},
		}),
	}
	return { host, offers, setClock: (fn: () => number) => (clock = fn) }
}

const refused: AnnounceAnswer = { accepted: false, reason: 'queue_full' }

function inChild(
	answers: (AnnounceAnswer | Error)[],
	fn: (
		h: ReturnType<typeof laneOver>,
		p: ReturnType<typeof parentAnswering>,
		state: DurableObjectState,
	) => Promise<void>,
): Promise<void> {
	const stub = env.SESSION_LANE.getByName(`announce-${crypto.randomUUID()}`)
	return runInDurableObject(stub, async (_i, state) => {
		const p = parentAnswering(answers)
		const h = laneOver(state, undefined, { sessionKey: 'boss:sub:1', subagents: p.host })
		p.setClock(() => h.clock.now)
		await fn(h, p, state)
	})
}

/** Runs the child's task and waits until its first offer settled. */
async function finishTask(h: ReturnType<typeof laneOver>): Promise<string> {
	const submitted = h.lane.submit(
		h.request('the task', undefined, { parent: { session: PARENT, depth: 1, label: 'kid' } }),
	)
	if (!submitted.ok) throw new Error(submitted.error.message)
	const run = await h.lane.wait(submitted.value.run.runId, 30_000)
	expect(run?.status).toBe('succeeded')
	await h.settled()
	return submitted.value.run.runId
}

const rowOf = (state: DurableObjectState) =>
	state.storage.sql
		.exec<{ status: string; attempts: number; next_at: number; error: string | null }>(
			'SELECT status, attempts, next_at, error FROM announces',
		)
		.toArray()

describe('announce retries', () => {
	it('backs off from 15 s while the parent refuses or throws, then is accepted once', async () => {
		const answers = [
			refused,
			new Error('parent overloaded'),
			refused,
			{ accepted: true, outcome: 'queued' } as const,
		]
		await inChild(answers, async (h, p, state) => {
			const runId = await finishTask(h)
			expect(p.offers).toHaveLength(1)
			expect(p.offers[0]?.announce).toMatchObject({
				parent: PARENT,
				child: { sessionKey: 'boss:sub:1' },
				runId,
				label: 'kid',
				status: 'succeeded',
				output: 'echo: the task',
				usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) },
			})
			const waits: number[] = []
			for (let i = 0; i < 3; i++) {
				const [row] = rowOf(state)
				expect(row?.status).toBe('pending')
				waits.push((row?.next_at ?? 0) - h.clock.now)
				// An alarm before the retry is due offers nothing.
				await h.lane.alarm()
				await h.settled()
				expect(p.offers).toHaveLength(i + 1)
				h.clock.now = row?.next_at ?? 0
				await h.lane.alarm()
				await h.settled()
				expect(p.offers).toHaveLength(i + 2)
			}
			expect(waits).toEqual([15_000, 30_000, 60_000])
			expect(rowOf(state)).toEqual([
				{ status: 'sent', attempts: 4, next_at: expect.any(Number), error: null },
			])
			// Accepted: later alarms offer it no more.
			h.clock.now += 3_600_000
			await h.lane.alarm()
			await h.settled()
			expect(p.offers).toHaveLength(4)
			expect(new Set(p.offers.map((o) => o.announce.runId))).toEqual(new Set([runId]))
		})
	})

	it('gives up after 30 minutes, with an event, and the lane wakes for each try meanwhile', async () => {
		await inChild([refused], async (h, p, state) => {
			const runId = await finishTask(h)
			const started = h.clock.now
			for (let i = 0; i < 20; i++) {
				const [row] = rowOf(state)
				if (row?.status !== 'pending') break
				// The lane's alarm covers the retry.
				expect(h.alarms.at(-1)).toBeLessThanOrEqual(row.next_at)
				h.clock.now = row.next_at
				await h.lane.alarm()
				await h.settled()
			}
			const [row] = rowOf(state)
			expect(row).toMatchObject({ status: 'failed', attempts: 10, error: 'queue_full' })
			expect(h.clock.now - started).toBeLessThanOrEqual(30 * 60_000)
			expect(p.offers.map((o, i) => (i === 0 ? 0 : o.at - (p.offers[i - 1]?.at ?? 0)))).toEqual([
				0, 15_000, 30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000, 300_000,
			])
			expect(h.events.filter((e) => e.type === 'subagent.announce_failed')).toEqual([
				expect.objectContaining({
					runId,
					data: expect.objectContaining({ parent: 'boss', attempts: 10, error: 'queue_full' }),
				}),
			])
		})
	})

	it('announces failed and cancelled runs too, and nothing for a session without a parent', async () => {
		await inChild([{ accepted: true, outcome: 'queued' }], async (h, p) => {
			const submitted = h.lane.submit(
				h.request('/fail 400', undefined, { parent: { session: PARENT, depth: 1, label: null } }),
			)
			if (!submitted.ok) throw new Error(submitted.error.message)
			await h.lane.wait(submitted.value.run.runId, 30_000)
			const slow = h.lane.submit(h.request('/slow 60000 never'))
			if (!slow.ok) throw new Error(slow.error.message)
			await h.lane.cancel(slow.value.run.runId)
			await h.settled()
			expect(p.offers.map((o) => o.announce.status)).toEqual(['failed', 'cancelled'])
			expect(p.offers[0]?.announce.error?.code).toEqual(expect.any(String))
		})
		await inChild([{ accepted: true, outcome: 'queued' }], async (h, p) => {
			const submitted = h.lane.submit(h.request('no parent here'))
			if (!submitted.ok) throw new Error(submitted.error.message)
			await h.lane.wait(submitted.value.run.runId, 30_000)
			await h.settled()
			expect(p.offers).toEqual([])
		})
	})
})
