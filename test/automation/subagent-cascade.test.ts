// The cancel cascade is durable: a parent's cancellations of its children are stored with the
// cancel, reset or delete and retried on its alarm (5 s doubling to 5 min, on a clock the test
// owns) while a child refuses at the RPC boundary, given up visibly after 30 minutes, harmless
// when repeated; and through the whole stack a three-level tree cancelled at its root ends.
import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { RemoteLane, SubagentHost } from '../../src/automation/subagents/ports'
import { laneName } from '../../src/lanes/name'
import { fail, ok, type RunView } from '../../src/lanes/types'
import { laneOver } from '../fakes/lane-host'
import { admin, createAgent, eventually, send, waitForRun } from '../helpers'

const PARENT_KEY = 'p'
const TENANT = 'default'

/** A child lane as the parent reaches it: its runs, and how many calls it throws at first. */
interface FakeChild {
	runs: Map<string, 'running' | 'cancelled'>
	/** Calls still to throw (the object unreachable or overloaded). */
	refuse: number
	/** Throws after cancelling (the answer is lost on the way back). */
	loseAnswer: number
	/** Calls still to leave unanswered for ever (a hung RPC). */
	hang: number
	calls: { at: number; op: string }[]
}

function children(clock: () => number) {
	const all = new Map<string, FakeChild>()
	const child = (key: string): FakeChild => {
		let c = all.get(key)
		if (!c) {
			c = { runs: new Map(), refuse: 0, loseAnswer: 0, hang: 0, calls: [] }
			all.set(key, c)
		}
		return c
	}
	const cancelOne = (c: FakeChild, runId: string) => {
		const status = c.runs.get(runId)
		if (!status) return fail('not_found', `No run ${runId}.`)
		if (status !== 'running') return fail('conflict', `Run ${runId} already ${status}.`)
		c.runs.set(runId, 'cancelled')
		return ok({ runId, status: 'cancelled' } as RunView)
	}
	const guard = async <T>(c: FakeChild, op: string, fn: () => T): Promise<T> => {
		c.calls.push({ at: clock(), op })
		if (c.hang > 0) {
			c.hang--
			await new Promise(() => {})
		}
		if (c.refuse > 0) {
			c.refuse--
			throw new Error('child unreachable')
		}
		const result = fn()
		if (c.loseAnswer > 0) {
			c.loseAnswer--
			throw new Error('connection reset')
		}
		return result
	}
	const host: SubagentHost = {
		loadAgent: async () => null,
		lane: (ref): RemoteLane => {
			const c = child(ref.sessionKey)
			return {
				send: () => Promise.reject(new Error('not used')),
				waitRun: () => Promise.reject(new Error('not used')),
				tailMessages: () => Promise.reject(new Error('not used')),
				acceptAnnounce: () => Promise.reject(new Error('not used')),
				cancel: async (runId) => guard(c, `cancel ${runId}`, () => cancelOne(c, runId)),
				cancelAll: async () =>
					guard(c, 'cancelAll', () => {
						let cancelled = 0
						for (const [id, s] of c.runs) if (s === 'running' && cancelOne(c, id).ok) cancelled++
						return ok({ cancelled })
					}),
			}
		},
	}
	return { host, child }
}

type Harness = ReturnType<typeof laneOver>
type Children = ReturnType<typeof children>

function inParent(
	fn: (h: Harness, kids: Children, state: DurableObjectState) => Promise<void>,
): Promise<void> {
	const stub = env.SESSION_LANE.getByName(`cascade-${crypto.randomUUID()}`)
	return runInDurableObject(stub, async (_i, state) => {
		let now = () => 0
		const kids = children(() => now())
		const h = laneOver(state, undefined, { sessionKey: PARENT_KEY, subagents: kids.host })
		now = () => h.clock.now
		await fn(h, kids, state)
	})
}

/** A running parent run that started a run in each of `keys` (as sessions_spawn records them). */
async function parentWithChildren(h: Harness, kids: Children, keys: string[]): Promise<string> {
	const submitted = h.lane.submit(h.request('/slow 600000 working'))
	if (!submitted.ok) throw new Error(submitted.error.message)
	const runId = submitted.value.run.runId
	await eventually(async () => (h.store.runs.get(runId)?.status === 'running' ? true : undefined))
	for (const key of keys) {
		h.store.subagents.addChild({
			sessionKey: key,
			agentId: 'main',
			label: null,
			depth: 1,
			subject: null,
			gateLimit: null,
			createdAt: h.clock.now,
		})
		h.store.subagents.addRun({
			runId: `${key}-r1`,
			sessionKey: key,
			parentRunId: runId,
			createdAt: h.clock.now,
		})
		kids.child(key).runs.set(`${key}-r1`, 'running')
	}
	return runId
}

