// The `profile` phase: what one turn costs, counted rather than timed. A second instance of the
// product runs with `wrangler dev`'s local traces on (X_LOCAL_OBSERVABILITY: every SQLite
// statement, D1 query, RPC, alarm and storage call of every invocation becomes a span, queryable
// in SQL); per kind of turn the phase counts spans per turn by the object they ran in. The
// product itself pays nothing: the counting is the runtime's. CPU comes from a V8 CPU profile of
// the main instance (traces off) over the inspector, attributed to source files by the bundle's
// source map (bench/cpu-profile.mjs).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { bundleSourceMap, cpuByArea, cpuProfile, cpuTable } from './cpu-profile.mjs'
import { grid, pool, startProduct } from './lib.mjs'

/** The kinds of turn profiled; `request(i)` sends the i-th (each waits for its answer). */
export const TURN_KINDS = /** @type {const} */ ([
	'native',
	'native.spread',
	'native.capped',
	'openai.user',
	'openai.anon',
])

/** The tenant with a turn cap whose turns `native.capped` sends (the traced instance has it). */
export const CAPPED_TENANT = 'profile-capped'

/** Kinds that only the traced instance serves: a session per turn, or a tenant of their own. */
const COUNT_ONLY = ['native.spread', 'native.capped']

/**
 * Requests of one kind of turn against `url`: the native turn with `wait: true` across
 * `sessions` warm sessions, and each in a session of its own (`native.spread`: what a session's
 * coalesced writes — its D1 index row, its usage — cost when no other turn of it shares them); the
 * native turn in a tenant with a cap (`native.capped`: its turns take and give back a slot at the
 * tenant's TenantGate); the OpenAI-compatible turn with `user` (a session per user) and without
 * (a throwaway session per request).
 * @param {string} url @param {Record<string, string>} auth @param {string} tag
 * @returns {Record<(typeof TURN_KINDS)[number], (i: number) => Promise<boolean>>}
 */
export function turnRequests(url, auth, tag, sessions = 4) {
	const headers = { ...auth, 'content-type': 'application/json' }
	/** @param {string} path @param {object} body @param {(b: any) => boolean} ok */
	const post = async (path, body, ok, tenant = {}) => {
		const res = await fetch(`${url}${path}`, {
			method: 'POST',
			headers: { ...headers, ...tenant },
			body: JSON.stringify(body),
		})
		const text = await res.text()
		return res.ok && ok(JSON.parse(text))
	}
	/** @param {any} b */
	const chatOk = (b) => String(b.choices?.[0]?.message?.content).startsWith('echo: ')
	return {
		native: (i) =>
			post(
				`/v1/sessions/${tag}-n${i % sessions}/messages`,
				{ content: `turn ${i}`, wait: true },
				(b) => b.status === 'succeeded',
			),
		'native.spread': (i) =>
			post(
				`/v1/sessions/${tag}-s${i}/messages`,
				{ content: `turn ${i}`, wait: true },
				(b) => b.status === 'succeeded',
			),
		'native.capped': (i) =>
			post(
				`/v1/sessions/${tag}-c${i % sessions}/messages`,
				{ content: `turn ${i}`, wait: true },
				(b) => b.status === 'succeeded',
				{ 'x-edgeclaw-tenant': CAPPED_TENANT },
			),
		'openai.user': (i) =>
			post(
				'/v1/chat/completions',
				{
					model: 'edgeclaw/main',
					user: `${tag}-u${i % sessions}`,
					messages: [{ role: 'user', content: `turn ${i}` }],
				},
				chatOk,
			),
		'openai.anon': (i) =>
			post(
				'/v1/chat/completions',
				{ model: 'edgeclaw/main', messages: [{ role: 'user', content: `turn ${i}` }] },
				chatOk,
			),
	}
}

/**
 * Which Durable Object class serves each RPC method, read from the classes' files (a method two
 * classes share, such as `alarm`, is left out and named by the spans' tables instead).
 * @param {string} root the repository
 * @returns {Map<string, string>}
 */
