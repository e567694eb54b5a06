// Followers of a lane: front doors that want a session's events pushed to them — the OpenClaw
// connection object (one client socket spanning many sessions), and whatever follows a session
// next (a schedule's delivery). Each is `{kind, id}` with the event types it wants, kept in the
// lane's SQLite with its place in the event log, so a subscription outlives the lane's eviction
// and the follower's hibernation: neither object stays awake for it. Kinds are resolved through
// the registry the Durable Object shell passes in; the lane knows none. Delivery is in order,
// batched, one call in flight per follower, at least once (the place moves only when the follower
// took the batch); the rules are in docs/architecture.md ("Followers").
import { sleep } from '../agents/models/sleep'
import type { Logger } from '../observability/logger'
import type { Follower, FollowerRef, LaneEvent } from './types'

/** What a lane calls on a follower (over RPC, when the follower is a Durable Object). */
export interface RelayTarget {
	/** Events of `lane` (its Durable Object name) in seq order; false = stop sending to me. */
	laneEvents(lane: string, events: LaneEvent[]): Promise<boolean>
	/** The session was deleted: no more events will come. */
	laneClosed(lane: string, reason: string): Promise<void>
}

/** How a lane reaches each kind of follower: the kind's name → the follower of that kind by id. */
export type FollowerKinds = Readonly<Record<string, (id: string) => RelayTarget>>

/** Where followers' events come from: the lane's event log (empty before the session exists). */
export interface EventSource {
	after(seq: number, limit: number): LaneEvent[]
	lastSeq(): number
}

/** Most followers of one kind a lane keeps; beyond it the oldest subscription of that kind goes. */
export const MAX_RELAYS = 64
/** Consecutive failed deliveries after which a follower is dropped. */
export const MAX_FAILURES = 3
/** Most events one delivery carries; a longer backlog goes out in several. */
const BATCH = 500
/** Kind names: short, lower case, so `kind:id` keys cannot collide. */
const KIND = /^[a-z][a-z0-9-]{0,31}$/
/** Rows stored before followers had kinds were all OpenClaw connections. */
const KIND_OF_OLD_ROWS = 'openclaw'

const table = (name: string) =>
	`CREATE TABLE ${name} (kind TEXT NOT NULL, id TEXT NOT NULL, events TEXT, delivered INTEGER NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (kind, id))`

interface RelayRow extends Record<string, SqlStorageValue> {
	kind: string
	id: string
	/** JSON array of event types; null = every type. */
	events: string | null
	/** Seq of the last event the follower took (or was skipped by its types). */
	delivered: number
}

interface Outbox {
	ref: FollowerRef
	key: string
	types: ReadonlySet<string> | undefined
	delivered: number
	sending: boolean
	failures: number
}

export interface RelayOptions {
	sql: SqlStorage
	transaction<T>(fn: () => T): T
	/** This lane's Durable Object name, as followers know it. */
	lane: string
	kinds: FollowerKinds
	events: EventSource
	logger: Logger
	/** Keeps the object alive until a delivery settles. */
	waitUntil(promise: Promise<unknown>): void
	/** Pause before retrying a failed delivery, times the failures so far (default 1 s). */
	retryMs?: number
}

export class LaneRelays {
	readonly #o: RelayOptions
	/** Followers by `kind:id`, read from storage on first use; their places are written through. */
	#outboxes: Map<string, Outbox> | undefined
	/** The table is known to exist in its current shape. */
	#prepared = false

	constructor(options: RelayOptions) {
		this.#o = options
	}

