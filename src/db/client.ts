// A drizzle handle over the D1 binding. Cheap to create; make one per request or per job.
import { drizzle } from 'drizzle-orm/d1'
import * as schema from './schema'

export type Db = ReturnType<typeof database>

export const database = (d1: D1Database) => drizzle(d1, { schema })
