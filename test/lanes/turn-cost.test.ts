// What a warm native turn costs its lane, counted: SQLite statements, transactions and event rows
// per turn (`POST /v1/sessions/{key}/messages` with `wait: true`, offline model). Counted by
// wrapping the storage API's prototypes for the length of the test, so the product pays nothing.
// The ceilings are today's figures (docs/performance.md, "Where a turn's time goes" counted 48, 6
// and 6 before the lane's work per turn was cut): a change that takes work away lowers them; one
// that adds work says why there.
import { env, runInDurableObject } from 'cloudflare:test'
import { afterEach, expect, it } from 'vitest'
import { postJson } from '../helpers'

const CEILING = { statements: 21, transactions: 3, events: 4 }

type Storage = { transactionSync: (fn: () => unknown) => unknown }
type Sql = { exec: (query: string, ...bindings: unknown[]) => unknown }

const restore: (() => void)[] = []
afterEach(() => {
	for (const undo of restore.splice(0)) undo()
})

/** Counts every transaction and statement of every Durable Object of this isolate from now on. */
async function countStorage() {
	const protos = await runInDurableObject(
		env.SESSION_LANE.getByName('turn-cost-probe'),
		(_i, s) => ({
			storage: Object.getPrototypeOf(s.storage) as Storage,
			sql: Object.getPrototypeOf(s.storage.sql) as Sql,
		}),
	)
	const counts = { statements: 0, transactions: 0, events: 0 }
	const { transactionSync } = protos.storage
	const { exec } = protos.sql
	protos.storage.transactionSync = function (this: unknown, fn) {
		counts.transactions++
		return transactionSync.call(this, fn)
	}
	protos.sql.exec = function (this: unknown, query, ...bindings) {
		counts.statements++
		if (/^\s*INSERT INTO events\b/.test(query)) counts.events++
		return exec.call(this, query, ...bindings)
	}
	restore.push(() => {
		protos.storage.transactionSync = transactionSync
		protos.sql.exec = exec
	})
	return counts
}

async function turn(session: string, content: string): Promise<void> {
	const res = await postJson(`/v1/sessions/${session}/messages`, { content, wait: true })
	expect(((await res.json()) as { status: string }).status).toBe('succeeded')
}

it('a warm native turn stays within its statements, transactions and events', async () => {
	const session = 'turn-cost'
	for (let i = 0; i < 3; i++) await turn(session, `warm ${i}`)
	const counts = await countStorage()
	const turns = 10
	for (let i = 0; i < turns; i++) await turn(session, `turn ${i}`)
	const perTurn = {
		statements: counts.statements / turns,
		transactions: counts.transactions / turns,
		events: counts.events / turns,
	}
	// The counting itself works (a broken wrapper would pass every ceiling with zeros).
	console.log("TURNCOST", JSON.stringify(perTurn))
	expect(perTurn.transactions).toBeGreaterThan(0)
	expect(perTurn.events).toBeGreaterThan(0)
	expect(perTurn.statements).toBeGreaterThan(perTurn.events)
	expect(perTurn.statements).toBeLessThanOrEqual(CEILING.statements)
	expect(perTurn.transactions).toBeLessThanOrEqual(CEILING.transactions)
	expect(perTurn.events).toBeLessThanOrEqual(CEILING.events)
})
