// The tenant gate: a counting semaphore over a tenant's concurrently running turns (OpenClaw's
// maxConcurrent), for tenants that set a cap. One gate per tenant, so no global object sits on
// the hot path, and uncapped tenants never call it. Lanes hold leases that expire, so a lane that
// vanished cannot keep a slot; waiters are served in order, and a lane that wants another turn
// while others wait goes to the back of the line. The cap travels with each acquire, so the gate
// needs no configuration reads of its own.
/** How long a slot handed to a waiting lane stays reserved for it before it must claim it. */
export const GRANT_CLAIM_MS = 60_000

const SCHEMA = `
	CREATE TABLE IF NOT EXISTS gate_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
	CREATE TABLE IF NOT EXISTS leases (lane TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, fresh INTEGER NOT NULL);
	CREATE TABLE IF NOT EXISTS waiters (seq INTEGER PRIMARY KEY AUTOINCREMENT, lane TEXT NOT NULL UNIQUE, since INTEGER NOT NULL);
`

export interface GateDecision {
	granted: boolean
	/** Lanes that were just handed a slot and must be told. */
	notify: string[]
}

export class GateBook {
	readonly #sql: SqlStorage

	constructor(sql: SqlStorage) {
		this.#sql = sql
		this.#sql.exec(SCHEMA)
	}

	/** Takes, renews or waits for a slot for `lane`, under the tenant's current `limit`. */
	acquire(lane: string, ttlMs: number, limit: number, now: number): GateDecision {
		this.#sql.exec(
			"INSERT INTO gate_meta (key, value) VALUES ('limit', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			limit,
		)
		const notify = this.#expire(limit, now)
		const lease = this.#sql
			.exec<{ fresh: number }>('SELECT fresh FROM leases WHERE lane = ?', lane)
			.toArray()[0]
		if (lease) {
			if (lease.fresh === 0 && this.#waiting() > 0 && this.#leases() >= limit) {
				// Fairness: another lane has waited; this one goes to the back of the line.
				this.#sql.exec('DELETE FROM leases WHERE lane = ?', lane)
				this.#enqueue(lane, now)
				return { granted: false, notify: [...notify, ...this.#grantWaiting(limit, now)] }
			}
			this.#sql.exec(
				'UPDATE leases SET expires_at = ?, fresh = 0 WHERE lane = ?',
				now + ttlMs,
				lane,
			)
			return { granted: true, notify }
		}
		const first = this.#sql
			.exec<{ lane: string }>('SELECT lane FROM waiters ORDER BY seq LIMIT 1')
			.toArray()[0]
		if (this.#leases() < limit && (!first || first.lane === lane)) {
			this.#sql.exec('DELETE FROM waiters WHERE lane = ?', lane)
			this.#sql.exec(
				'INSERT INTO leases (lane, expires_at, fresh) VALUES (?, ?, 0)',
				lane,
				now + ttlMs,
			)
			return { granted: true, notify }
		}
		this.#enqueue(lane, now)
		return { granted: false, notify }
	}

	/** Gives `lane`'s slot back; returns the lanes that got a slot as a result. */
	release(lane: string, now: number): string[] {
		const limit = this.limit()
		this.#sql.exec('DELETE FROM leases WHERE lane = ?', lane)
		this.#sql.exec('DELETE FROM waiters WHERE lane = ?', lane)
		return [...this.#expire(limit, now), ...this.#grantWaiting(limit, now)]
	}

	/** Housekeeping from the alarm: expired leases free their slots for waiters. */
	sweep(now: number): string[] {
		const limit = this.limit()
		return [...this.#expire(limit, now), ...this.#grantWaiting(limit, now)]
	}

	/** The cap most recently sent with an acquire (1 before any). */
	limit(): number {
		const row = this.#sql
			.exec<{ value: number }>("SELECT value FROM gate_meta WHERE key = 'limit'")
			.toArray()[0]
		return row?.value ?? 1
	}

	/** When the next lease expires, if anyone waits for it. */
	nextExpiry(): number | null {
		if (this.#waiting() === 0) return null
		return this.#sql.exec<{ t: number | null }>('SELECT min(expires_at) AS t FROM leases').one().t
	}

	snapshot(): { leases: { lane: string; expiresAt: number }[]; waiters: string[] } {
		return {
			leases: this.#sql
				.exec<{ lane: string; expires_at: number }>(
					'SELECT lane, expires_at FROM leases ORDER BY lane',
				)
				.toArray()
				.map((r) => ({ lane: r.lane, expiresAt: r.expires_at })),
			waiters: this.#sql
				.exec<{ lane: string }>('SELECT lane FROM waiters ORDER BY seq')
				.toArray()
				.map((r) => r.lane),
		}
	}

	#expire(limit: number, now: number): string[] {
		const gone = this.#sql.exec('DELETE FROM leases WHERE expires_at <= ?', now).rowsWritten
		return gone > 0 ? this.#grantWaiting(limit, now) : []
	}

	#grantWaiting(limit: number, now: number): string[] {
		const granted: string[] = []
		while (this.#leases() < limit) {
			const next = this.#sql
				.exec<{ lane: string }>('SELECT lane FROM waiters ORDER BY seq LIMIT 1')
				.toArray()[0]
			if (!next) break
			this.#sql.exec('DELETE FROM waiters WHERE lane = ?', next.lane)
			this.#sql.exec(
				'INSERT INTO leases (lane, expires_at, fresh) VALUES (?, ?, 1) ON CONFLICT (lane) DO UPDATE SET expires_at = excluded.expires_at, fresh = 1',
				next.lane,
				now + GRANT_CLAIM_MS,
			)
			granted.push(next.lane)
		}
		return granted
	}

	#enqueue(lane: string, now: number): void {
		this.#sql.exec(
			'INSERT INTO waiters (lane, since) VALUES (?, ?) ON CONFLICT (lane) DO NOTHING',
			lane,
			now,
		)
	}

	#leases(): number {
		return this.#sql.exec<{ n: number }>('SELECT count(*) AS n FROM leases').one().n
	}

	#waiting(): number {
		return this.#sql.exec<{ n: number }>('SELECT count(*) AS n FROM waiters').one().n
	}
}
