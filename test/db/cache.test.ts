// The read-through cache under concurrency: misses of one key share one load, a failed load is not
// kept, and a delete while loading keeps that load's (possibly stale) value out of the cache.
import { describe, expect, it } from 'vitest'
import { TtlCache } from '../../src/db/cache'

function deferred<T>() {
	let resolve!: (value: T) => void
	let reject!: (error: unknown) => void
	const promise = new Promise<T>((res, rej) => {
		resolve = res
		reject = rej
	})
	return { promise, resolve, reject }
}

describe('TtlCache', () => {
	it('shares one load among concurrent misses of a key', async () => {
		const cache = new TtlCache<string>(60_000)
		let loads = 0
		const gate = deferred<string>()
		const load = () => {
			loads++
			return gate.promise
		}
		const all = Promise.all([cache.get('t', load), cache.get('t', load), cache.get('t', load)])
		gate.resolve('v1')
		expect(await all).toEqual(['v1', 'v1', 'v1'])
		expect(loads).toBe(1)
		expect(await cache.get('t', load)).toBe('v1')
		expect(loads).toBe(1)
	})

	it('keeps no failed load: the next get loads again', async () => {
		const cache = new TtlCache<string>(60_000)
		await expect(cache.get('t', () => Promise.reject(new Error('D1 down')))).rejects.toThrow(
			'D1 down',
		)
		expect(await cache.get('t', async () => 'v2')).toBe('v2')
	})

	it('drops a load that a delete overtook', async () => {
		const cache = new TtlCache<string>(60_000)
		const gate = deferred<string>()
		const stale = cache.get('t', () => gate.promise)
		cache.delete('t')
		gate.resolve('before the write')
		expect(await stale).toBe('before the write')
		expect(cache.peek('t')).toBeUndefined()
		expect(await cache.get('t', async () => 'after the write')).toBe('after the write')
	})
})
