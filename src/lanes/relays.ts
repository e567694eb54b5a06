// Remote subscribers of a lane: other Durable Objects (an OpenClaw gateway connection holds one
// client socket that may follow many sessions) that want this lane's events pushed to them.
// Their ids live in the lane's SQLite, so a subscription outlives the lane's eviction and the
// connection's hibernation: neither object stays awake for it. Each target gets its events in
// order and in batches, with one call in flight at a time; a target that answers `false` (its
// socket is gone) or keeps failing is dropped.
import type { Logger } from '../observability/logger'
import type { LaneEvent } from './types'

/** What a lane calls on a subscriber object. */
export interface RelayTarget {
	/** Delivers events of `lane` (its Durable Object name); false = stop sending to me. */
	laneEvents(lane: string, events: LaneEvent[]): Promise<boolean>
	/** The session was deleted: no more events will come. */
	laneClosed(lane: string, reason: string): Promise<void>
}

/** Most relay targets one lane keeps; the oldest subscription goes first beyond it. */
export const MAX_RELAYS = 64
/** Consecutive failed deliveries after which a target is dropped. */
export const MAX_FAILURES = 3
/** Most events one delivery carries; a longer backlog goes out in several. */
const BATCH = 500

interface Outbox {
	queue: LaneEvent[]
	sending: boolean
	failures: number
}

export interface RelayOptions {
	sql: SqlStorage
	/** This lane's Durable Object name, as the targets know it. */
	lane: string
	target(id: string): RelayTarget
	logger: Logger
	/** Keeps the object alive until a delivery settles. */
	waitUntil(promise: Promise<unknown>): void
}

export class LaneRelays {
	readonly #o: RelayOptions
	readonly #outboxes = new Map<string, Outbox>()
	#ids: string[] | undefined

	constructor(options: RelayOptions) {
		this.#o = options
	}

	/** Subscribes `id`; idempotent. */
	add(id: string, now: number): void {
		this.#table()
		this.#o.sql.exec(
			'INSERT INTO relays (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
			id,
			now,
		)
		this.#o.sql.exec(
			'DELETE FROM relays WHERE id NOT IN (SELECT id FROM relays ORDER BY created_at DESC, id LIMIT ?)',
			MAX_RELAYS,
		)
		this.#ids = undefined
	}

	remove(id: string): void {
		this.#table()
		this.#o.sql.exec('DELETE FROM relays WHERE id = ?', id)
		this.#outboxes.delete(id)
		this.#ids = undefined
	}

	ids(): string[] {
		this.#ids ??= this.#hasTable()
			? this.#o.sql
					.exec<{ id: string }>('SELECT id FROM relays ORDER BY created_at, id')
					.toArray()
					.map((r) => r.id)
			: []
		return this.#ids
	}

	broadcast(event: LaneEvent): void {
		for (const id of this.ids()) {
			let box = this.#outboxes.get(id)
			if (!box) {
				box = { queue: [], sending: false, failures: 0 }
				this.#outboxes.set(id, box)
			}
			box.queue.push(event)
			// Events committed in one transaction arrive together: send them as one batch.
			if (!box.sending) {
				box.sending = true
				queueMicrotask(() => this.#o.waitUntil(this.#drain(id, box)))
			}
		}
	}

	/** The session is going away: tells every target, then forgets them. */
	closeAll(reason: string): void {
		for (const id of this.ids()) {
			this.#o.waitUntil(
				this.#o
					.target(id)
					.laneClosed(this.#o.lane, reason)
					.catch(() => {}),
			)
		}
		this.#outboxes.clear()
		this.#ids = []
	}

	async #drain(id: string, box: Outbox): Promise<void> {
		try {
			while (box.queue.length > 0 && this.#outboxes.get(id) === box) {
				const batch = box.queue.splice(0, BATCH)
				let keep = true
				try {
					keep = await this.#o.target(id).laneEvents(this.#o.lane, batch)
					box.failures = 0
				} catch (error) {
					box.failures += 1
					this.#o.logger.warn('lane.relay_failed', { target: id, failures: box.failures, error })
					if (box.failures >= MAX_FAILURES) keep = false
				}
				if (!keep) {
					this.remove(id)
					return
				}
			}
		} finally {
			box.sending = false
		}
	}

	#hasTable(): boolean {
		return (
			this.#o.sql
				.exec<{ n: number }>(
					"SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'relays'",
				)
				.one().n > 0
		)
	}

	#table(): void {
		this.#o.sql.exec(
			'CREATE TABLE IF NOT EXISTS relays (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL)',
		)
	}
}
