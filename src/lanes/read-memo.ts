// Reads a lane repeats between its own writes: after every commit the lane asks when its outbox,
// its announces and its children's cancellations are next due (its alarm), about five statements
// whose answers change only when those tables are written. The lane is its storage's only
// writer, so the answers are kept until one of those stores runs any statement but a SELECT, a
// transaction rolls back, or the storage is wiped.

const READ = /^\s*SELECT\b/i

export class ReadMemo {
	readonly #values = new Map<string, unknown>()

	/** `read()`'s answer, read once until the next write (or clear). */
	get<T>(key: string, read: () => T): T {
		if (this.#values.has(key)) return this.#values.get(key) as T
		const value = read()
		this.#values.set(key, value)
		return value
	}

	clear(): void {
		this.#values.clear()
	}

	/**
	 * A due time for the alarm, kept like `get`: `query` selects `min(…) AS at` (Infinity when
	 * there is none).
	 */
	dueAt(key: string, sql: SqlStorage, query: string): number {
		return this.get(
			key,
			() => sql.exec<{ at: number | null }>(query).one().at ?? Number.POSITIVE_INFINITY,
		)
	}

	/** `sql` for the stores whose reads this keeps: any statement but a SELECT clears it first. */
	watch(sql: SqlStorage): SqlStorage {
		const exec = <T extends Record<string, SqlStorageValue>>(
			query: string,
			...bindings: unknown[]
		): SqlStorageCursor<T> => {
			if (!READ.test(query)) this.clear()
			return sql.exec<T>(query, ...bindings)
		}
		// The stores call `exec` only.
		return { exec } as unknown as SqlStorage
	}
}
