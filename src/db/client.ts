// A drizzle handle over the D1 binding, made once per binding object: building one extracts the
// schema's relational config, which is not free on a hot path.
import { drizzle } from 'drizzle-orm/d1'
import * as schema from './schema'

const make = (d1: D1Database) => drizzle(d1, { schema })

export type Db = ReturnType<typeof make>

const handles = new WeakMap<D1Database, Db>()

export function database(d1: D1Database): Db {
	let db = handles.get(d1)
	if (!db) {
		db = make(d1)
		handles.set(d1, db)
	}
	return db
}