export function methodOwners(root) {
	/** @type {Map<string, Set<string>>} */
	const owners = new Map()
	const dir = join(root, 'durable-objects')
	for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
		const source = readFileSync(join(dir, file), 'utf8')
		const cls = /export class (\w+)/.exec(source)?.[1]
		if (!cls) continue
		for (const m of source.matchAll(/^\t(?:override )?(?:async )?([a-zA-Z]+)(?:<[^>]*>)?\(/gm)) {
			const name = m[1] ?? ''
			if (name === 'constructor') continue
			owners.set(name, (owners.get(name) ?? new Set()).add(cls))
		}
	}
	return new Map(
		[...owners].filter(([, set]) => set.size === 1).map(([name, set]) => [name, [...set][0] ?? '']),
	)
}

/** Tables that name the object a statement ran in when its invocation does not. */
const TABLE_OWNERS = /** @type {const} */ ([
	[
		/\b(runs|events|messages|relays|deliveries|approvals|announces|tool_jobs|subagent)/,
		'SessionLane',
	],
	[/\bslots\b|\bwaiters\b/, 'TenantGate'],
	[/\bhealth\b/, 'ModelHealth'],
	[/\bcheckpoints\b|\bhead\b/, 'AuditChain'],
	[/\bfires\b|\bslot\b/, 'ScheduleTimer'],
])

/**
 * @typedef {{ id: string, parent: string | null, name: string, kind: string, attrs: Record<string, any> }} Span
 * @typedef {{ statements: number, writes: number, events: number, kvOps: number, alarmOps: number, invocations: number }} ObjectCost
 * @typedef {{ kind: string, turns: number, objects: Record<string, ObjectCost>, d1: { queries: number, writes: number, batches: number }, rpc: Record<string, number>, rpcTotal: number, statements: number, events: number, texts: Record<string, number> }} TurnCost
 */

/**
 * Per-turn counts from the spans of `turns` turns: every span is charged to the invocation it
 * ran in (the Worker's request, a queue batch, or a Durable Object's RPC, alarm or fetch).
 * @param {string} kind @param {number} turns @param {Span[]} spans @param {Map<string, string>} owners
 * @returns {TurnCost}
 */
