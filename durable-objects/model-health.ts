// ModelHealth: the record of provider health for one scope — a tenant's own credentials, or the
// deployment's shared ones (src/agents/models/health.ts `HealthScope`): auth-profile cooldowns and
// disables, and circuit breakers per provider+model. Isolates read a snapshot (and cache it for a
// moment) and report outcomes; the rules are in src/agents/models/health.ts. State is kept in the
// object's SQLite so it survives eviction.
import { DurableObject } from 'cloudflare:workers'
import {
	type BreakerState,
	breakerAfter,
	type HealthBackend,
	type HealthReport,
	type HealthSnapshot,
	type ProfileState,
	probeAfter,
	profileAfter,
} from '../src/agents/models/health'

export class ModelHealth extends DurableObject<Env> implements HealthBackend {
	readonly #profiles = new Map<string, ProfileState>()
	readonly #breakers = new Map<string, BreakerState>()

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env)
		const sql = ctx.storage.sql
		sql.exec(
			'CREATE TABLE IF NOT EXISTS health (kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key))',
		)
		for (const row of sql.exec<{ kind: string; key: string; value: string }>(
			'SELECT kind, key, value FROM health',
		)) {
			if (row.kind === 'profile') this.#profiles.set(row.key, JSON.parse(row.value))
			else this.#breakers.set(row.key, JSON.parse(row.value))
		}
	}

	async snapshot(): Promise<HealthSnapshot> {
		return {
			at: Date.now(),
			profiles: Object.fromEntries(this.#profiles),
			breakers: Object.fromEntries(this.#breakers),
		}
	}

	async report(reports: HealthReport[]): Promise<HealthSnapshot> {
		const now = Date.now()
		for (const r of reports) {
			if (r.kind === 'profile')
				this.#put('profile', r.key, profileAfter(this.#profiles.get(r.key), r, now))
			else this.#put('breaker', r.key, breakerAfter(this.#breakers.get(r.key), r.outcome, now))
		}
		return this.snapshot()
	}

	/** Grants the half-open probe of a breaker to exactly one caller per lease. */
	async probe(key: string): Promise<boolean> {
		const next = probeAfter(this.#breakers.get(key), Date.now())
		if (!next) return false
		this.#put('breaker', key, next)
		return true
	}

	/** Re-enables a disabled (or cooling) profile, or closes a breaker: an admin action. */
	async reset(kind: 'profile' | 'breaker', key: string): Promise<boolean> {
		const map = kind === 'profile' ? this.#profiles : this.#breakers
		if (!map.has(key)) return false
		this.#put(kind, key, null)
		return true
	}

	#put(kind: 'profile' | 'breaker', key: string, value: ProfileState | BreakerState | null): void {
		const map = (kind === 'profile' ? this.#profiles : this.#breakers) as Map<string, unknown>
		if (value === null) {
			if (!map.delete(key)) return
			this.ctx.storage.sql.exec('DELETE FROM health WHERE kind = ? AND key = ?', kind, key)
			return
		}
		map.set(key, value)
		this.ctx.storage.sql.exec(
			'INSERT INTO health (kind, key, value) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value',
			kind,
			key,
			JSON.stringify(value),
		)
	}
}
