// The lane's outbox: a run's reply to a channel leaves as ordered chunks, each sent once, with
// retries (backoff, the platform's retry-after), a deadline and dead letters; a restart never
// leaves a delivery stuck; inline replies, approvals and the routes of collected and steered
// messages. Real Durable Object SQLite under a lane with a fake host, sink and clock.
import { abortAllDurableObjects, env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { longAnswer } from '../../src/agents/models/offline'
import { DELIVERY_DEADLINE_MS, LaneOutbox } from '../../src/lanes/outbox'
import { pruneExpired } from '../../src/lanes/retention'
import { TYPING_EVERY_MS } from '../../src/lanes/typing'
import { HEARTBEAT_MS, nextWake } from '../../src/lanes/wake'
import { Logger } from '../../src/observability/logger'
import { ADMIN, agentOf, fakeSink, laneOver, route } from '../fakes/lane-host'
import { captureLogs, silentLogger } from '../fakes/logs'
import { STATE_WAIT_MS } from '../timeouts'
import { answered, deliveries, GUARDED, inLane, objectOf } from './outbox-setup'

const squeezed = (s: string) => s.replace(/\s+/g, '')

describe('sending a reply', () => {
	it('splits a long output into ordered chunks and sends each once, with typing meanwhile', async () => {
		await inLane(async (h, s) => {
			const run = await answered(h, '/long 10000')
			expect(run?.status).toBe('succeeded')
			const parts = s.calls.map((c) => c.text ?? '')
			expect(parts.length).toBeGreaterThanOrEqual(3)
			expect(parts.every((p) => p.length > 0 && p.length <= 4096)).toBe(true)
			expect(squeezed(parts.join(''))).toBe(squeezed(longAnswer(10000)))
			// The code block travels whole, in one message.
			expect(parts.filter((p) => /```ts\n[^`]+\n```/.test(p))).toHaveLength(1)
			expect(s.calls.map((c) => [c.part, c.parts, c.attempt, c.runId])).toEqual(
				parts.map((_, i) => [i + 1, parts.length, 1, run?.runId]),
			)
			expect(s.calls.every((c) => c.kind === 'text' && c.route.channelId === 'tg-a')).toBe(true)
			expect([...s.delivered.values()]).toEqual(parts.map(() => 1))
			expect(deliveries(h).map((d) => [d.part, d.status, d.attempts])).toEqual(
				parts.map((_, i) => [i + 1, 'sent', 1]),
			)
			// "typing…" once at the start, refreshed by a repeating timer that stops with the run.
			expect(s.typing[0]).toEqual(route('a'))
			expect(h.repeaters).toEqual([expect.objectContaining({ ms: TYPING_EVERY_MS, stopped: true })])
		})
	})

	it('waits as a 429 asks, then delivers in order, each part once; the alarm covers the wait', async () => {
		await inLane(async (h, s) => {
			let failedAt = 0
			s.answer = (d) => {
				if (d.part === 1 && d.attempt === 1) {
					failedAt = h.clock.now
					return { ok: false, error: 'HTTP 429', retryAfterMs: 7_000 }
				}
				return { ok: true }
			}
			await answered(h, '/long 6000')
			expect(s.calls.map((c) => [c.part, c.attempt])).toEqual([
				[1, 1],
				[1, 2],
				[2, 1],
			])
			expect(h.sleeps).toEqual([7_000])
			expect(h.alarms).toContain(failedAt + 7_000)
			expect([...s.delivered.values()]).toEqual([1, 1])
			expect(deliveries(h).map((d) => [d.status, d.attempts, d.error])).toEqual([
				['sent', 2, null],
				['sent', 1, null],
			])
		})
	})

	it('backs off exponentially and counts a sink that throws as a failed try', async () => {
		await inLane(async (h, s) => {
			s.answer = (d) => {
				if (d.attempt === 1) throw new Error('socket hang up')
				if (d.attempt === 2) return { ok: false, error: 'HTTP 502' }
				return { ok: true }
			}
			await answered(h, 'hello')
			expect(s.calls.map((c) => c.attempt)).toEqual([1, 2, 3])
			expect(h.sleeps).toEqual([1_000, 2_000])
			expect(s.delivered.size).toBe(1)
			expect(deliveries(h)).toEqual([
				expect.objectContaining({ status: 'sent', attempts: 3, error: null }),
			])
		})
	})
})

describe('giving up', () => {
	it('a permanent failure fails that part and the rest of the reply, visibly, and the next reply still goes', async () => {
		await inLane(async (h, s) => {
			s.answer = (d) =>
				d.part === 2 ? { ok: false, error: 'chat not found', permanent: true } : { ok: true }
			await answered(h, '/long 12000')
			const rows = deliveries(h)
			expect(rows.length).toBeGreaterThanOrEqual(3)
			expect(rows.map((d) => d.status)).toEqual(['sent', ...Array(rows.length - 1).fill('failed')])
			expect(rows[1]).toMatchObject({ error: 'chat not found', attempts: 1 })
			expect(rows.slice(2).every((d) => d.error === 'skipped: an earlier part failed')).toBe(true)
			// Parts after the failed one were never sent.
			expect(s.calls.map((c) => c.part)).toEqual([1, 2])
			const failed = h.events.filter((e) => e.type === 'delivery.failed')
			expect(failed).toEqual([
				expect.objectContaining({
					data: {
						deliveryId: rows[1]?.id,
						channelId: 'tg-a',
						part: 2,
						parts: rows.length,
						error: 'chat not found',
						skipped: rows.length - 2,
					},
				}),
			])
			expect(s.dead).toEqual([
				{
					delivery: expect.objectContaining({ id: rows[1]?.id, part: 2 }),
					error: 'chat not found',
				},
			])
			const dead = h.lane.listDeliveries('failed', 10)
			expect(dead.ok && dead.value.deliveries.length).toBe(rows.length - 1)
			s.answer = () => ({ ok: true })
			await answered(h, 'still here')
			expect(s.calls.at(-1)).toMatchObject({ text: 'echo: still here', part: 1, parts: 1 })
		})
	})

	it('gives up when the next try would pass the deadline', async () => {
		await inLane(async (h, s) => {
			s.answer = () => ({ ok: false, error: 'HTTP 503' })
			const started = h.clock.now
			await answered(h, 'never')
			const [row] = deliveries(h)
			expect(row).toMatchObject({ status: 'failed', error: 'HTTP 503 (deadline passed)' })
			expect(row?.attempts).toBe(s.calls.length)
			// 1, 2, 4 … 32 s, then every 60 s until the deadline.
			expect(h.sleeps.slice(0, 7)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000])
			expect(h.clock.now - started).toBeLessThanOrEqual(DELIVERY_DEADLINE_MS)
			expect(h.clock.now - started + 60_000).toBeGreaterThan(DELIVERY_DEADLINE_MS)
			expect(s.dead).toHaveLength(1)
			expect(h.events.filter((e) => e.type === 'delivery.failed')).toHaveLength(1)
		})
	})

	it('a run that fails says so once; a cancelled run sends nothing', async () => {
		await inLane(async (h, s) => {
			const run = await answered(h, '/fail 400')
			expect(run?.status).toBe('failed')
			expect(s.calls.map((c) => c.text)).toEqual([
				`⚠️ The agent could not answer (${run?.error?.code}).`,
			])
			const slow = h.lane.submit(h.request('/slow 60000 x', route('a')))
			if (!slow.ok) throw new Error('not taken')
			await h.lane.cancel(slow.value.run.runId)
			await h.settled()
			expect(s.calls).toHaveLength(1)
		})
	})

	it('without a sink, runs with a route deliver nothing and say so once', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const logs = captureLogs()
			const h = laneOver(state, undefined, { logger: new Logger({}, { sink: logs.sink }) })
			await answered(h, 'one')
			await answered(h, 'two')
			expect(deliveries(h)).toEqual([])
			expect(logs.entries().filter((e) => e.msg === 'lane.no_reply_sink')).toHaveLength(1)
		})
	})
})

describe('restarts', () => {
	it('a lane restarted mid-delivery sends every chunk once or fails it, never stuck', async () => {
		const name = crypto.randomUUID()
		const stub = () => objectOf(name)
		let parts = 0
		await runInDurableObject(stub(), async (_i, state) => {
			const s = fakeSink(4096)
			const h = laneOver(state, s.sink)
			// The platform takes part 2 and never answers: the object dies before marking it.
			s.answer = (d) => (d.part === 2 ? new Promise(() => {}) : { ok: true })
			const submitted = h.lane.submit(h.request('/long 12000', route('a')))
			if (!submitted.ok) throw new Error('not taken')
			await h.lane.wait(submitted.value.run.runId, STATE_WAIT_MS)
			await expect.poll(() => deliveries(h)[1]?.status).toBe('sending')
			parts = deliveries(h).length
			expect(s.calls.map((c) => c.part)).toEqual([1, 2])
		})
		await abortAllDurableObjects()
		// A stub from before the abort is broken: a new one reaches the new instance.
		await runInDurableObject(stub(), async (_i, state) => {
			const s = fakeSink(4096)
			const h = laneOver(state, s.sink)
			h.lane.recover()
			await h.settled()
			// Part 2 may have reached the platform before the crash: the one at-least-once window.
			expect(s.calls.map((c) => [c.part, c.attempt])).toEqual(
				Array.from({ length: parts - 1 }, (_, i) => [i + 2, i === 0 ? 2 : 1]),
			)
			expect(deliveries(h).map((d) => d.status)).toEqual(Array(parts).fill('sent'))
			expect([...s.delivered.values()].every((n) => n === 1)).toBe(true)
		})
	})

	/** A lane whose object went away during a delivery's first backoff, woken `later` ms on. */
	async function wokenAfterEviction(later: number) {
		const name = crypto.randomUUID()
		await runInDurableObject(objectOf(name), async (_i, state) => {
			const s = fakeSink()
			const h = laneOver(state, s.sink)
			s.answer = () => ({ ok: false, error: 'HTTP 502' })
			// Its drain never wakes from the backoff.
			h.stall = true
			h.lane.submit(h.request('hello', route('a')))
			await expect.poll(() => h.sleeps).toEqual([1_000])
			expect(deliveries(h)[0]).toMatchObject({ status: 'pending', attempts: 1 })
		})
		await abortAllDurableObjects()
		return runInDurableObject(objectOf(name), async (_i, state) => {
			const s = fakeSink()
			const h = laneOver(state, s.sink, { clock: { now: Date.now() + later } })
			await h.lane.alarm()
			await h.settled()
			return { s, rows: deliveries(h) }
		})
	}

	it('the alarm resumes deliveries an evicted lane left pending', async () => {
		const { s, rows } = await wokenAfterEviction(60_000)
		expect(s.calls.map((c) => [c.text, c.attempt])).toEqual([['echo: hello', 2]])
		expect(rows[0]?.status).toBe('sent')
	})

	it('a delivery woken past its deadline is given up without another try', async () => {
		const { s, rows } = await wokenAfterEviction(DELIVERY_DEADLINE_MS + 60_000)
		expect(s.calls).toEqual([])
		expect(rows[0]).toMatchObject({
			status: 'failed',
			attempts: 1,
			error: 'HTTP 502 (deadline passed)',
		})
		expect(s.dead).toEqual([
			{ delivery: expect.objectContaining({ attempt: 1 }), error: 'HTTP 502 (deadline passed)' },
		])
	})
})

describe('what enters the outbox', () => {
	it('a caller waiting inline gets the answer and the outbox sends none; once its wait ends, the outbox does', async () => {
		await inLane(async (h, s) => {
			const inline = h.request('inline', route('a'), { idempotencyKey: 'inline-1' })
			const first = h.lane.submit(inline)
			if (!first.ok) throw new Error('not taken')
			const final = await h.lane.waitInline(first.value.run.runId, STATE_WAIT_MS)
			expect(final).toMatchObject({ status: 'succeeded', output: 'echo: inline' })
			await h.settled()
			expect(deliveries(h)).toEqual([])
			// The caller's retry (its answer was lost) is a duplicate of the finished run: it gets
			// the answer too, since the run was answered inline.
			const retry = h.lane.submit(inline)
			expect(retry.ok && retry.value.duplicate).toBe(true)
			expect(await h.lane.waitInline(first.value.run.runId, 1)).toMatchObject({
				output: 'echo: inline',
			})
			// A wait that ends first: the hold is gone, the answer goes out when the run ends.
			const later = h.request('/slow 300 later', route('a'), { idempotencyKey: 'inline-2' })
			const second = h.lane.submit(later)
			if (!second.ok) throw new Error('not taken')
			expect(await h.lane.waitInline(second.value.run.runId, 1)).toBeUndefined()
			await h.lane.wait(second.value.run.runId, STATE_WAIT_MS)
			await h.settled()
			expect(s.calls.map((c) => c.text)).toEqual(['echo: later'])
			// Its retry, waiting inline on a run answered through the outbox, gets nothing.
			expect(h.lane.submit(later)).toMatchObject({ ok: true, value: { duplicate: true } })
			expect(await h.lane.waitInline(second.value.run.runId, 1)).toBeUndefined()
			expect(deliveries(h)).toHaveLength(1)
		})
	})

	it('an approval of a run with a route becomes an approval delivery, ahead of the answer', async () => {
		await inLane(async (h, s) => {
			const args = JSON.stringify({ timezone: 'Europe/Paris'.padEnd(40, 'x') })
			const submitted = h.lane.submit({
				...h.request(`/tool time_now ${args}`, route('a')),
				agent: GUARDED,
			})
			if (!submitted.ok) throw new Error('not taken')
			await h.settled()
			await expect.poll(() => s.calls.length).toBe(1)
			const [asked] = s.calls
			expect(asked).toMatchObject({ kind: 'approval', part: 1, parts: 1, route: route('a') })
			expect(asked?.approval).toMatchObject({ tool: 'time_now', summary: args })
			const id = asked?.approval?.id as string
			expect(h.lane.decideApproval(id, 'deny', 'key:op').ok).toBe(true)
			await h.lane.wait(submitted.value.run.runId, STATE_WAIT_MS)
			await h.settled()
			expect(s.calls.map((c) => c.kind)).toEqual(['approval', 'text'])
			expect(s.calls[1]?.text).toContain('time_now failed')
		})
	})

	it('an approval summary is cut to 300 characters', async () => {
		await inLane(async (h, s, state) => {
			h.store.migrate()
			const runId = crypto.randomUUID()
			const run = h.request('x', route('a'))
			state.storage.transactionSync(() =>
				h.store.runs.insert({
					id: runId,
					mode: 'followup',
					input: [],
					agent: run.agent,
					idempotencyKey: undefined,
					createdAt: h.clock.now,
					gateLimit: null,
					head: false,
					subject: ADMIN,
					reply: route('a'),
				}),
			)
			const outbox = new LaneOutbox(
				{
					store: h.store,
					replies: s.sink,
					now: () => h.clock.now,
					newId: () => 'd1',
					logger: silentLogger(),
					metrics: { write() {} },
				},
				{ tx: (fn) => state.storage.transactionSync(fn), emit() {}, reschedule() {} },
			)
			const data = { approvalId: 'ap1', tool: 'deploy', args: 'x'.repeat(2_000) }
			state.storage.transactionSync(() =>
				outbox.noted({ seq: 1, ts: h.clock.now, type: 'approval.requested', runId, data }),
			)
			outbox.committed()
			await outbox.settled()
			expect(s.calls.map((c) => c.approval)).toEqual([
				{ id: 'ap1', tool: 'deploy', summary: `${'x'.repeat(299)}…` },
			])
		})
	})

	it('collect and steer move the run’s route to the newest message’s; a duplicate changes nothing', async () => {
		await inLane(async (h, s) => {
			const head = h.lane.submit(h.request('/slow 60000 head', route('a')))
			if (!head.ok) throw new Error('not taken')
			const headId = head.value.run.runId
			await expect.poll(() => h.store.runs.get(headId)?.status).toBe('running')
			// Steered into the running run: its answer now goes where the steer came from.
			h.lane.submit(h.request('steer', route('b'), { mode: 'steer' }))
			expect(h.store.runs.replyOf(headId)).toEqual(route('b'))
			const batch = h.lane.submit(h.request('c1', route('c'), { mode: 'collect' }))
			h.lane.submit(h.request('c2', route('d'), { mode: 'collect', idempotencyKey: 'k' }))
			h.lane.submit(h.request('c2', route('e'), { mode: 'collect', idempotencyKey: 'k' }))
			if (!batch.ok) throw new Error('not taken')
			const batchId = batch.value.run.runId
			expect(h.store.runs.replyOf(batchId)).toEqual(route('d'))
			// Cancelled: the head answers nothing; its untaken steer runs next, still to b.
			await h.lane.cancel(headId)
			await h.lane.wait(batchId, STATE_WAIT_MS)
			await h.settled()
			expect(s.calls.map((c) => [c.route.channelId, c.text])).toEqual([
				['tg-b', 'echo: steer'],
				['tg-d', 'echo: c1\nc2'],
			])
		})
	})
})

describe('over RPC', () => {
	it('send with inlineReply returns the answer only when the run ended while it waited', async () => {
		// A lane's name: its shell sends through the channels' sink (which fails: no such channel).
		const stub = env.SESSION_LANE.getByName(`default/main/outbox-${crypto.randomUUID()}`)
		const request = {
			session: { tenantId: 'default', agentId: 'main', sessionKey: 'rpc' },
			agent: agentOf(),
			content: [{ type: 'text' as const, text: 'inline' }],
			mode: 'followup' as const,
			maxConcurrentRuns: null,
			subject: ADMIN,
			reply: route('a'),
			idempotencyKey: 'rpc-inline',
		}
		const held = await stub.send(request, { waitMs: STATE_WAIT_MS, inlineReply: true })
		expect(held.ok && held.value.final).toMatchObject({
			status: 'succeeded',
			output: 'echo: inline',
		})
		// A retry of the caller whose answer was lost: the same run, answered again.
		const retried = await stub.send(request, { waitMs: STATE_WAIT_MS, inlineReply: true })
		expect(retried.ok && retried.value).toMatchObject({
			duplicate: true,
			final: { output: 'echo: inline' },
		})
		const slow = {
			...request,
			content: [{ type: 'text' as const, text: '/slow 300 later' }],
			idempotencyKey: 'rpc-late',
		}
		const late = await stub.send(slow, { waitMs: 1, inlineReply: true })
		expect(late.ok && late.value.final).toBeUndefined()
		// The held answer was never queued; the late one is, once its run ends (a bad limit reads 100).
		const runsWithDeliveries = async () => {
			const page = await stub.listDeliveries(undefined, Number.NaN)
			return page.ok ? [...new Set(page.value.deliveries.map((d) => d.runId))] : []
		}
		const lateRun = late.ok ? late.value.run.runId : 'none'
		await expect.poll(runsWithDeliveries).toEqual([lateRun])
	})
})

describe('retention and waking', () => {
	it('prunes sent and failed deliveries after 7 days, keeps pending ones, and a reset keeps them all', async () => {
		await inLane(async (h, s, state) => {
			await answered(h, 'kept a week')
			const sentAt = deliveries(h)[0]?.createdAt as number
			expect(h.store.oldestExpiring().delivery).toBe(sentAt)
			s.answer = () => ({ ok: false, error: 'HTTP 502' })
			h.stall = true
			h.clock.now += 1_000
			h.lane.submit(h.request('pending', route('a')))
			await expect.poll(() => h.sleeps).toEqual([1_000])
			expect((await h.lane.reset()).ok).toBe(true)
			expect(deliveries(h).map((d) => d.status)).toEqual(['sent', 'pending'])
			// Pending deliveries never expire; the sent one is the oldest that will.
			expect(h.store.oldestExpiring().delivery).toBe(sentAt)
			state.storage.transactionSync(() => pruneExpired(h.store, sentAt + 8 * 24 * 3600_000))
			expect(deliveries(h).map((d) => d.status)).toEqual(['pending'])
		})
	})

	it('lists by status and refuses an unknown one', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const h = laneOver(state, fakeSink().sink)
			expect(h.lane.listDeliveries(undefined, 10)).toMatchObject({
				ok: false,
				error: { code: 'not_found' },
			})
			await answered(h, 'x')
			expect(h.lane.listDeliveries('sent', 10)).toMatchObject({
				ok: true,
				value: { deliveries: [expect.anything()] },
			})
			expect(h.lane.listDeliveries('pending', 10)).toEqual({ ok: true, value: { deliveries: [] } })
			expect(h.lane.listDeliveries('bogus' as 'sent', 10)).toMatchObject({
				ok: false,
				error: { code: 'bad_request' },
			})
		})
	})

	it('wakes for the outbox whether the lane is busy or idle, never sooner than a second', () => {
		const base = {
			now: 1_000_000,
			activeDeadline: undefined,
			queued: () => false,
			outboxDue: Number.POSITIVE_INFINITY,
			alarmPending: false,
			expiry: () => Number.POSITIVE_INFINITY,
		}
		expect(nextWake(base)).toBeNull()
		expect(nextWake({ ...base, alarmPending: true })).toBeUndefined()
		expect(nextWake({ ...base, alarmPending: true, outboxDue: 1_005_000 })).toBe(1_005_000)
		expect(nextWake({ ...base, outboxDue: 900_000 })).toBe(1_001_000)
		expect(nextWake({ ...base, outboxDue: 1_005_000, expiry: () => 1_003_000 })).toBe(1_003_000)
		expect(nextWake({ ...base, queued: () => true, outboxDue: 1_005_000 })).toBe(1_005_000)
		expect(nextWake({ ...base, queued: () => true })).toBe(1_000_000 + HEARTBEAT_MS)
		expect(nextWake({ ...base, activeDeadline: 1_200_000, outboxDue: 1_002_000 })).toBe(1_002_000)
	})
})
