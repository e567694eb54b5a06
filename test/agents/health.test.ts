// The failover rules as pure functions over explicit time: cooldown steps, disable, breaker
// thresholds, half-open probes — and the shared object that keeps them.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
	BREAKER_THRESHOLD,
	breakerAfter,
	breakerGate,
	type HealthBackend,
	probeAfter,
	profileAfter,
	profileAvailable,
} from '../../src/agents/models/health'

const T = 1_000_000

describe('auth profile cooldown', () => {
	it('steps 30 s → 1 min → 5 min (cap) per consecutive rate limit, and resets on success', () => {
		const limited = { kind: 'profile', key: 'k', outcome: 'rate_limit' } as const
		const one = profileAfter(undefined, limited, T)
		expect(one?.cooldownUntil).toBe(T + 30_000)
		const two = profileAfter(one ?? undefined, limited, T)
		expect(two?.cooldownUntil).toBe(T + 60_000)
		const three = profileAfter(two ?? undefined, limited, T)
		const four = profileAfter(three ?? undefined, limited, T)
		expect([three?.cooldownUntil, four?.cooldownUntil]).toEqual([T + 300_000, T + 300_000])
		expect(profileAvailable(four ?? undefined, T + 299_999)).toBe(false)
		expect(profileAvailable(four ?? undefined, T + 300_000)).toBe(true)
		expect(profileAfter(four ?? undefined, { ...limited, outcome: 'ok' }, T)).toBeNull()
	})

	it('honours a longer retry-after, within the cap', () => {
		const r = profileAfter(
			undefined,
			{ kind: 'profile', key: 'k', outcome: 'overloaded', retryAfterMs: 90_000 },
			T,
		)
		expect(r?.cooldownUntil).toBe(T + 90_000)
		const capped = profileAfter(
			undefined,
			{ kind: 'profile', key: 'k', outcome: 'rate_limit', retryAfterMs: 3_600_000 },
			T,
		)
		expect(capped?.cooldownUntil).toBe(T + 300_000)
	})

	it('disables on auth and billing failures: no time heals them', () => {
		const r = profileAfter(
			undefined,
			{ kind: 'profile', key: 'k', outcome: 'billing', message: 'credit' },
			T,
		)
		expect(r?.disabled).toMatchObject({ reason: 'billing', at: T })
		expect(profileAvailable(r ?? undefined, T + 10 ** 9)).toBe(false)
	})

	it('ignores failures that are not about the key', () => {
		expect(profileAfter(undefined, { kind: 'profile', key: 'k', outcome: 'server' }, T)).toBeNull()
	})
})

describe('circuit breaker', () => {
	it('opens after the threshold, doubles its open time per trip, and probes half-open once', () => {
		let state = undefined as ReturnType<typeof breakerAfter> | undefined
		for (let i = 0; i < BREAKER_THRESHOLD - 1; i++)
			state = breakerAfter(state ?? undefined, 'failure', T)
		expect(state?.state).toBe('closed')
		expect(breakerGate(state ?? undefined, T)).toBe('call')
		state = breakerAfter(state ?? undefined, 'failure', T)
		expect(state).toMatchObject({ state: 'open', trips: 1, openUntil: T + 30_000 })
		expect(breakerGate(state ?? undefined, T + 29_999)).toBe('skip')
		expect(breakerGate(state ?? undefined, T + 30_000)).toBe('probe')
		const probing = probeAfter(state ?? undefined, T + 30_000)
		expect(probing?.state).toBe('half-open')
		// A second caller gets no probe while the first one's lease runs.
		expect(probeAfter(probing ?? undefined, T + 30_001)).toBeNull()
		expect(breakerGate(probing ?? undefined, T + 30_001)).toBe('skip')
		// A failed probe re-opens for twice as long.
		const reopened = breakerAfter(probing ?? undefined, 'failure', T + 31_000)
		expect(reopened).toMatchObject({ state: 'open', trips: 2, openUntil: T + 31_000 + 60_000 })
		// A successful probe closes it.
		expect(breakerAfter(probing ?? undefined, 'ok', T + 31_000)).toBeNull()
	})
})

describe('ModelHealth object', () => {
	it('keeps state across isolates and through eviction (SQLite), and answers snapshots', async () => {
		const name = crypto.randomUUID()
		const a = env.MODEL_HEALTH.getByName(name) as unknown as HealthBackend
		await a.report([{ kind: 'profile', key: 'p', outcome: 'auth', message: 'invalid key' }])
		for (let i = 0; i < BREAKER_THRESHOLD; i++) {
			await a.report([{ kind: 'breaker', key: 'b', outcome: 'failure' }])
		}
		const b = env.MODEL_HEALTH.getByName(name) as unknown as HealthBackend
		const snapshot = await b.snapshot()
		expect(snapshot.profiles.p?.disabled?.reason).toBe('auth')
		expect(snapshot.breakers.b?.state).toBe('open')
		expect(await b.probe('b')).toBe(false)
		expect(await b.reset('profile', 'p')).toBe(true)
		expect(await b.reset('profile', 'p')).toBe(false)
		expect(await b.reset('breaker', 'b')).toBe(true)
		expect((await b.snapshot()).breakers.b).toBeUndefined()
		expect(await b.reset('breaker', 'b')).toBe(false)
	})
})
