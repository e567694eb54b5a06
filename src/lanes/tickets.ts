// Stream tickets: short-lived, single-use credentials for one session's event stream, for browser
// clients whose EventSource cannot send a header. The gateway issues one to an authenticated
// caller and keeps only its hash here, in the session's own lane — the one place every isolate
// asks about this session, so a ticket is redeemed once, anywhere. Its own table, outside the
// lane's versioned schema: a ticket may be issued before the session's first message.

/** How long a ticket is good for: enough to open the stream it was issued for. */
export const TICKET_TTL_MS = 60_000

/** Most tickets a lane holds at once (expired ones are swept first). */
const MAX_TICKETS = 1_000

export class StreamTickets {
	readonly #sql: SqlStorage
	constructor(sql: SqlStorage) {
		this.#sql = sql
	}

	/** Made on use (and again after the session's storage is wiped): tickets are rare. */
	#table(): void {
		this.#sql.exec(
			'CREATE TABLE IF NOT EXISTS stream_tickets (hash TEXT PRIMARY KEY, principal TEXT NOT NULL, expires_at INTEGER NOT NULL)',
		)
	}

	/** Keeps `hash` for `principal` (JSON) until `expiresAt`; false when the lane holds too many. */
	issue(hash: string, principal: string, expiresAt: number, now: number): boolean {
		this.#table()
		this.#sql.exec('DELETE FROM stream_tickets WHERE expires_at <= ?', now)
		const held = this.#sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM stream_tickets').one().n
		if (held >= MAX_TICKETS) return false
		this.#sql.exec(
			'INSERT INTO stream_tickets (hash, principal, expires_at) VALUES (?, ?, ?)',
			hash,
			principal,
			expiresAt,
		)
		return true
	}

	/** The principal (JSON) a live ticket was issued to, once: a second redeem finds nothing. */
	redeem(hash: string, now: number): string | undefined {
		this.#table()
		const row = this.#sql
			.exec<{ principal: string; expires_at: number }>(
				'DELETE FROM stream_tickets WHERE hash = ? RETURNING principal, expires_at',
				hash,
			)
			.toArray()[0]
		return row && row.expires_at > now ? row.principal : undefined
	}
}