export function turnCost(kind, turns, spans, owners) {
	const byId = new Map(spans.map((s) => [s.id, s]))
	/**
	 * The invocation span a span ran in: its nearest ancestor that is an RPC's or a root; when
	 * the chain breaks (a parent not stored yet), the topmost ancestor stored.
	 * @param {Span} s
	 */
	const invocationOf = (s) => {
		let at = s
		for (;;) {
			if (at.kind === 'jsrpc' || at.parent === null) return at
			const up = byId.get(at.parent)
			if (!up) return at
			at = up
		}
	}
	/** @type {Map<string, Span[]>} */
	const children = new Map()
	for (const s of spans) {
		const inv = invocationOf(s)
		children.set(inv.id, [...(children.get(inv.id) ?? []), s])
	}
	/** @param {Span} inv */
	const objectOf = (inv) => {
		const method = inv.attrs['jsrpc.method']
		if (method !== undefined && inv.attrs['jsrpc.target_kind'] !== 'entrypoint') {
			const owner = owners.get(String(method))
			if (owner) return owner
		} else if (inv.parent === null && inv.kind === 'http') return 'Worker'
		else if (inv.parent === null && ['queue', 'scheduled'].includes(inv.name))
			return `Worker (${inv.name})`
		for (const s of children.get(inv.id) ?? []) {
			const text = String(s.attrs['db.query.text'] ?? '')
			for (const [re, owner] of TABLE_OWNERS) if (re.test(text)) return owner
		}
		return inv.kind === 'jsrpc' ? `RPC ${inv.attrs['jsrpc.method']}` : `(${inv.name})`
	}
	/** @type {Record<string, ObjectCost>} */
	const objects = {}
	const cost = (/** @type {string} */ o) => {
		objects[o] ??= { statements: 0, writes: 0, events: 0, kvOps: 0, alarmOps: 0, invocations: 0 }
		return objects[o]
	}
	const d1 = { queries: 0, writes: 0, batches: 0 }
	/** @type {Record<string, number>} */
	const rpc = {}
	/** Statements by object and text (whitespace folded, cut at 72 characters). @type {Record<string, number>} */
	const texts = {}
	const noteText = (/** @type {string} */ where, /** @type {string} */ text) => {
		const key = `${where}: ${text.replace(/\s+/g, ' ').trim().slice(0, 72)}`
		texts[key] = (texts[key] ?? 0) + 1
	}
	const invocations = spans.filter((s) => invocationOf(s) === s)
	const objectOfInvocation = new Map(invocations.map((inv) => [inv.id, objectOf(inv)]))
	for (const inv of invocations) cost(objectOfInvocation.get(inv.id) ?? '?').invocations++
	for (const s of spans) {
		const here = objectOfInvocation.get(invocationOf(s).id) ?? '?'
		const c = cost(here)
		const text = String(s.attrs['db.query.text'] ?? '')
		if (s.name === 'durable_object_storage_exec') {
			c.statements++
			noteText(here, text)
			if (Number(s.attrs['cloudflare.durable_object.response.rows_written'] ?? 0) > 0) c.writes++
			if (/^\s*INSERT INTO events\b/i.test(text)) c.events++
		} else if (s.name.startsWith('durable_object_storage_kv')) c.kvOps++
		else if (/^durable_object_storage_(get|set|delete)Alarm$/.test(s.name)) c.alarmOps++
		else if (s.name.startsWith('d1_')) {
			if (s.name === 'd1_batch') d1.batches++
			else d1.queries++
			noteText('D1', text || s.name)
			// A batch's span may carry no row counts: its statements' text says whether it writes.
			if (
				Number(s.attrs['cloudflare.d1.response.rows_written'] ?? 0) > 0 ||
				/^\s*(insert|update|delete|replace)\b/i.test(text)
			)
				d1.writes++
		} else if (s.name === 'jsRpcCall' && s.attrs['jsrpc.caller_span_id'] === undefined) {
			// The caller's side of an RPC (the callee's side names its caller).
			const method = String(s.attrs['jsrpc.method'] ?? '?')
			const to =
				owners.get(method) ?? (s.attrs['jsrpc.target_kind'] === 'entrypoint' ? 'Worker' : '?')
			const key = `${here} → ${to}.${method}`
			rpc[key] = (rpc[key] ?? 0) + 1
		}
	}
	const per = (/** @type {number} */ n) => n / turns
	for (const c of Object.values(objects))
		for (const k of /** @type {(keyof ObjectCost)[]} */ (Object.keys(c))) c[k] = per(c[k])
	for (const k of Object.keys(rpc)) rpc[k] = per(rpc[k] ?? 0)
	for (const k of Object.keys(texts)) texts[k] = per(texts[k] ?? 0)
	return {
		kind,
		turns,
		objects,
		d1: { queries: per(d1.queries), writes: per(d1.writes), batches: per(d1.batches) },
		rpc,
		rpcTotal: Object.values(rpc).reduce((a, b) => a + b, 0),
		statements: Object.values(objects).reduce((a, c) => a + c.statements, 0),
		events: Object.values(objects).reduce((a, c) => a + c.events, 0),
		texts,
	}
}

/**
 * Runs the phase: starts the traced instance, warms every kind of turn, then per kind clears the
 * traces, runs `turns` turns one at a time, waits `settleMs` for the deferred work (usage and
 * session-index flushes are at most every 5 s per lane) and charges every span to the turns.
 * @param {{ cwd: string, state: string, token: string, turns: number, settleMs?: number }} o
 */
