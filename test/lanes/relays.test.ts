// Followers of a lane: kinds resolved through the registry, event-type filters, at-least-once
// delivery from a stored place in the log, the cap per kind, and rows from before kinds (OpenClaw
// connections) read in place — over real Durable Object SQLite, with fake followers.
import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { OPENCLAW_FOLLOWER } from '../../src/gateway/openclaw/follows'
import {
	type FollowerKinds,
	LaneRelays,
	MAX_RELAYS,
	type RelayTarget,
} from '../../src/lanes/relays'
import type { LaneEvent, LaneEventType } from '../../src/lanes/types'
import { silentLogger } from '../fakes/logs'
import { eventually, send } from '../helpers'

const silent = silentLogger()

/** A follower that records what it was sent; `answer` decides each reply (throw to fail). */
function follower(answer: (events: LaneEvent[]) => boolean = () => true) {
	const batches: LaneEvent[][] = []
	const closed: string[] = []
	const target: RelayTarget = {
		laneEvents: async (_lane, events) => {
			batches.push(events)
			return answer(events)
		},
		laneClosed: async (_lane, reason) => {
			closed.push(reason)
		},
	}
	return { target, batches, closed, seqs: () => batches.flat().map((e) => e.seq) }
}

interface Harness {
	relays: LaneRelays
	sql: SqlStorage
	/** Appends an event to the log and broadcasts it, as a lane does after its commit. */
	emit(type: LaneEventType, broadcast?: boolean): LaneEvent
	/** A new LaneRelays over the same storage and log (the lane after an eviction). */
	restart(): LaneRelays
	/** Waits until every delivery started so far has settled. */
	settled(): Promise<void>
}

/** Runs `fn` over a fresh lane's storage with an in-memory event log and the given kinds. */
function withRelays(kinds: FollowerKinds, fn: (h: Harness) => Promise<void>): Promise<void> {
	const stub = env.SESSION_LANE.getByName(`default/main/relays-${crypto.randomUUID()}`)
	return runInDurableObject(stub, async (_instance, state) => {
		const log: LaneEvent[] = []
		const pending: Promise<unknown>[] = []
		const make = () =>
			new LaneRelays({
				sql: state.storage.sql,
				transaction: (f) => state.storage.transactionSync(f),
				lane: 'default/main/relays',
				kinds,
				events: {
					after: (seq, limit) => log.filter((e) => e.seq > seq).slice(0, limit),
					lastSeq: () => log.at(-1)?.seq ?? 0,
				},
				logger: silent,
				waitUntil: (p) => pending.push(p),
				retryMs: 1,
			})
		const h: Harness = {
			relays: make(),
			sql: state.storage.sql,
			emit(type, broadcast = true) {
				const event = { seq: log.length + 1, ts: Date.now(), type, runId: 'r1', data: {} }
				log.push(event)
				if (broadcast) h.relays.broadcast(event)
				return event
			},
			restart() {
				h.relays = make()
				return h.relays
			},
			async settled() {
				for (let seen = -1; seen !== pending.length; ) {
					seen = pending.length
					await new Promise((r) => setTimeout(r, 0))
					await Promise.allSettled(pending)
				}
			},
		}
		await fn(h)
	})
}

