// A small read-through cache for configuration read on the hot path (agents, tenant settings):
// each isolate keeps entries for a short TTL, so a warm Worker does no D1 read per request.
// Writes made through this isolate invalidate at once; other isolates catch up within the TTL.

export class TtlCache<V> {
	readonly #ttlMs: number
	readonly #max: number
	readonly #entries = new Map<string, { value: V; at: number }>()

	constructor(ttlMs: number, maxEntries = 5_000) {
		this.#ttlMs = ttlMs
		this.#max = maxEntries
	}

	async get(key: string, load: () => Promise<V>, now: number = Date.now()): Promise<V> {
		const hit = this.#entries.get(key)
		if (hit && now - hit.at < this.#ttlMs) return hit.value
		const value = await load()
		if (!hit && this.#entries.size >= this.#max) {
			this.#entries.delete(this.#entries.keys().next().value as string)
		}
		this.#entries.set(key, { value, at: now })
		return value
	}

	/** The value while it is fresh, without loading. */
	peek(key: string, now: number = Date.now()): V | undefined {
		const hit = this.#entries.get(key)
		return hit && now - hit.at < this.#ttlMs ? hit.value : undefined
	}

	put(key: string, value: V, now: number = Date.now()): void {
		if (!this.#entries.has(key) && this.#entries.size >= this.#max) {
			this.#entries.delete(this.#entries.keys().next().value as string)
		}
		this.#entries.set(key, { value, at: now })
	}

	delete(key: string): void {
		this.#entries.delete(key)
	}
}
