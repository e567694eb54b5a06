// What a message and a turn cost a lane in storage: SQLite statements, transactions and events,
// counted on a lane over a Durable Object's real SQLite (docs/performance.md, "Hot lane and
// fan-out"). Counts, not timings: a change that adds work per message or per turn fails here.
import { runInDurableObject } from 'cloudflare:test'
import { expect, it } from 'vitest'
import { CoalescedIndex, type IndexRow } from '../../src/lanes/host'
import { laneOver } from '../fakes/lane-host'
import { silentLogger } from '../fakes/logs'
import { objectOf } from './outbox-setup'

/** Counts every statement and transaction run on `state`'s storage from now on. */
function counted(state: DurableObjectState) {
	const c = { statements: 0, transactions: 0 }
	const sql = state.storage.sql
	const exec = sql.exec.bind(sql)
	Object.defineProperty(sql, 'exec', {
		value: (query: string, ...bindings: SqlStorageValue[]) => {
			c.statements++
			return exec(query, ...bindings)
		},
	})
	const storage = state.storage
	const transactionSync = storage.transactionSync.bind(storage)
	Object.defineProperty(storage, 'transactionSync', {
		value: <T>(fn: () => T): T => {
			c.transactions++
			return transactionSync(fn)
		},
	})
	return c
}

it('a burst of messages costs one insert each, and each turn a fixed handful', {
	timeout: 60_000,
}, async () => {
	await runInDurableObject(objectOf(), async (_i, state) => {
		const c = counted(state)
		// The deployed index: rows read when a write goes out, at most once per interval.
		const written: IndexRow[] = []
		const index = new CoalescedIndex({
			write: async (row) => {
				written.push(row)
			},
			remove: async () => {},
			intervalMs: 60_000,
			waitUntil: () => {},
			logger: silentLogger(),
		})
		const h = laneOver(state, undefined, { index })
		const warm = h.lane.submit(h.request('warm'))
		if (!warm.ok) throw new Error('not taken')
		await h.lane.wait(warm.value.run.runId, 10_000)
		const held = h.lane.submit(h.request('/slow 60000 hold'))
		if (!held.ok) throw new Error('not taken')
		const n = 20
		const at = { ...c, events: h.events.length }
		const ids: string[] = []
		for (let i = 0; i < n; i++) {
			const r = h.lane.submit(h.request(`m${i}`))
			if (!r.ok) throw new Error('not taken')
			ids.push(r.value.run.runId)
		}
		const perSubmit = {
			statements: (c.statements - at.statements) / n,
			transactions: (c.transactions - at.transactions) / n,
			events: (h.events.length - at.events) / n,
		}
		await h.lane.cancel(held.value.run.runId)
		await h.lane.wait(ids[0] as string, 10_000)
		const turns = { ...c, events: h.events.length }
		for (const id of ids.slice(1)) await h.lane.wait(id, 10_000)
		// Runs 2..n: each started as the one before ended (start, turn, end; `wait` reads too). The
		// second started before this window opened, so these are upper bounds by a hair.
		const k = n - 1
		const perTurn = {
			statements: (c.statements - turns.statements) / k,
			transactions: (c.transactions - turns.transactions) / k,
			events: (h.events.length - turns.events) / k,
		}
		console.log(JSON.stringify({ perSubmit, perTurn }))
		// The index got the first answer at once, the rest waits for its interval: read then.
		await index.settled()
		expect(written.at(-1)).toMatchObject({ queuedRuns: 0, lastRunId: ids.at(-1) })
		// A queued message: its session's `updated_at`, the transcript's stats (session size), the
		// run, its `queued` event; the queue's counts once per burst.
		expect(perSubmit.transactions).toBe(1)
		expect(perSubmit.events).toBe(1)
		expect(perSubmit.statements).toBeLessThanOrEqual(4.1)
		// A turn: started (one transaction), one delta and final (one transaction) — and no more.
		expect(perTurn.events).toBeLessThanOrEqual(3)
		expect(perTurn.transactions).toBeLessThanOrEqual(2)
		expect(perTurn.statements).toBeLessThanOrEqual(22)
		// Every message answered, in order.
		const texts = h.store.transcript
			.active()
			.map((m) => m.content.map((p) => ('text' in p ? p.text : '')).join(''))
		expect(texts.slice(-2 * n)).toEqual(
			Array.from({ length: n }, (_, i) => [`m${i}`, `echo: m${i}`]).flat(),
		)
	})
})
