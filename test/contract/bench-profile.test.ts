// The bench's per-turn accounting (bench/profile.mjs, bench/cpu-profile.mjs) and the capacity
// phase's verdict (bench/capacity.mjs): pure logic, tested here because this suite runs in Node.
// The spans are made up in the shape `wrangler dev`'s local trace store gives them.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { firstToGrow } from '../../bench/capacity.mjs'
import { areaOf } from '../../bench/cpu-profile.mjs'
import { methodOwners, turnCost } from '../../bench/profile.mjs'

const owners = methodOwners(join(import.meta.dirname, '..', '..'))

type Span = { id: string; parent: string | null; name: string; kind: string; attrs: object }
const exec = (id: string, parent: string, text: string, written = 0): Span => ({
	id,
	parent,
	name: 'durable_object_storage_exec',
	kind: 'do',
	attrs: {
		'db.query.text': text,
		'cloudflare.durable_object.response.rows_written': written,
	},
})

/** One request: the Worker's fetch → a lane's `send` (its statements) → the gate's `acquire`. */
const oneTurn = (n: string): Span[] => [
	{ id: `${n}root`, parent: null, name: 'POST', kind: 'http', attrs: {} },
	{ id: `${n}d1`, parent: `${n}root`, name: 'd1_all', kind: 'd1', attrs: {} },
	{
		id: `${n}call`,
		parent: `${n}root`,
		name: 'jsRpcCall',
		kind: 'span',
		attrs: { 'jsrpc.method': 'send', 'jsrpc.target_kind': 'durable_object' },
	},
	{
		id: `${n}send`,
		parent: `${n}call`,
		name: 'jsrpc',
		kind: 'jsrpc',
		attrs: { 'jsrpc.method': 'send' },
	},
	exec(`${n}s1`, `${n}send`, 'SELECT * FROM runs WHERE id = ?'),
	exec(`${n}s2`, `${n}send`, 'INSERT INTO events (ts, type) VALUES (?, ?)', 1),
	exec(`${n}s3`, `${n}send`, 'INSERT INTO events (ts, type) VALUES (?, ?)', 1),
	{
		id: `${n}gcall`,
		parent: `${n}send`,
		name: 'jsRpcCall',
		kind: 'span',
		attrs: { 'jsrpc.method': 'acquire' },
	},
	{
		id: `${n}gate`,
		parent: `${n}gcall`,
		name: 'jsrpc',
		kind: 'jsrpc',
		attrs: { 'jsrpc.method': 'acquire' },
	},
	exec(`${n}g1`, `${n}gate`, 'UPDATE slots SET n = n + 1', 1),
	// The callee's side of the RPC names its caller: not counted as a call.
	{
		id: `${n}gcallee`,
		parent: `${n}gate`,
		name: 'jsRpcCall',
		kind: 'span',
		attrs: { 'jsrpc.method': 'acquire', 'jsrpc.caller_span_id': `${n}gcall` },
	},
]

describe('bench profile: a turn counted from its spans', () => {
	it('reads which class serves each RPC method from durable-objects/', () => {
		expect(owners.get('send')).toBe('SessionLane')
		expect(owners.get('acquire')).toBe('TenantGate')
		expect(owners.get('append')).toBe('AuditChain')
		expect(owners.get('snapshot')).toBe('ModelHealth')
		// Methods two classes have say nothing about which one ran.
		expect(owners.has('alarm')).toBe(false)
	})

	it('charges every span to the object whose invocation it ran in, per turn', () => {
		const cost = turnCost('native', 2, [...oneTurn('a'), ...oneTurn('b')], owners)
		expect(cost.objects.SessionLane).toMatchObject({
			invocations: 1,
			statements: 3,
			writes: 2,
			events: 2,
		})
		expect(cost.objects.TenantGate).toMatchObject({ invocations: 1, statements: 1, writes: 1 })
		expect(cost.objects.Worker).toMatchObject({ invocations: 1, statements: 0 })
		expect(cost.d1.queries).toBe(1)
		expect(cost.rpc).toEqual({
			'Worker → SessionLane.send': 1,
			'SessionLane → TenantGate.acquire': 1,
		})
		expect(cost.statements).toBe(4)
		expect(cost.events).toBe(2)
	})

	it('names an alarm by the tables its statements touch, and survives a parent not yet stored', () => {
		const spans: Span[] = [
			{ id: 'al', parent: null, name: 'alarm', kind: 'alarm', attrs: {} },
			exec('x1', 'al', 'SELECT * FROM deliveries WHERE status = ?'),
			// Its invocation span is not in the store yet: the topmost stored ancestor stands in.
			{
				id: 'orphan',
				parent: 'missing',
				name: 'jsRpcCall',
				kind: 'span',
				attrs: { 'jsrpc.method': 'destroy', 'jsrpc.caller_span_id': 'elsewhere' },
			},
			exec('x2', 'orphan', 'DELETE FROM subagents'),
		]
		const cost = turnCost('alarm', 1, spans, owners)
		expect(cost.objects.SessionLane?.statements).toBe(2)
		expect(cost.objects.Worker).toBeUndefined()
	})
})

describe('bench profile: CPU areas', () => {
	it('groups source files by area', () => {
		expect(areaOf('../../src/lanes/turn.ts')).toBe('src/lanes')
		expect(areaOf('../../durable-objects/session-lane.ts')).toBe('durable-objects')
		expect(areaOf('../node_modules/hono/dist/hono-base.js')).toBe('hono')
		expect(areaOf('../node_modules/@ai-sdk/openai/dist/index.mjs')).toBe('AI SDK')
		expect(areaOf('../node_modules/src/sqlite-core/dialect.ts')).toBe('drizzle-orm')
		expect(areaOf('../../src/index.ts')).toBe('src (top level)')
	})
})

describe('bench capacity: which wait grew first', () => {
	const step = (
		rate: number,
		worker: number,
		d1: number,
		gated: number,
		open: number,
		done = rate,
	) => ({
		rate,
		sent: rate,
		done,
		errors: 0,
		seconds: 1,
		gated: [gated, gated, gated],
		open: [open, open, open],
		probes: {
			worker: [worker, worker],
			D1: [d1, d1],
			lane: [1, 1],
			'audit chain': [1, 1],
			'model health': [1, 1],
		},
	})

	it('names the first step where a kind doubled by at least 5 ms, largest growth first', () => {
		const verdict = firstToGrow([
			step(10, 4, 2, 10, 9),
			step(20, 5, 3, 11, 9),
			step(40, 30, 12, 30, 10),
		])
		expect(verdict?.rate).toBe(40)
		expect(verdict?.saturated).toBe(false)
		expect(verdict?.grown.map((g) => g.name)).toEqual(['worker', 'tenant gate', 'D1'])
	})

	it('says so when the first growth came only once the loop fell behind', () => {
		const verdict = firstToGrow([step(10, 4, 2, 10, 9), step(20, 300, 900, 10, 9, 12)])
		expect(verdict?.saturated).toBe(true)
		expect(verdict?.grown.map((g) => g.name)).toEqual(['D1', 'worker'])
	})

	it('says nothing grew when nothing doubled by 5 ms', () => {
		expect(firstToGrow([step(10, 4, 2, 10, 9), step(20, 7, 3, 11, 9)])).toBeNull()
	})
})
