// A throwaway session (the OpenAI API without `user`) never enters the sessions index and deletes
// itself once its run has ended and nobody reads it — also when the instance that ran it went away
// first: the next start (an alarm, any call) finishes the deletion.
import { abortAllDurableObjects, env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { laneName } from '../../src/lanes/name'
import { LaneStore } from '../../src/lanes/store'
import type { SubmitRequest } from '../../src/lanes/types'
import { ADMIN, agentOf, laneOver } from '../fakes/lane-host'
import { objectOf } from './outbox-setup'

/** The tables a lane object still has (none once it is deleted), and its alarm. */
const storedIn = async (state: DurableObjectState) => ({
	tables: state.storage.sql
		.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
		.toArray()
		.map((t) => t.name)
		.filter((name) => !name.startsWith('_cf_')),
	alarm: await state.storage.getAlarm(),
})

describe('a throwaway session', () => {
	it('answers, writes no index row, and empties its storage after the answer', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const h = laneOver(state, undefined)
			const submitted = h.lane.submit(h.request('hello', undefined, { ephemeral: true }))
			if (!submitted.ok) throw new Error(submitted.error.message)
			const run = await h.lane.wait(submitted.value.run.runId, 10_000)
			expect(run).toMatchObject({ status: 'succeeded', output: 'echo: hello' })
			await expect.poll(() => storedIn(state)).toEqual({ tables: [], alarm: null })
			expect(h.lane.exists()).toBe(false)
			expect(h.indexed).toEqual([])
		})
	})

	it('is deleted when its only message is refused', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const h = laneOver(state, undefined)
			// A tool result that answers no call of the (empty) session is refused.
			const result = { type: 'tool-result' as const, callId: 'none', name: '', result: 'x' }
			const refused = h.lane.submit(
				h.request('', undefined, { ephemeral: true, content: [], toolResults: [result] }),
			)
			expect(refused).toMatchObject({ ok: false, error: { code: 'bad_request' } })
			await expect.poll(() => storedIn(state)).toEqual({ tables: [], alarm: null })
			expect(h.indexed).toEqual([])
		})
	})

	it('a session with a name stays, and is indexed', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const h = laneOver(state, undefined)
			const submitted = h.lane.submit(h.request('hello'))
			if (!submitted.ok) throw new Error(submitted.error.message)
			await h.lane.wait(submitted.value.run.runId, 10_000)
			expect(h.lane.exists()).toBe(true)
			expect(h.indexed.length).toBeGreaterThan(0)
		})
	})

	it('left behind idle (nothing told it to go) is deleted by its alarm', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			// What an instance that went away between the answer and its deletion leaves behind.
			const left = new LaneStore(state.storage.sql)
			const session = { tenantId: 'default', agentId: 'main', sessionKey: 'openai-left' }
			state.storage.transactionSync(() => {
				left.migrate()
				left.setMeta('session', JSON.stringify(session))
				left.markEphemeral()
			})
			const h = laneOver(state, undefined)
			expect(h.lane.exists()).toBe(true)
			await h.lane.alarm()
			expect(await storedIn(state)).toEqual({ tables: [], alarm: null })
			expect(h.indexed).toEqual([])
		})
	})

	it('whose instance went away mid-run is deleted by the next start, not run again', async () => {
		const ref = { tenantId: 'default', agentId: 'main', sessionKey: 'openai-gone-mid-run' }
		const stub = env.SESSION_LANE.getByName(laneName(ref))
		const request: SubmitRequest = {
			session: ref,
			agent: agentOf(),
			content: [{ type: 'text', text: '/slow 5000 never answered' }],
			mode: 'followup',
			maxConcurrentRuns: null,
			subject: ADMIN,
			ephemeral: true,
		}
		const sent = await stub.send(request)
		if (!sent.ok) throw new Error(sent.error.message)
		await expect
			.poll(async () => (await stub.info()).ok && (await stub.getRun(sent.value.run.runId)))
			.toMatchObject({
				ok: true,
				value: { status: 'running' },
			})
		await abortAllDurableObjects()
		// Any call starts the object again (a stub of its own: the old one went with the abort);
		// recovery deletes the session before serving anything.
		const again = () => env.SESSION_LANE.getByName(laneName(ref))
		await expect
			.poll(() => runInDurableObject(again(), (_lane, state) => storedIn(state)))
			.toEqual({ tables: [], alarm: null })
		expect(await again().info()).toMatchObject({ ok: false, error: { code: 'not_found' } })
	})
})