describe('follower kinds', () => {
	it('reach each follower through its kind, and keep kinds apart under one id', async () => {
		const a = follower()
		const b = follower()
		await withRelays({ alpha: () => a.target, beta: () => b.target }, async (h) => {
			h.emit('queued')
			h.relays.add({ kind: 'alpha', id: 'x' }, 1)
			h.relays.add({ kind: 'beta', id: 'x' }, 2)
			h.emit('started')
			h.emit('final')
			await h.settled()
			// From the newest event on, in one batch (both were broadcast before the delivery ran).
			expect(a.seqs()).toEqual([2, 3])
			expect(a.batches).toHaveLength(1)
			expect(b.seqs()).toEqual([2, 3])
			h.relays.remove({ kind: 'alpha', id: 'x' })
			h.emit('queued')
			await h.settled()
			expect(a.seqs()).toEqual([2, 3])
			expect(b.seqs()).toEqual([2, 3, 4])
		})
	})

	it('refuses a kind the registry does not name', async () => {
		await withRelays({ alpha: () => follower().target }, async (h) => {
			expect(() => h.relays.add({ kind: 'omega', id: 'x' }, 1)).toThrow(/omega/)
			expect(() => h.relays.add({ kind: 'Alpha:1', id: 'x' }, 1)).toThrow()
			expect(h.relays.list()).toEqual([])
		})
		const lane = env.SESSION_LANE.getByName('default/main/relays-unknown-kind')
		const refused = await lane.follow({ kind: 'omega', id: 'x' }).then(
			() => undefined,
			(error: unknown) => error,
		)
		expect(String(refused)).toMatch(/omega/)
	})

	it('keep at most 64 followers of each kind, dropping the oldest of that kind', async () => {
		const t = follower()
		await withRelays({ alpha: () => t.target, beta: () => t.target }, async (h) => {
			h.relays.add({ kind: 'beta', id: 'old' }, 0)
			for (let i = 0; i <= MAX_RELAYS; i++) h.relays.add({ kind: 'alpha', id: `a${i}` }, i + 1)
			const ids = h.relays.list().map((f) => `${f.kind}:${f.id}`)
			expect(ids).toHaveLength(MAX_RELAYS + 1)
			expect(ids).toContain('beta:old')
			expect(ids).not.toContain('alpha:a0')
			expect(h.restart().list()).toEqual(h.relays.list())
		})
	})

	it('tell every follower when the session is deleted', async () => {
		const a = follower()
		await withRelays({ alpha: () => a.target }, async (h) => {
			h.relays.add({ kind: 'alpha', id: 'x' }, 1)
			h.relays.add({ kind: 'alpha', id: 'y' }, 2)
			h.relays.closeAll('session deleted')
			await h.settled()
			expect(a.closed).toEqual(['session deleted', 'session deleted'])
			expect(h.relays.list()).toEqual([])
		})
	})
})

describe('event-type filters', () => {
	it('send a follower only the types it asked for, and move its place past the rest', async () => {
		const finals = follower()
		const all = follower()
		await withRelays({ outbox: () => finals.target, socket: () => all.target }, async (h) => {
			h.relays.add({ kind: 'outbox', id: 'o', events: ['final', 'final'] }, 1)
			h.relays.add({ kind: 'socket', id: 's' }, 2)
			for (const type of ['queued', 'started', 'delta', 'final', 'queued', 'delta'] as const) {
				h.emit(type)
			}
			await h.settled()
			expect(finals.batches.flat().map((e) => e.type)).toEqual(['final'])
			expect(all.seqs()).toEqual([1, 2, 3, 4, 5, 6])
			expect(h.relays.list()).toEqual([
				{ kind: 'outbox', id: 'o', events: ['final'], delivered: 6 },
				{ kind: 'socket', id: 's', events: null, delivered: 6 },
			])
			// Following again changes the types and keeps the place.
			h.relays.add({ kind: 'outbox', id: 'o', events: ['final', 'error'] }, 9)
			h.emit('error')
			await h.settled()
			expect(finals.seqs()).toEqual([4, 7])
			expect(h.relays.list()[0]).toMatchObject({ events: ['final', 'error'], delivered: 7 })
		})
	})
})

