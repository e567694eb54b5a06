// SessionLane: one Durable Object per session (tenant + agent + session key). It serialises the
// session's turns and keeps transcript, runs and events in its own SQLite storage. This class
// stays thin; the lane's rules live in src/.
import { DurableObject } from 'cloudflare:workers'

export interface LanePing {
	ok: true
	/** Result of a query against the object's own SQLite storage. */
	sqlite: number
	at: number
}

export class SessionLane extends DurableObject<Env> {
	/** Readiness probe: an RPC round trip that also touches SQLite storage. */
	async ping(): Promise<LanePing> {
		const row = this.ctx.storage.sql.exec<{ one: number }>('SELECT 1 AS one').one()
		return { ok: true, sqlite: row.one, at: Date.now() }
	}
}
