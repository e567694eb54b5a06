// The `capacity` phase: many tenants and sessions at once, an open loop of native turns at rising
// rates, and while it runs one probe per kind of object, each a cheap request whose server side
// crosses mainly that object: which object's wait grows first. Half the tenants have a turn cap
// (maxConcurrentRuns, set far above what they reach), so their turns take and give back a slot at
// their TenantGate; the other half skip the gate: the gap between the two is the gate's share.
// Locally every object shares one workerd thread: a figure here says where a turn's work queues on
// one machine, not what each object sustains on Cloudflare (docs/capacity.md).
import { performance } from 'node:perf_hooks'
import { grid, quantile } from './lib.mjs'

/** The probes: a request whose server side crosses mainly one kind of object. */
const PROBES = /** @type {const} */ ([
	// The Worker alone (middleware, no object): the shared thread's own queue.
	['worker', '/health'],
	// D1: a tenant row, read by the platform route (no cache in front of it).
	['D1', '/v1/tenants/{tenant}'],
	// A lane that takes turns (the probe tenant's first session): its transcript's last message.
	['lane', '/v1/sessions/cap-0/messages?limit=1'],
	// The tenant's AuditChain: its checkpoints, read through the chain's serial queue.
	['audit chain', '/v1/audit/checkpoints'],
	// ModelHealth: the tenant's and the shared snapshot.
	['model health', '/v1/provider-health'],
])

/**
 * @typedef {{ rate: number, sent: number, done: number, errors: number, seconds: number, gated: number[], open: number[], probes: Record<string, number[]> }} Step
 */

/**
 * @param {{ url: string, token: string, tenants: number, sessions: number, rates: number[], stepMs: number, log?: (text: string) => void }} o
 */
