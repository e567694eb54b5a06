// What a warm native turn costs its lane, counted: SQLite statements, transactions and event rows
// per turn (`POST /v1/sessions/{key}/messages` with `wait: true`, offline model); and what a tool
// call run as a job (through the real queue) costs beyond one run in the lane. Counted by
// wrapping the storage API's prototypes for the length of the test, so the product pays nothing.
// The ceilings are today's figures (docs/performance.md, "Where a turn's time goes" counted 48, 6
// and 6 before the lane's work per turn was cut): a change that takes work away lowers them; one
// that adds work says why there.
import { env, runInDurableObject } from 'cloudflare:test'
import { afterEach, expect, it } from 'vitest'
import { createAgent, postJson } from '../helpers'

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

async function turn(session: string, content: string, agent?: string): Promise<void> {
	const res = await postJson(`/v1/sessions/${session}/messages`, {
		...(agent && { agent }),
		content,
		wait: true,
	})
	expect(((await res.json()) as { status: string }).status).toBe('succeeded')
}

/** Storage work per turn of `turns` warm turns sending `content` to `agent` in `session`. */
async function perTurn(session: string, content: string, agent: string, turns = 5) {
	for (let i = 0; i < 2; i++) await turn(session, content, agent)
	const counts = await countStorage()
	for (let i = 0; i < turns; i++) await turn(session, content, agent)
	for (const undo of restore.splice(0)) undo()
	return { statements: counts.statements / turns, transactions: counts.transactions / turns }
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
	expect(perTurn.transactions).toBeGreaterThan(0)
	expect(perTurn.events).toBeGreaterThan(0)
	expect(perTurn.statements).toBeGreaterThan(perTurn.events)
	expect(perTurn.statements).toBeLessThanOrEqual(CEILING.statements)
	expect(perTurn.transactions).toBeLessThanOrEqual(CEILING.transactions)
	expect(perTurn.events).toBeLessThanOrEqual(CEILING.events)
})

it('a tool call run as a job costs its lane one transaction and one statement more than a lane tool', async () => {
	await createAgent(env.DB, 'turn-cost-coder', { tools: { profile: 'coding' } })
	const lane = await perTurn('turn-cost-lane-tool', '/tool time_now {}', 'turn-cost-coder')
	const job = await perTurn(
		'turn-cost-job-tool',
		'/tool run_js {"code":"return 1"}',
		'turn-cost-coder',
	)
	expect(lane.transactions).toBeGreaterThan(0)
	// The job's row, written once when it settles; the claim is answered from memory. Before open
	// jobs were held there a job took three transactions and four statements more.
	expect(job.transactions).toBeLessThanOrEqual(lane.transactions + 1)
	expect(job.statements).toBeLessThanOrEqual(lane.statements + 1)
})