/** Children recorded without a run of the parent (spawned by an earlier, finished run). */
function idleParentWithChildren(h: Harness, kids: Children, keys: string[]): void {
	const submitted = h.lane.submit(h.request('hello'))
	if (!submitted.ok) throw new Error(submitted.error.message)
	for (const key of keys) {
		h.store.subagents.addChild({
			sessionKey: key,
			agentId: 'main',
			label: null,
			depth: 1,
			subject: null,
			gateLimit: null,
			createdAt: h.clock.now,
		})
		kids.child(key).runs.set(`${key}-r1`, 'running')
	}
}

type CancelRowView = {
	session_key: string
	run_id: string
	reason: string
	status: string
	attempts: number
	next_at: number
	error: string | null
}

const cancelRows = (s: DurableObjectState): CancelRowView[] =>
	s.storage.sql
		.exec<CancelRowView>(
			`SELECT session_key, run_id, reason, status, attempts, next_at, error
			 FROM subagent_cancels ORDER BY session_key, run_id`,
		)
		.toArray()

const hasCancelTable = (s: DurableObjectState) =>
	s.storage.sql
		.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'subagent_cancels'")
		.toArray().length > 0

/** Moves the clock to the next pending try and fires the lane's alarm. */
async function nextTry(h: Harness, s: DurableObjectState): Promise<void> {
	const due = Math.min(
		...cancelRows(s)
			.filter((r) => r.status === 'pending')
			.map((r) => r.next_at),
	)
	h.clock.now = due
	await h.lane.alarm()
	await h.settled()
}

