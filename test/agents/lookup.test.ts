// The agent lookup of the hot path (src/agents/lookup.ts): on a cold isolate a burst of requests
// for one agent makes one D1 read, and a write's invalidation makes the next lookup read again.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { invalidateAgent, resolveAgent } from '../../src/agents/lookup'
import { database } from '../../src/db/client'
import { createAgent } from '../helpers'

/** The D1 binding, counting the statements prepared on it (each read prepares one). */
function countingD1(d1: D1Database) {
	const counted = { statements: 0 }
	const proxy = new Proxy(d1, {
		get(target, prop) {
			const value = Reflect.get(target, prop, target)
			if (prop === 'prepare') {
				return (sql: string) => {
					counted.statements++
					return target.prepare(sql)
				}
			}
			return typeof value === 'function' ? value.bind(target) : value
		},
	})
	return { d1: proxy, counted }
}

describe('agent lookup', () => {
	it('resolves a burst of concurrent first lookups with one D1 read', async () => {
		await createAgent(env.DB, 'burst-agent', { instructions: 'x' })
		const { d1, counted } = countingD1(env.DB)
		const db = database(d1)
		const found = await Promise.all(
			Array.from({ length: 25 }, () => resolveAgent(db, 'default', 'burst-agent')),
		)
		expect(new Set(found.map((a) => a?.id))).toEqual(new Set(['burst-agent']))
		expect(counted.statements).toBe(1)
		// Warm: no read at all.
		await resolveAgent(db, 'default', 'burst-agent')
		expect(counted.statements).toBe(1)
		// A write through this isolate drops the entry: the next lookup reads again, once.
		invalidateAgent('default', 'burst-agent')
		await Promise.all([
			resolveAgent(db, 'default', 'burst-agent'),
			resolveAgent(db, 'default', 'burst-agent'),
		])
		expect(counted.statements).toBe(2)
	})

	it('shares one read for an agent that does not exist, and keeps its absence', async () => {
		const { d1, counted } = countingD1(env.DB)
		const db = database(d1)
		const found = await Promise.all(
			Array.from({ length: 10 }, () => resolveAgent(db, 'default', 'no-such-agent')),
		)
		expect(found.every((a) => a === null)).toBe(true)
		expect(counted.statements).toBe(1)
	})
})
