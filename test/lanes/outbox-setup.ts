// What the outbox's test files share: the object a test's lane works in, a lane with a fake sink,
// and a reply waited for until the outbox settles.
import { env, runInDurableObject } from 'cloudflare:test'
import type { DeliveryView } from '../../src/lanes/types'
import { agentOf, fakeSink, type LaneHarness, laneOver, route } from '../fakes/lane-host'
import { STATE_WAIT_MS } from '../timeouts'

/**
 * The object a test's own lane works in. Not a lane's name: the object's shell then has no reply
 * sink, so it never drains the same storage (it would race the test's lane after a restart).
 */
export const objectOf = (name = crypto.randomUUID()) => env.SESSION_LANE.getByName(`outbox-${name}`)

export type FakeSink = ReturnType<typeof fakeSink>

/** An agent whose one tool (`time_now`) asks a human first. */
export const GUARDED = agentOf({
	tools: {
		profile: 'minimal',
		allow: ['time_now'],
		elevated: ['time_now'],
		approvalTimeoutMs: 60_000,
	},
})

/** Submits `text` and waits for its run to finish and the outbox to settle. */
export async function answered(h: LaneHarness, text: string, reply = route('a')) {
	const submitted = h.lane.submit(h.request(text, reply))
	if (!submitted.ok) throw new Error(submitted.error.message)
	const run = await h.lane.wait(submitted.value.run.runId, STATE_WAIT_MS)
	await h.settled()
	return run
}

/** The lane's outbox, oldest first. */
export const deliveries = (h: LaneHarness): DeliveryView[] => {
	const list = h.lane.listDeliveries(undefined, 500)
	if (!list.ok) throw new Error(list.error.message)
	return list.value.deliveries.reverse()
}

/** Runs `fn` on a new lane (its own object) with a sink that splits at Telegram's 4096. */
export function inLane(
	fn: (h: LaneHarness, s: FakeSink, state: DurableObjectState) => Promise<void>,
): Promise<void> {
	return runInDurableObject(objectOf(), async (_i, state) => {
		const s = fakeSink(4096)
		await fn(laneOver(state, s.sink), s, state)
	})
}