describe('the cancel cascade, durably', () => {
	it('retries a child that is unreachable at first on the alarm until its run ends cancelled', async () => {
		await inParent(async (h, kids, s) => {
			const runId = await parentWithChildren(h, kids, ['p:sub:1', 'p:sub:2'])
			const kid = kids.child('p:sub:1')
			kid.refuse = 2
			const t0 = h.clock.now
			const cancelled = await h.lane.cancel(runId)
			expect(cancelled.ok && cancelled.value.status).toBe('cancelled')
			await h.settled()
			// The reachable child is cancelled at once; the other is pending, its try in 5 s.
			expect(kids.child('p:sub:2').runs.get('p:sub:2-r1')).toBe('cancelled')
			expect(kid.runs.get('p:sub:1-r1')).toBe('running')
			expect(cancelRows(s)).toEqual([
				expect.objectContaining({
					session_key: 'p:sub:1',
					run_id: 'p:sub:1-r1',
					reason: 'cancelled',
					status: 'pending',
					attempts: 1,
					next_at: t0 + 5_000,
					error: 'child unreachable',
				}),
				expect.objectContaining({ session_key: 'p:sub:2', status: 'done', attempts: 1 }),
			])
			// The lane's alarm covers the retry.
			expect(h.alarms.at(-1)).toBeLessThanOrEqual(t0 + 5_000)
			// Their announces are dropped: both child runs are closed on the parent's side.
			expect(h.store.subagents.runsOf(runId).map((r) => r.status)).toEqual([
				'cancelled',
				'cancelled',
			])
			// An alarm before the retry is due tries nothing.
			await h.lane.alarm()
			await h.settled()
			expect(kid.calls).toHaveLength(1)
			await nextTry(h, s)
			expect(cancelRows(s)[0]).toMatchObject({ status: 'pending', attempts: 2 })
			expect(cancelRows(s)[0]?.next_at).toBe(h.clock.now + 10_000)
			await nextTry(h, s)
			expect(kid.runs.get('p:sub:1-r1')).toBe('cancelled')
			expect(cancelRows(s)[0]).toMatchObject({ status: 'done', attempts: 3, error: null })
			expect(kid.calls.map((c) => c.at - t0)).toEqual([0, 5_000, 15_000])
			// Settled: later alarms try no more.
			h.clock.now += 3_600_000
			await h.lane.alarm()
			await h.settled()
			expect(kid.calls).toHaveLength(3)
		})
	})

	it('a parent restarted before the retry delivers it when it comes back', async () => {
		await inParent(async (h, kids, s) => {
			const runId = await parentWithChildren(h, kids, ['p:sub:1'])
			const kid = kids.child('p:sub:1')
			kid.refuse = 1
			await h.lane.cancel(runId)
			await h.settled()
			expect(cancelRows(s)).toEqual([expect.objectContaining({ status: 'pending', attempts: 1 })])
			// A fresh object over the same storage, woken after the retry is due.
			const restarted = laneOver(s, undefined, {
				sessionKey: PARENT_KEY,
				subagents: kids.host,
				clock: { now: (cancelRows(s)[0]?.next_at ?? 0) + 1 },
			})
			restarted.lane.recover()
			await restarted.settled()
			expect(kid.runs.get('p:sub:1-r1')).toBe('cancelled')
			expect(cancelRows(s)).toEqual([expect.objectContaining({ status: 'done', attempts: 2 })])
		})
	})

	it('counts a try the child never answers as failed after 30 s, and retries it', async () => {
		await inParent(async (h, kids, s) => {
			const runId = await parentWithChildren(h, kids, ['p:sub:1'])
			const kid = kids.child('p:sub:1')
			kid.hang = 1
			const cancelling = h.lane.cancel(runId)
			const bound = await eventually(async () => h.timeouts.find((t) => t.ms === 30_000))
			expect(kid.calls).toHaveLength(1)
			bound.fire()
			expect((await cancelling).ok).toBe(true)
			await h.settled()
			expect(cancelRows(s)).toEqual([
				expect.objectContaining({
					status: 'pending',
					attempts: 1,
					error: 'no answer within 30000 ms',
				}),
			])
			await nextTry(h, s)
			expect(kid.runs.get('p:sub:1-r1')).toBe('cancelled')
			expect(cancelRows(s)[0]).toMatchObject({ status: 'done', attempts: 2 })
		})
	})

	it('gives up after 30 minutes with subagent.cancel_failed', async () => {
		await inParent(async (h, kids, s) => {
			const runId = await parentWithChildren(h, kids, ['p:sub:1'])
			const kid = kids.child('p:sub:1')
			kid.refuse = Number.POSITIVE_INFINITY
			const t0 = h.clock.now
			await h.lane.cancel(runId)
			await h.settled()
			for (let i = 0; i < 20 && cancelRows(s)[0]?.status === 'pending'; i++) await nextTry(h, s)
			expect(cancelRows(s)).toEqual([
				expect.objectContaining({ status: 'failed', attempts: 11, error: 'child unreachable' }),
			])
			const gaps = kid.calls.map((c, i) => c.at - (kid.calls[i - 1]?.at ?? t0))
			expect(gaps).toEqual([
				0, 5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000, 300_000,
			])
			expect((kid.calls.at(-1)?.at ?? 0) - t0).toBeLessThanOrEqual(30 * 60_000)
			expect(h.events.filter((e) => e.type === 'subagent.cancel_failed')).toEqual([
				expect.objectContaining({
					runId: null,
					data: {
						sessionKey: 'p:sub:1',
						childRunId: 'p:sub:1-r1',
						reason: 'cancelled',
						attempts: 11,
						error: 'child unreachable',
					},
				}),
			])
			h.clock.now += 3_600_000
			await h.lane.alarm()
			await h.settled()
			expect(kid.calls).toHaveLength(11)
		})
	})

	it('cancels again harmlessly: a lost answer, a second cancel, a child already ended', async () => {
		await inParent(async (h, kids, s) => {
			const runId = await parentWithChildren(h, kids, ['p:sub:1', 'p:sub:2'])
			// The first child cancels but its answer is lost; the second ended on its own already.
			kids.child('p:sub:1').loseAnswer = 1
			kids.child('p:sub:2').runs.set('p:sub:2-r1', 'cancelled')
			await h.lane.cancel(runId)
			await h.settled()
			expect(cancelRows(s).map((r) => [r.session_key, r.status])).toEqual([
				['p:sub:1', 'pending'],
				['p:sub:2', 'done'],
			])
			await nextTry(h, s)
			// The retry finds the run ended (conflict): done, nothing cancelled twice.
			expect(cancelRows(s).map((r) => [r.session_key, r.status, r.attempts])).toEqual([
				['p:sub:1', 'done', 2],
				['p:sub:2', 'done', 1],
			])
			// Cancelling the parent run again is a conflict and asks no child anything.
			const again = await h.lane.cancel(runId)
			expect(again.ok).toBe(false)
			await h.settled()
			expect(kids.child('p:sub:1').calls).toHaveLength(2)
			expect(kids.child('p:sub:2').calls).toHaveLength(1)
			expect(h.events.filter((e) => e.type === 'subagent.cancel_failed')).toEqual([])
		})
	})

	it('leaves the children of a run interrupted by a newer message at work', async () => {
		await inParent(async (h, kids, s) => {
			const runId = await parentWithChildren(h, kids, ['p:sub:1'])
			const next = h.lane.submit({ ...h.request('never mind'), mode: 'interrupt' })
			expect(next.ok).toBe(true)
			await h.lane.wait(runId, 30_000)
			await h.settled()
			expect(h.store.runs.get(runId)?.status).toBe('cancelled')
			expect(cancelRows(s)).toEqual([])
			expect(kids.child('p:sub:1').calls).toEqual([])
			expect(h.store.subagents.runsOf(runId).map((r) => r.announcedAt)).toEqual([null])
		})
	})

	it('a reset cascades even when the first try fails, and a late announce is dropped', async () => {
		await inParent(async (h, kids, s) => {
			idleParentWithChildren(h, kids, ['p:sub:1'])
			const kid = kids.child('p:sub:1')
			kid.refuse = 1
			const reset = await h.lane.reset()
			expect(reset.ok).toBe(true)
			await h.settled()
			// Stored with the reset, which forgot the child.
			expect(h.store.subagents.children()).toEqual([])
			expect(cancelRows(s)).toEqual([
				expect.objectContaining({ run_id: '*', reason: 'reset', status: 'pending', attempts: 1 }),
			])
			await nextTry(h, s)
			expect(kid.runs.get('p:sub:1-r1')).toBe('cancelled')
			expect(kid.calls.map((c) => c.op)).toEqual(['cancelAll', 'cancelAll'])
			expect(cancelRows(s)[0]).toMatchObject({ status: 'done', attempts: 2 })
			// The child's announce of its cancelled run finds no child: taken, and nothing queued.
			const answer = await h.lane.acceptAnnounce({
				parent: { tenantId: TENANT, agentId: 'main', sessionKey: PARENT_KEY },
				child: { tenantId: TENANT, agentId: 'main', sessionKey: 'p:sub:1' },
				runId: 'p:sub:1-r1',
				label: null,
				status: 'cancelled',
				output: null,
				error: null,
				usage: null,
				finishedAt: h.clock.now,
			})
			expect(answer).toEqual({ accepted: true, outcome: 'unknown' })
			expect(h.store.runs.count('queued')).toBe(0)
			expect(h.store.transcript.active()).toEqual([])
		})
	})

	it('a delete keeps the cancellations it could not deliver past the wipe, until delivered', async () => {
		await inParent(async (h, kids, s) => {
			idleParentWithChildren(h, kids, ['p:sub:1', 'p:sub:2'])
			const kid = kids.child('p:sub:1')
			kid.refuse = 2
			const deleted = await h.lane.destroy()
			expect(deleted.ok).toBe(true)
			await h.settled()
			expect(h.lane.exists()).toBe(false)
			expect(kids.child('p:sub:2').runs.get('p:sub:2-r1')).toBe('cancelled')
			// Only the table of what is still owed is left, and the alarm to deliver it.
			const tables = s.storage.sql
				.exec<{ name: string }>(
					"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'",
				)
				.toArray()
				.map((t) => t.name)
			expect(tables).toEqual(['subagent_cancels'])
			expect(cancelRows(s)).toEqual([
				expect.objectContaining({ session_key: 'p:sub:1', reason: 'deleted', status: 'pending' }),
			])
			const due = cancelRows(s)[0]?.next_at ?? 0
			expect(h.alarms.at(-1)).toBe(due)
			// A late announce to the deleted parent is dropped.
			const answer = await h.lane.acceptAnnounce({
				parent: { tenantId: TENANT, agentId: 'main', sessionKey: PARENT_KEY },
				child: { tenantId: TENANT, agentId: 'main', sessionKey: 'p:sub:1' },
				runId: 'p:sub:1-r1',
				label: null,
				status: 'succeeded',
				output: 'late',
				error: null,
				usage: null,
				finishedAt: h.clock.now,
			})
			expect(answer).toEqual({ accepted: true, outcome: 'gone' })
			expect(h.lane.exists()).toBe(false)
			await nextTry(h, s)
			expect(cancelRows(s)[0]).toMatchObject({ status: 'pending', attempts: 2 })
			expect(h.alarms.at(-1)).toBe(cancelRows(s)[0]?.next_at)
			// A restarted object picks them up too.
			const again = laneOver(s, undefined, {
				sessionKey: PARENT_KEY,
				subagents: kids.host,
				clock: h.clock,
			})
			h.clock.now = cancelRows(s)[0]?.next_at ?? 0
			await again.lane.alarm()
			await again.settled()
			expect(kid.runs.get('p:sub:1-r1')).toBe('cancelled')
			// All delivered: the deleted session leaves nothing behind, and no alarm.
			expect(hasCancelTable(s)).toBe(false)
			expect(again.alarms.at(-1)).toBeNull()
		})
	})

	it('a session created again under the deleted key goes on with what is still owed', async () => {
		await inParent(async (h, kids, s) => {
			idleParentWithChildren(h, kids, ['p:sub:1'])
			const kid = kids.child('p:sub:1')
			kid.refuse = 1
			await h.lane.destroy()
			await h.settled()
			expect(cancelRows(s)).toEqual([expect.objectContaining({ status: 'pending', attempts: 1 })])
			const again = h.lane.submit(h.request('a new start'))
			expect(again.ok).toBe(true)
			await h.lane.wait(again.ok ? again.value.run.runId : '', 30_000)
			expect(cancelRows(s)).toEqual([expect.objectContaining({ status: 'pending', attempts: 1 })])
			await nextTry(h, s)
			expect(kid.runs.get('p:sub:1-r1')).toBe('cancelled')
			expect(cancelRows(s)).toEqual([expect.objectContaining({ status: 'done', attempts: 2 })])
			expect(h.store.getMeta('schema_version')).toBe('10')
		})
	})
})

