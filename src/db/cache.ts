// A small read-through cache for configuration read on the hot path (agents, tenant settings):
// each isolate keeps entries for a short TTL, so a warm Worker does no D1 read per request.
// Writes made through this isolate invalidate at once; other isolates catch up within the TTL.
// Concurrent misses of one key share one load (a burst on a cold isolate is one D1 read).

export class TtlCache<V> {
	readonly #ttlMs: number
	readonly #max: number
	readonly #entries = new Map<string, { value: V; at: number }>()
	readonly #loading = new Map<string, Promise<V>>()

	constructor(ttlMs: number, maxEntries = 5_000) {
		this.#ttlMs = ttlMs
		this.#max = maxEntries
	}

	async get(key: string, load: () => Promise<V>, now: number = Date.now()): Promise<V> {
		const hit = this.#entries.get(key)
		if (hit && now - hit.at < this.#ttlMs) return hit.value
		const loading = this.#loading.get(key)
		if (loading) return loading
		const load_ = load().then(
			(value) => {
				// A delete while loading dropped this load: its value may predate the write.
				if (this.#loading.get(key) === load_) {
					this.#loading.delete(key)
					this.put(key, value, now)
				}
				return value
			},
			(error: unknown) => {
				if (this.#loading.get(key) === load_) this.#loading.delete(key)
				throw error
			},
		)
		this.#loading.set(key, load_)
		return load_
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
		this.#loading.delete(key)
	}
}