export async function capacityScenario(o) {
	const admin = { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' }
	const tenantIds = Array.from(
		{ length: o.tenants },
		(_, i) => `cap-${Date.now().toString(36)}-${i}`,
	)
	/** @param {string} tenant */
	const asTenant = (tenant) => ({ ...admin, 'x-edgeclaw-tenant': tenant })
	for (const [i, id] of tenantIds.entries()) {
		let res = await fetch(`${o.url}/v1/tenants`, {
			method: 'POST',
			headers: admin,
			body: JSON.stringify({ id, name: id }),
		})
		if (res.status !== 201)
			throw new Error(`capacity: tenant ${id}: ${res.status} ${await res.text()}`)
		// The tenant's default agent, on the offline model.
		res = await fetch(`${o.url}/v1/agents`, {
			method: 'POST',
			headers: asTenant(id),
			body: JSON.stringify({
				id: 'main',
				name: 'main',
				config: { model: { primary: 'offline:echo' } },
			}),
		})
		if (res.status !== 201)
			throw new Error(`capacity: agent of ${id}: ${res.status} ${await res.text()}`)
		// Even tenants have a cap, so their turns go through the TenantGate.
		if (i % 2 === 0) {
			res = await fetch(`${o.url}/v1/tenants/${id}`, {
				method: 'PATCH',
				headers: admin,
				body: JSON.stringify({ settings: { maxConcurrentRuns: 10_000 } }),
			})
			if (!res.ok) throw new Error(`capacity: cap for ${id}: ${res.status} ${await res.text()}`)
		}
	}
	let lastError = ''
	/** @param {number} i */
	const turn = async (i) => {
		const t = i % o.tenants
		const tenant = tenantIds[t] ?? ''
		const session = `cap-${Math.floor(i / o.tenants) % o.sessions}`
		const res = await fetch(`${o.url}/v1/sessions/${session}/messages`, {
			method: 'POST',
			headers: asTenant(tenant),
			body: JSON.stringify({ content: `m${i}`, wait: true }),
		})
		const run = /** @type {any} */ (await res.json().catch(() => ({})))
		const ok = res.ok && run.status === 'succeeded'
		if (!ok) lastError = `${res.status} ${JSON.stringify(run).slice(0, 300)}`
		return { gated: t % 2 === 0, ok }
	}
	// Warm: every session once (the objects exist), every probe once.
	let warm = 0
	for (let i = 0; i < o.tenants * o.sessions; i++) if (!(await turn(i)).ok) warm++
	if (warm > 0) throw new Error(`capacity: ${warm} warm-up turns failed (${lastError})`)
	const probeTenant = tenantIds[0] ?? ''
	/** @param {string} path */
	const probe = async (path) => {
		const t0 = performance.now()
		const res = await fetch(`${o.url}${path.replace('{tenant}', probeTenant)}`, {
			headers: asTenant(probeTenant),
		})
		await res.arrayBuffer()
		if (!res.ok && res.status !== 404) throw new Error(`capacity: probe ${path}: ${res.status}`)
		return performance.now() - t0
	}
	for (const [, path] of PROBES) await probe(path)

	/** @type {Step[]} */
	const steps = []
	let next = 0
	for (const rate of o.rates) {
		/** @type {Step} */
		const step = { rate, sent: 0, done: 0, errors: 0, seconds: 0, gated: [], open: [], probes: {} }
		const t0 = performance.now()
		const end = t0 + o.stepMs
		/** @type {Promise<void>[]} */
		const inflight = []
		// Probes: one request at a time, the kinds in turn, for the step's duration. Each object's
		// figure is its probe less the Worker probe of the same round, so that the drift of a busy
		// machine falls out.
		for (const [name] of PROBES) step.probes[name] = []
		const probing = (async () => {
			while (performance.now() < end) {
				const worker = await probe('/health')
				step.probes.worker?.push(worker)
				for (const [name, path] of PROBES.slice(1))
					step.probes[name]?.push((await probe(path)) - worker)
			}
		})()
		// The open loop: the k-th turn of the step leaves at t0 + k / rate, whatever came back.
		for (let k = 0; ; k++) {
			const at = t0 + (k * 1000) / rate
			if (at >= end) break
			const wait = at - performance.now()
			if (wait > 0) await new Promise((r) => setTimeout(r, wait))
			const sentAt = performance.now()
			step.sent++
			inflight.push(
				turn(next++).then(
					({ gated, ok }) => {
						if (!ok) step.errors++
						step.done++
						;(gated ? step.gated : step.open).push(performance.now() - sentAt)
					},
					() => {
						step.errors++
						step.done++
					},
				),
			)
		}
		await Promise.all([probing, ...inflight])
		step.seconds = (performance.now() - t0) / 1000
		steps.push(step)
		o.log?.(
			`${rate}/s offered: ${(step.done / step.seconds).toFixed(0)} turns/s, errors ${step.errors}`,
		)
		// Past saturation nothing more is learnt: the loop falls behind by more than a fifth.
		if (step.done / step.seconds < 0.8 * rate || step.errors > step.sent / 100) break
	}
	return {
		tenants: o.tenants,
		sessions: o.sessions,
		stepMs: o.stepMs,
		steps,
		firstToGrow: firstToGrow(steps),
	}
}

const p50 = (/** @type {number[]} */ xs) =>
	quantile(
		[...xs].sort((a, b) => a - b),
		0.5,
	)
const p99 = (/** @type {number[]} */ xs) =>
	quantile(
		[...xs].sort((a, b) => a - b),
		0.99,
	)

/** Whether the open loop kept up with a step's rate (answered at least 0.9 × it). @param {Step} s */
const keptUp = (s) => s.done / s.seconds >= 0.9 * s.rate

/**
 * Which object's wait grew first: per step, each probe's p50 over the Worker probe of its round
 * (what the object adds over the shared thread's own queue; for the Worker probe itself, its p50),
 * and the TenantGate's share, capped tenants' turn p50 over uncapped tenants'. A kind has grown
 * when it is at least `factor` × its first step's (taken as at least 1 ms) and `minMs` above it.
 * The answer is the first step where any kind has, with every kind that has, largest growth
 * first; `saturated` when that step is one the loop no longer kept up with — past that point every
 * wait grows at once and the order says little.
 * @param {Step[]} steps
 */
export function firstToGrow(steps, factor = 2, minMs = 5) {
	const first = steps[0]
	if (!first) return null
	/** @param {Step} s @param {string} name */
	const figure = (s, name) =>
		name === 'tenant gate' ? p50(s.gated) - p50(s.open) : p50(s.probes[name] ?? [])
	const names = [...PROBES.map(([n]) => n), 'tenant gate']
	for (const s of steps.slice(1)) {
		const grown = names
			.map((name) => {
				const base = Math.max(1, figure(first, name))
				return { name, base, now: figure(s, name) }
			})
			.filter((g) => g.now >= factor * g.base && g.now - g.base >= minMs)
			.sort((a, b) => b.now - b.base - (a.now - a.base))
		if (grown.length > 0) return { rate: s.rate, grown, saturated: !keptUp(s) }
		if (!keptUp(s)) return null
	}
	return null
}

/** @param {Awaited<ReturnType<typeof capacityScenario>>} c */
export function capacityTable(c) {
	const header = [
		'offered/s',
		'turns/s',
		'err',
		'turn p50',
		'turn p99',
		'gate +ms',
		...PROBES.map(([n]) => (n === 'worker' ? 'worker p50' : `${n} +ms`)),
	]
	const rows = c.steps.map((s) => {
		return [
			String(s.rate),
			(s.done / s.seconds).toFixed(0),
			String(s.errors),
			p50([...s.gated, ...s.open]).toFixed(1),
			p99([...s.gated, ...s.open]).toFixed(1),
			(p50(s.gated) - p50(s.open)).toFixed(1),
			...PROBES.map(([n]) => p50(s.probes[n] ?? []).toFixed(1)),
		]
	})
	const grown = c.firstToGrow
		? c.firstToGrow.grown.map((g) => `${g.name} ${g.base.toFixed(1)} → ${g.now.toFixed(1)} ms`)
		: []
	const verdict = !c.firstToGrow
		? 'nothing grew 2× and 5 ms over its first step at these rates'
		: c.firstToGrow.saturated
			? `nothing grew (≥ 2× and ≥ 5 ms over its first step) while the loop kept up; at ${c.firstToGrow.rate}/s, past it, every wait grew at once: ${grown.join(', ')}`
			: `first to grow (≥ 2× and ≥ 5 ms over its first step) at ${c.firstToGrow.rate}/s offered, the loop keeping up: ${grown.join(', ')}`
	const behind = c.steps.find((s) => !keptUp(s))
	const saturation = behind
		? `the loop fell behind (under 0.9 × the offered rate) at ${behind.rate}/s: the machine's capacity for this shape`
		: 'the loop kept up at every rate'
	return `${grid(header, rows)}\n\n${verdict}\n${saturation}`
}