// ── through the whole stack ──────────────────────────────────────────────────────────────────

await createAgent(env.DB, 'tree', {
	tools: { allow: ['group:sessions'] },
	subagents: { maxDepth: 2, allowAgents: ['tree'] },
})

const spawn = (args: Record<string, unknown>) => `/tool sessions_spawn ${JSON.stringify(args)}`
const laneOf = (sessionKey: string) =>
	env.SESSION_LANE.getByName(laneName({ tenantId: TENANT, agentId: 'tree', sessionKey }))

/** The first run a run started in a child, once it has one. */
const childOf = (sessionKey: string, runId: string) =>
	eventually(async () => {
		const view = await laneOf(sessionKey).getRun(runId)
		return view.ok ? view.value.children?.[0] : undefined
	})

describe('a tree of subagents', () => {
	it('cancelled at its root ends entirely (maxDepth 2)', async () => {
		const leaf = spawn({ task: '/slow 600000 leaf', wait: true })
		const { run } = await send('tree-1', {
			agent: 'tree',
			content: spawn({ task: leaf, wait: true }),
		})
		const child = await childOf('tree-1', run.runId)
		const grandchild = await childOf(child.sessionKey, child.runId)
		await waitForRun(grandchild.sessionKey, grandchild.runId, (r) => r.status === 'running', {
			agent: 'tree',
		})
		const res = await admin(`/v1/sessions/tree-1/runs/${run.runId}/cancel?agent=tree`, {
			method: 'POST',
		})
		expect(res.status).toBe(200)
		for (const r of [child, grandchild]) {
			expect(await waitForRun(r.sessionKey, r.runId, undefined, { agent: 'tree' })).toMatchObject({
				status: 'cancelled',
			})
		}
		// Each level delivered its one cancellation and owes nothing.
		for (const key of ['tree-1', child.sessionKey]) {
			const rows = await runInDurableObject(laneOf(key), async (_i, s) => cancelRows(s))
			expect(rows.map((r) => [r.reason, r.status])).toEqual([['cancelled', 'done']])
		}
	})
})
