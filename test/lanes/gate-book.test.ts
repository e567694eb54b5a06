// GateBook: the semaphore's bookkeeping, against a real SQLite storage.
import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { GateBook, GRANT_CLAIM_MS } from '../../src/lanes/gate'

async function withBook<T>(name: string, fn: (book: GateBook) => T): Promise<T> {
	return runInDurableObject(env.TENANT_GATE.getByName(name), (_instance, state) =>
		fn(new GateBook(state.storage.sql)),
	)
}

describe('GateBook', () => {
	it('grants up to the limit, then queues waiters in order', async () => {
		await withBook('book-1', (book) => {
			expect(book.acquire('a', 1_000, 2, 0).granted).toBe(true)
			expect(book.acquire('b', 1_000, 2, 0).granted).toBe(true)
			expect(book.acquire('c', 1_000, 2, 0).granted).toBe(false)
			expect(book.acquire('d', 1_000, 2, 0).granted).toBe(false)
			expect(book.snapshot().waiters).toEqual(['c', 'd'])
			// Asking again keeps a waiter's place.
			expect(book.acquire('d', 1_000, 2, 1).granted).toBe(false)
			expect(book.snapshot().waiters).toEqual(['c', 'd'])
		})
	})

	it('hands a released slot to the first waiter, who claims it', async () => {
		await withBook('book-2', (book) => {
			book.acquire('a', 1_000, 1, 0)
			book.acquire('b', 1_000, 1, 0)
			expect(book.release('a', 10)).toEqual(['b'])
			expect(book.snapshot()).toEqual({
				leases: [{ lane: 'b', expiresAt: 10 + GRANT_CLAIM_MS }],
				waiters: [],
			})
			expect(book.acquire('b', 1_000, 1, 20).granted).toBe(true)
		})
	})

	it('makes a lane that wants another turn yield to waiters (fairness)', async () => {
		await withBook('book-3', (book) => {
			book.acquire('a', 1_000, 1, 0)
			book.acquire('b', 1_000, 1, 0)
			const again = book.acquire('a', 1_000, 1, 5)
			expect(again).toEqual({ granted: false, notify: ['b'] })
			expect(book.snapshot().waiters).toEqual(['a'])
		})
	})

	it('renews a holder when nobody waits', async () => {
		await withBook('book-4', (book) => {
			book.acquire('a', 1_000, 1, 0)
			expect(book.acquire('a', 1_000, 1, 500).granted).toBe(true)
			expect(book.snapshot().leases).toEqual([{ lane: 'a', expiresAt: 1_500 }])
		})
	})

	it('frees the slot of a lane that vanished once its lease expires', async () => {
		await withBook('book-5', (book) => {
			book.acquire('ghost', 1_000, 1, 0)
			book.acquire('b', 1_000, 1, 0)
			expect(book.nextExpiry()).toBe(1_000)
			expect(book.sweep(999)).toEqual([])
			expect(book.sweep(1_000)).toEqual(['b'])
		})
	})
})