	/**
	 * Subscribes a follower from the newest event on; following again changes only its types.
	 * Throws for a kind the registry does not know.
	 */
	add(follower: Follower, now: number): void {
		const { kind, id } = follower
		const resolve = KIND.test(kind) ? this.#o.kinds[kind] : undefined
		if (!resolve) throw new Error(`No follower kind "${kind}".`)
		resolve(id)
		this.#prepare(true)
		const types = follower.events ? [...new Set(follower.events)] : undefined
		const delivered = this.#o.events.lastSeq()
		this.#o.sql.exec(
			`INSERT INTO relays (kind, id, events, delivered, created_at) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (kind, id) DO UPDATE SET events = excluded.events`,
			kind,
			id,
			types ? JSON.stringify(types) : null,
			delivered,
			now,
		)
		const dropped = this.#o.sql
			.exec<{ id: string }>(
				`DELETE FROM relays WHERE kind = ? AND id NOT IN
				 (SELECT id FROM relays WHERE kind = ? ORDER BY created_at DESC, id LIMIT ?) RETURNING id`,
				kind,
				kind,
				MAX_RELAYS,
			)
			.toArray()
		const outboxes = this.#outboxes
		if (!outboxes) return
		const key = keyOf(follower)
		const box = outboxes.get(key)
		if (box) box.types = types && new Set(types)
		else outboxes.set(key, outbox({ kind, id }, types, delivered))
		for (const row of dropped) outboxes.delete(keyOf({ kind, id: row.id }))
	}

	remove(follower: FollowerRef): void {
		this.#outboxes?.delete(keyOf(follower))
		if (!this.#prepare(false)) return
		this.#o.sql.exec('DELETE FROM relays WHERE kind = ? AND id = ?', follower.kind, follower.id)
	}

	/** The followers and their places, oldest subscription first. */
	list(): (FollowerRef & { events: string[] | null; delivered: number })[] {
		return [...this.#load().values()].map((b) => ({
			...b.ref,
			events: b.types ? [...b.types] : null,
			delivered: b.delivered,
		}))
	}

	/** A committed event: wakes the delivery of every follower that wants its type. */
	broadcast(event: LaneEvent): void {
		for (const box of this.#load().values()) {
			if (box.types && !box.types.has(event.type)) continue
			this.#start(box)
		}
	}

	/** After the lane wakes: followers that did not take everything get the rest. */
	resume(): void {
		const outboxes = this.#load()
		if (outboxes.size === 0) return
		const last = this.#o.events.lastSeq()
		for (const box of outboxes.values()) if (box.delivered < last) this.#start(box)
	}

	/** The session is going away: tells every follower, then forgets them. */
	closeAll(reason: string): void {
		for (const box of this.#load().values()) {
			const closed = async () => this.#target(box).laneClosed(this.#o.lane, reason)
			this.#o.waitUntil(closed().catch(() => {}))
		}
		this.#outboxes = new Map()
		this.#prepared = false
	}

	#start(box: Outbox): void {
		if (box.sending) return
		box.sending = true
		// Events committed in one transaction are broadcast together: they go as one batch.
		queueMicrotask(() => this.#o.waitUntil(this.#drain(box)))
	}

	async #drain(box: Outbox): Promise<void> {
		const current = () => this.#outboxes?.get(box.key) === box
		try {
			while (current()) {
				const batch = this.#o.events.after(box.delivered, BATCH)
				const last = batch.at(-1)
				if (!last) return
				const wanted = box.types ? batch.filter((e) => box.types?.has(e.type)) : batch
				if (wanted.length > 0) {
					let keep: boolean
					try {
						keep = await this.#target(box).laneEvents(this.#o.lane, wanted)
					} catch (error) {
						box.failures += 1
						this.#o.logger.warn('lane.relay_failed', {
							kind: box.ref.kind,
							target: box.ref.id,
							failures: box.failures,
							error,
						})
						if (box.failures >= MAX_FAILURES) keep = false
						else {
							await sleep((this.#o.retryMs ?? 1_000) * box.failures)
							continue
						}
					}
					if (!current()) return
					if (!keep) return this.remove(box.ref)
					box.failures = 0
				}
				box.delivered = last.seq
				this.#o.sql.exec(
					'UPDATE relays SET delivered = ? WHERE kind = ? AND id = ?',
					last.seq,
					box.ref.kind,
					box.ref.id,
				)
			}
		} finally {
			box.sending = false
		}
	}

	#target(box: Outbox): RelayTarget {
		const resolve = this.#o.kinds[box.ref.kind]
		if (!resolve) throw new Error(`No follower kind "${box.ref.kind}".`)
		return resolve(box.ref.id)
	}

	#load(): Map<string, Outbox> {
		if (this.#outboxes) return this.#outboxes
		const outboxes = new Map<string, Outbox>()
		const rows = this.#prepare(false)
			? this.#o.sql
					.exec<RelayRow>(
						'SELECT kind, id, events, delivered FROM relays ORDER BY created_at, kind, id',
					)
					.toArray()
			: []
		for (const row of rows) {
			// A kind this deployment does not know (rolled back?) keeps its row and its place.
			const types = row.events === null ? undefined : (JSON.parse(row.events) as string[])
			if (this.#o.kinds[row.kind]) outboxes.set(keyOf(row), outbox(row, types, row.delivered))
			else this.#o.logger.warn('lane.relay_unknown_kind', { kind: row.kind, target: row.id })
		}
		this.#outboxes = outboxes
		return outboxes
	}

	/** Makes sure the table exists in its current shape; false when there is none to read. */
	#prepare(create: boolean): boolean {
		if (this.#prepared) return true
		const { sql } = this.#o
		const columns = sql
			.exec<{ name: string }>('PRAGMA table_info(relays)')
			.toArray()
			.map((c) => c.name)
		if (columns.length === 0) {
			if (!create) return false
			sql.exec(table('relays'))
		} else if (!columns.includes('kind')) {
			// A table from before kinds: its rows become OpenClaw followers that took everything so
			// far (events were not kept for them across a restart then).
			const last = this.#o.events.lastSeq()
			this.#o.transaction(() => {
				sql.exec(table('relays_next'))
				sql.exec(
					'INSERT INTO relays_next (kind, id, events, delivered, created_at) SELECT ?, id, NULL, ?, created_at FROM relays',
					KIND_OF_OLD_ROWS,
					last,
				)
				sql.exec('DROP TABLE relays')
				sql.exec('ALTER TABLE relays_next RENAME TO relays')
			})
		}
		this.#prepared = true
		return true
	}
}

const keyOf = (ref: FollowerRef): string => `${ref.kind}:${ref.id}`

function outbox(
	follower: FollowerRef,
	types: readonly string[] | undefined,
	delivered: number,
): Outbox {
	const ref = { kind: follower.kind, id: follower.id }
	const wanted = types && new Set(types)
	return { ref, key: keyOf(ref), types: wanted, delivered, sending: false, failures: 0 }
}