describe('delivery', () => {
	it('is at least once: a failed batch is sent again, in order, and a follower that fails 3 times in a row is dropped', async () => {
		let failures = 1
		const t = follower(() => {
			if (failures-- > 0) throw new Error('unreachable')
			return true
		})
		await withRelays({ alpha: () => t.target }, async (h) => {
			h.relays.add({ kind: 'alpha', id: 'x' }, 1)
			h.emit('queued')
			h.emit('started')
			await h.settled()
			expect(t.batches.map((b) => b.map((e) => e.seq))).toEqual([
				[1, 2],
				[1, 2],
			])
			failures = 3
			h.emit('final')
			await h.settled()
			expect(t.batches.slice(2).map((b) => b.map((e) => e.seq))).toEqual([[3], [3], [3]])
			expect(h.relays.list()).toEqual([])
		})
	})

	it('drops a follower that answers false', async () => {
		const t = follower(() => false)
		await withRelays({ alpha: () => t.target }, async (h) => {
			h.relays.add({ kind: 'alpha', id: 'x' }, 1)
			h.emit('queued')
			h.emit('started')
			await h.settled()
			expect(t.seqs()).toEqual([1, 2])
			expect(h.relays.list()).toEqual([])
			expect(h.sql.exec('SELECT count(*) AS n FROM relays').one().n).toBe(0)
		})
	})

	it('survives the lane going away: a new lane object sends what was not taken', async () => {
		const t = follower()
		await withRelays({ alpha: () => t.target }, async (h) => {
			h.relays.add({ kind: 'alpha', id: 'x' }, 1)
			h.emit('queued')
			await h.settled()
			expect(t.seqs()).toEqual([1])
			// Committed, but the object went away before it delivered them.
			h.emit('started', false)
			h.emit('final', false)
			const fresh = h.restart()
			fresh.resume()
			await h.settled()
			expect(t.seqs()).toEqual([1, 2, 3])
			expect(fresh.list()[0]?.delivered).toBe(3)
		})
	})
})

describe('rows from before kinds', () => {
	const oldTable = (sql: SqlStorage, ids: string[]) => {
		sql.exec('CREATE TABLE relays (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL)')
		ids.forEach((id, i) => {
			sql.exec('INSERT INTO relays (id, created_at) VALUES (?, ?)', id, i)
		})
	}

	it('are OpenClaw followers that took everything so far', async () => {
		const t = follower()
		const seen: string[] = []
		const kinds: FollowerKinds = {
			[OPENCLAW_FOLLOWER]: (id) => {
				seen.push(id)
				return t.target
			},
		}
		await withRelays(kinds, async (h) => {
			h.emit('queued')
			h.emit('final')
			oldTable(h.sql, ['conn-1', 'conn-2'])
			const relays = h.restart()
			expect(relays.list()).toEqual([
				{ kind: OPENCLAW_FOLLOWER, id: 'conn-1', events: null, delivered: 2 },
				{ kind: OPENCLAW_FOLLOWER, id: 'conn-2', events: null, delivered: 2 },
			])
			h.emit('queued')
			await h.settled()
			expect(t.seqs()).toEqual([3, 3])
			expect(new Set(seen)).toEqual(new Set(['conn-1', 'conn-2']))
			// The same table, in its new shape: the ids stay where they were.
			expect(h.sql.exec('SELECT id FROM relays ORDER BY id').toArray()).toEqual([
				{ id: 'conn-1' },
				{ id: 'conn-2' },
			])
		})
	})

	// Graceful eviction waits for the lane's pending work, including its next index write (≤ 5 s).
	it('reach the OpenClaw connection object in a real lane', async () => {
		await send('relays-old-1', { content: 'hi', wait: true })
		const lane = env.SESSION_LANE.getByName('default/main/relays-old-1')
		const connId = env.GATEWAY_CONNECTION.newUniqueId().toString()
		await runInDurableObject(lane, (_i, state) => oldTable(state.storage.sql, [connId]))
		await evictDurableObject(lane)
		const rows = () =>
			runInDurableObject(lane, (_i, state) =>
				state.storage.sql.exec('SELECT kind, id FROM relays').toArray(),
			)
		expect(await rows()).toEqual([{ kind: OPENCLAW_FOLLOWER, id: connId }])
		// The connection has no socket, so it answers false and the lane drops it.
		await send('relays-old-1', { content: 'again', wait: true })
		await eventually(async () => ((await rows()).length === 0 ? true : undefined))
	})
})