export async function profileCounts({ cwd, state, token, turns, settleMs = 6_000 }) {
	const traced = await startProduct({
		cwd,
		state: join(state, 'edgeclaw-traced'),
		env: { X_LOCAL_OBSERVABILITY: 'true' },
		vars: {
			EDGECLAW_LOG_LEVEL: 'warn',
			EDGECLAW_RATE_LIMITS: 'disabled',
			EDGECLAW_ADMIN_TOKEN: token,
		},
	})
	const explorer = `${traced.url}/cdn-cgi/local/explorer/api/local/observability`
	try {
		const owners = methodOwners(cwd)
		await cappedTenant(traced.url, token)
		const requests = turnRequests(traced.url, { authorization: `Bearer ${token}` }, 'profile')
		// Warm every session a kind will use (a spread turn's session too: its object exists).
		for (const kind of TURN_KINDS)
			for (let i = 0; i < (kind === 'native.spread' ? turns : 8); i++)
				if (!(await requests[kind](i))) throw new Error(`profile: warm-up ${kind} failed`)
		await new Promise((r) => setTimeout(r, settleMs))
		/** @type {TurnCost[]} */
		const costs = []
		for (const kind of TURN_KINDS) {
			await (await fetch(`${explorer}/clear`, { method: 'POST' })).arrayBuffer()
			const ok = await pool(turns, 1, (i) => requests[kind](i))
			if (ok.some((x) => !x)) throw new Error(`profile: a ${kind} turn failed`)
			await new Promise((r) => setTimeout(r, settleMs))
			costs.push(turnCost(kind, turns, await spansOf(explorer), owners))
		}
		return costs
	} finally {
		await traced.stop()
	}
}

/**
 * Creates CAPPED_TENANT with the offline agent `main` and a cap far above what it reaches.
 * @param {string} url @param {string} token
 */
async function cappedTenant(url, token) {
	const admin = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
	/** @param {string} method @param {string} path @param {object} body @param {Record<string, string>} [extra] */
	const send = async (method, path, body, extra = {}) => {
		const res = await fetch(`${url}${path}`, {
			method,
			headers: { ...admin, ...extra },
			body: JSON.stringify(body),
		})
		if (!res.ok) throw new Error(`profile: ${method} ${path}: ${res.status} ${await res.text()}`)
	}
	await send('POST', '/v1/tenants', { id: CAPPED_TENANT, name: CAPPED_TENANT })
	await send(
		'POST',
		'/v1/agents',
		{ id: 'main', name: 'main', config: { model: { primary: 'offline:echo' } } },
		{ 'x-edgeclaw-tenant': CAPPED_TENANT },
	)
	await send('PATCH', `/v1/tenants/${CAPPED_TENANT}`, { settings: { maxConcurrentRuns: 10_000 } })
}

/** Every span in the local trace store. @param {string} explorer @returns {Promise<Span[]>} */
async function spansOf(explorer) {
	const res = await fetch(`${explorer}/query`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({
			sql: 'SELECT span_id, parent_id, name, kind, json(attributes) FROM spans ORDER BY start_ms',
		}),
	})
	const body = /** @type {any} */ (await res.json())
	if (!body.success) throw new Error(`trace store: ${JSON.stringify(body.errors)}`)
	const rows = /** @type {[string, string | null, string, string, string | null][]} */ (
		body.result.rows
	)
	if (rows.length >= 10_000)
		throw new Error('trace store: 10,000 rows (its cap); profile fewer turns')
	return rows.map(([id, parent, name, kind, attrs]) => ({
		id,
		parent,
		name,
		kind,
		attrs: attrs ? JSON.parse(attrs) : {},
	}))
}

const fmt = (/** @type {number} */ n) => (n === 0 ? '·' : n.toFixed(n >= 10 ? 0 : 1))

/**
 * The counts as text: objects × kinds of turn, the RPCs, and the most frequent statements.
 * @param {TurnCost[]} costs
 */
