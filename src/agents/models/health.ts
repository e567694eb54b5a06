// Health of model providers: auth-profile cooldowns and disables, and one circuit breaker per
// provider+model. The rules are pure functions over plain state; the state lives in Durable
// Objects (durable-objects/model-health.ts), one per *scope* — whose credential was used: each
// tenant's own, and one shared by the deployment for the keys the platform shares — so one
// tenant's failures never switch a model off for another. Each isolate reads a scope through a
// short-lived cached snapshot so a healthy call costs no round trip.
import type { Logger } from '../../observability/logger'
import { COOLDOWN, DISABLE, type FailureClass } from './errors'

/** 30 s → 1 min → 5 min (cap), per consecutive rate-limit/overload failure of a profile. */
export const COOLDOWN_STEPS_MS = [30_000, 60_000, 300_000] as const
/** Consecutive failures that open a breaker. */
export const BREAKER_THRESHOLD = 5
/** Open time after the first trip; doubles per trip, capped. */
export const BREAKER_OPEN_MS = 30_000
export const BREAKER_OPEN_MAX_MS = 300_000
/** How long one half-open probe holds the breaker before another caller may probe. */
export const PROBE_LEASE_MS = 30_000

export interface ProfileState {
	failures: number
	cooldownUntil: number
	disabled: { reason: FailureClass; at: number; message: string } | null
	lastError?: string
}

export interface BreakerState {
	state: 'closed' | 'open' | 'half-open'
	failures: number
	trips: number
	openUntil: number
	probeUntil: number
}

export interface HealthSnapshot {
	at: number
	profiles: Record<string, ProfileState>
	breakers: Record<string, BreakerState>
}

export type HealthReport =
	| {
			kind: 'profile'
			key: string
			outcome: 'ok' | FailureClass
			retryAfterMs?: number
			message?: string
	  }
	| { kind: 'breaker'; key: string; outcome: 'ok' | 'failure' }

/** A profile after one outcome; null = healthy (nothing to keep). */
export function profileAfter(
	state: ProfileState | undefined,
	report: Extract<HealthReport, { kind: 'profile' }>,
	now: number,
): ProfileState | null {
	if (report.outcome === 'ok') return null
	const current: ProfileState = state ?? { failures: 0, cooldownUntil: 0, disabled: null }
	const message = (report.message ?? report.outcome).slice(0, 300)
	if (DISABLE.has(report.outcome)) {
		return {
			...current,
			disabled: { reason: report.outcome, at: now, message },
			lastError: message,
		}
	}
	if (COOLDOWN.has(report.outcome)) {
		const failures = current.failures + 1
		const step = COOLDOWN_STEPS_MS[Math.min(failures, COOLDOWN_STEPS_MS.length) - 1] as number
		const cooldown = Math.min(Math.max(step, report.retryAfterMs ?? 0), COOLDOWN_STEPS_MS[2])
		return { ...current, failures, cooldownUntil: now + cooldown, lastError: message }
	}
	return state ?? null
}

/** A breaker after one outcome; null = closed and clean. */
export function breakerAfter(
	state: BreakerState | undefined,
	outcome: 'ok' | 'failure',
	now: number,
): BreakerState | null {
	if (outcome === 'ok') return null
	const current: BreakerState = state ?? {
		state: 'closed',
		failures: 0,
		trips: 0,
		openUntil: 0,
		probeUntil: 0,
	}
	const failures = current.failures + 1
	// A failed probe (or any failure while not closed) re-opens for longer.
	if (current.state !== 'closed' || failures >= BREAKER_THRESHOLD) {
		const trips = current.trips + 1
		const openFor = Math.min(BREAKER_OPEN_MS * 2 ** (trips - 1), BREAKER_OPEN_MAX_MS)
		return { state: 'open', failures, trips, openUntil: now + openFor, probeUntil: 0 }
	}
	return { ...current, failures }
}

/** Grants one half-open probe once the open time is over; returns the new state or null (no). */
export function probeAfter(state: BreakerState | undefined, now: number): BreakerState | null {
	if (!state || state.state === 'closed') return null
	if (state.openUntil > now || state.probeUntil > now) return null
	return { ...state, state: 'half-open', probeUntil: now + PROBE_LEASE_MS }
}

