// Messages that arrive while a run is active are stored together, one transaction per burst
// (src/lanes/burst.ts): each is stored before its caller hears back, in arrival order, and the
// lane answers exactly as it would have taking them one by one — same dispositions, same runs,
// same idempotent duplicates, same transcript — whatever the modes and however the burst is cut.
import { runInDurableObject } from 'cloudflare:test'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { QueueMode, SubmitOutcome } from '../../src/lanes/types'
import { type LaneHarness, laneOver } from '../fakes/lane-host'
import { objectOf } from './outbox-setup'

/** Counts transactions on `state`'s storage from now on. */
function transactions(state: DurableObjectState): { n: number } {
	const c = { n: 0 }
	const storage = state.storage
	const transactionSync = storage.transactionSync.bind(storage)
	Object.defineProperty(storage, 'transactionSync', {
		value: <T>(fn: () => T): T => {
			c.n++
			return transactionSync(fn)
		},
	})
	return c
}

const textsOf = (h: LaneHarness) =>
	h.store.transcript
		.active()
		.map((m) => `${m.role}:${m.content.map((p) => ('text' in p ? p.text : '')).join('')}`)

/** Holds the lane busy: a run that sleeps a minute unless cancelled. */
function hold(h: LaneHarness): string {
	const held = h.lane.submit(h.request('/slow 60000 hold'))
	if (!held.ok) throw new Error('not taken')
	return held.value.run.runId
}

describe('a burst of messages', () => {
	it('is one transaction, acknowledged only once stored, in arrival order', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const h = laneOver(state, undefined)
			const held = hold(h)
			const c = transactions(state)
			const answers = Array.from({ length: 10 }, (_, i) => h.lane.accept(h.request(`m${i}`)))
			// Nothing is stored (nor answered) before the burst's transaction.
			expect(h.store.runs.count('queued')).toBe(0)
			const outcomes = await Promise.all(answers)
			expect(c.n).toBe(1)
			const runs = outcomes.map((o) => (o.ok ? o.value.run.runId : 'refused'))
			expect(h.store.runs.withStatus('queued').map((r) => r.id)).toEqual(runs)
			const queued = h.events.filter((e) => e.type === 'queued').map((e) => e.runId)
			expect(queued.slice(-10)).toEqual(runs)
			await h.lane.cancel(held)
			for (const id of runs) await h.lane.wait(id, 10_000)
			expect(textsOf(h).slice(-20)).toEqual(
				Array.from({ length: 10 }, (_, i) => [`user:m${i}`, `assistant:echo: m${i}`]).flat(),
			)
		})
	})

	it('is taken at once by an idle lane, and joined by what comes while it waits', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const h = laneOver(state, undefined)
			// Idle: stored before `accept` returns, and its run started.
			const first = h.lane.accept(h.request('/slow 60000 first'))
			expect(h.store.runs.count('running')).toBe(1)
			const second = h.lane.accept(h.request('second', undefined, { mode: 'collect' }))
			const third = h.lane.accept(h.request('third', undefined, { mode: 'collect' }))
			const [a, b, c] = await Promise.all([first, second, third])
			if (!a?.ok || !b?.ok || !c?.ok) throw new Error('not taken')
			expect(b.value.disposition).toBe('queued')
			expect(c.value).toMatchObject({ disposition: 'collected', run: { runId: b.value.run.runId } })
			await h.lane.cancel(a.value.run.runId)
			const batch = await h.lane.wait(b.value.run.runId, 10_000)
			expect(batch?.output).toBe('echo: second\nthird')
		})
	})
})

type Op = { text: string; mode: QueueMode; key: string | undefined; cut: boolean }

const ops = fc.array(
	fc.record({
		mode: fc.constantFrom<QueueMode>('followup', 'collect', 'steer'),
		key: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined }),
		// A task boundary after this message: the burst is cut here.
		cut: fc.boolean(),
	}),
	{ minLength: 1, maxLength: 12 },
)

/** What a lane made of the messages: per message its disposition, run (by first appearance), duplicate flag. */
function shape(outcomes: SubmitOutcome[]): string[] {
	const runs = new Map<string, number>()
	return outcomes.map((o) => {
		const run = runs.get(o.run.runId) ?? runs.size
		runs.set(o.run.runId, run)
		return `${o.disposition}:${run}:${o.duplicate}`
	})
}

/** Sends `list` to a busy lane, one by one (`submit`) or in bursts cut where the ops say. */
async function drive(
	state: DurableObjectState,
	list: Op[],
	bursts: boolean,
): Promise<{ shape: string[]; transcript: string[] }> {
	const h = laneOver(state, undefined)
	const held = hold(h)
	const outcomes: SubmitOutcome[] = []
	let pending: Promise<unknown>[] = []
	for (const op of list) {
		const req = h.request(op.text, undefined, {
			mode: op.mode,
			...(op.key && { idempotencyKey: op.key }),
		})
		if (!bursts) {
			const r = h.lane.submit(req)
			if (!r.ok) throw new Error(r.error.message)
			outcomes.push(r.value)
			continue
		}
		const i = outcomes.length
		outcomes.push(undefined as unknown as SubmitOutcome)
		pending.push(
			h.lane.accept(req).then((r) => {
				if (!r.ok) throw new Error(r.error.message)
				outcomes[i] = r.value
			}),
		)
		if (op.cut) {
			await Promise.all(pending)
			pending = []
		}
	}
	await Promise.all(pending)
	await h.lane.cancel(held)
	for (const o of outcomes) await h.lane.wait(o.run.runId, 10_000)
	for (const r of h.store.runs.withStatus('queued')) await h.lane.wait(r.id, 10_000)
	return { shape: shape(outcomes), transcript: textsOf(h).slice(2) }
}

it('answers like one-by-one submission, for any modes, keys and cuts', {
	timeout: 120_000,
}, async () => {
	await fc.assert(
		fc.asyncProperty(ops, async (raw) => {
			const list = raw.map((o, i) => ({ ...o, text: `m${i}` }))
			const one = await runInDurableObject(objectOf(), (_i, state) => drive(state, list, false))
			const burst = await runInDurableObject(objectOf(), (_i, state) => drive(state, list, true))
			expect(burst).toEqual(one)
		}),
		{ numRuns: 25 },
	)
})