export function profileCountsTable(costs, statements = 20) {
	const objects = [...new Set(costs.flatMap((c) => Object.keys(c.objects)))].sort()
	const rows = []
	for (const o of objects) {
		for (const field of /** @type {const} */ ([
			'invocations',
			'statements',
			'writes',
			'events',
			'kvOps',
			'alarmOps',
		])) {
			const values = costs.map((c) => c.objects[o]?.[field] ?? 0)
			if (values.some((v) => v > 0)) rows.push([o, field, ...values.map(fmt)])
		}
	}
	rows.push(['D1', 'queries', ...costs.map((c) => fmt(c.d1.queries))])
	rows.push(['D1', 'batches', ...costs.map((c) => fmt(c.d1.batches))])
	rows.push(['D1', 'writing calls', ...costs.map((c) => fmt(c.d1.writes))])
	rows.push(['all', 'SQLite statements', ...costs.map((c) => fmt(c.statements))])
	rows.push(['all', 'events written', ...costs.map((c) => fmt(c.events))])
	rows.push(['all', 'RPC calls', ...costs.map((c) => fmt(c.rpcTotal))])
	const header = ['object', 'per turn', ...costs.map((c) => c.kind)]
	const rpcs = [...new Set(costs.flatMap((c) => Object.keys(c.rpc)))].sort()
	const rpcRows = rpcs.map((r) => [r, ...costs.map((c) => fmt(c.rpc[r] ?? 0))])
	/** The most frequent statements whose key passes `keep`, as rows. @param {(t: string) => boolean} keep @param {number} n */
	const top = (keep, n) =>
		[...new Set(costs.flatMap((c) => Object.keys(c.texts)))]
			.filter(keep)
			.map((t) => ({ t, sum: costs.reduce((a, c) => a + (c.texts[t] ?? 0), 0) }))
			.sort((a, b) => b.sum - a.sum)
			.slice(0, n)
			.map(({ t }) => [t, ...costs.map((c) => fmt(c.texts[t] ?? 0))])
	const kinds = costs.map((c) => c.kind)
	const isD1 = (/** @type {string} */ t) => t.startsWith('D1: ')
	return [
		grid(header, rows),
		grid(['RPC (caller → callee.method)', ...kinds], rpcRows),
		grid(
			[`top ${statements} SQLite statements (object: text)`, ...kinds],
			top((t) => !isD1(t), statements),
		),
		grid(['D1 queries', ...kinds], top(isD1, 12)),
	].join('\n\n')
}

/**
 * The whole phase: CPU of each kind of turn on the running product (`product`, traces off), then
 * the counts on a traced instance of its own.
 * @param {{ cwd: string, state: string, token: string, product: import('./lib.mjs').RunningWorker, turns: number, cpuTurns: number }} o
 */
export async function profilePhase(o) {
	const requests = turnRequests(o.product.url, { authorization: `Bearer ${o.token}` }, 'cpu')
	const map = bundleSourceMap(o.cwd)
	const cpu = []
	// A spread turn's session would be new to this instance (openai.anon's case); the capped
	// tenant exists on the traced instance only.
	for (const kind of TURN_KINDS.filter((k) => !COUNT_ONLY.includes(k))) {
		for (let i = 0; i < 10; i++) await requests[kind](i)
		let failed = 0
		const profile = await cpuProfile(o.product.inspector, async () => {
			for (let i = 0; i < o.cpuTurns; i++) if (!(await requests[kind](i))) failed++
		})
		if (failed > 0) throw new Error(`profile: ${failed} ${kind} turns failed`)
		cpu.push({ kind, turns: o.cpuTurns, cpu: cpuByArea(profile, map) })
	}
	const counts = await profileCounts(o)
	return { cpu, counts }
}

/** @param {Awaited<ReturnType<typeof profilePhase>>} p */
export function profileReport(p) {
	return [
		`\nprofile: one turn, counted (local traces, ${p.counts[0]?.turns ?? 0} turns of each kind one at a time, deferred work included)\n`,
		profileCountsTable(p.counts),
		`\nprofile: CPU self time of the Worker's isolate (every object of the Worker runs in it), ${p.cpu[0]?.turns ?? 0} turns of each kind\n`,
		cpuTable(p.cpu),
	].join('\n')
}