export type Gate = 'call' | 'skip' | 'probe'

/** What the breaker says about calling now, from a snapshot. */
export function breakerGate(state: BreakerState | undefined, now: number): Gate {
	if (!state || state.state === 'closed') return 'call'
	if (state.openUntil > now || state.probeUntil > now) return 'skip'
	return 'probe'
}

export const profileAvailable = (state: ProfileState | undefined, now: number): boolean =>
	!state || (!state.disabled && state.cooldownUntil <= now)

/**
 * Whose credential a call used, and so whose health state it reads and writes: a tenant's own
 * (its secrets, or no key at all) or the deployment's shared keys and bindings.
 */
export type HealthScope = 'shared' | `tenant:${string}`

export const tenantScope = (tenantId: string): HealthScope => `tenant:${tenantId}`

/** One scope's store (the ModelHealth Durable Object implements it). */
export interface HealthBackend {
	snapshot(): Promise<HealthSnapshot>
	report(reports: HealthReport[]): Promise<HealthSnapshot>
	probe(key: string): Promise<boolean>
	/** Clears a profile's cooldown or disable (`enable`) or a breaker; false when nothing was kept. */
	reset(kind: 'profile' | 'breaker', key: string): Promise<boolean>
}

export const EMPTY_SNAPSHOT: HealthSnapshot = { at: 0, profiles: {}, breakers: {} }

/**
 * One isolate's view of the shared health: a snapshot cached for `ttlMs`, refreshed in the
 * background of a call, replaced by the answer of every report. When the store cannot be reached
 * the last snapshot stands (failover still works per isolate) and the error is logged.
 */
export class HealthView {
	readonly #backend: () => HealthBackend
	readonly #ttlMs: number
	readonly #logger: Logger
	#snapshot: HealthSnapshot = EMPTY_SNAPSHOT
	#fetchedAt = Number.NEGATIVE_INFINITY

	/**
	 * `backend` may be a factory: a Durable Object stub belongs to the object that created it, so a
	 * view shared by the lanes of an isolate must make a fresh stub for each call.
	 */
	constructor(backend: HealthBackend | (() => HealthBackend), logger: Logger, ttlMs = 2_000) {
		this.#backend = typeof backend === 'function' ? backend : () => backend
		this.#logger = logger
		this.#ttlMs = ttlMs
	}

	/**
	 * The snapshot, read again once it is `ttlMs` old. A read in flight is never shared: the callers
	 * are lanes (Durable Objects), and a lane awaiting another lane's pending RPC would continue in
	 * that lane's I/O context, where workerd refuses its storage. Lanes that find the snapshot stale
	 * at the same moment each read it once; after that the fresh one serves them all.
	 */
	async current(): Promise<HealthSnapshot> {
		if (Date.now() - this.#fetchedAt < this.#ttlMs) return this.#snapshot
		try {
			return this.#store(await this.#backend().snapshot())
		} catch (error) {
			this.#logger.warn('models.health_unreachable', { error })
			this.#fetchedAt = Date.now()
			return this.#snapshot
		}
	}

	/** Sends outcomes to the store; a success of a key that the snapshot shows healthy is skipped. */
	async report(reports: HealthReport[]): Promise<void> {
		const needed = reports.filter((r) =>
			r.outcome !== 'ok'
				? true
				: r.kind === 'profile'
					? r.key in this.#snapshot.profiles
					: r.key in this.#snapshot.breakers,
		)
		if (needed.length === 0) return
		try {
			this.#store(await this.#backend().report(needed))
		} catch (error) {
			this.#logger.warn('models.health_report_failed', { error })
		}
	}

	async probe(key: string): Promise<boolean> {
		try {
			return await this.#backend().probe(key)
		} catch (error) {
			this.#logger.warn('models.health_unreachable', { error })
			return true
		}
	}

	#store(snapshot: HealthSnapshot): HealthSnapshot {
		this.#snapshot = snapshot
		this.#fetchedAt = Date.now()
		return snapshot
	}
}
