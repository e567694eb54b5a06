// The sessions index is written paced (one write per interval), except where a reader waits for
// a change: the first run to end in a lane goes at once, so a new session's row shows its answer
// (messageCount, last run) without trailing a whole interval; later runs' ends are paced.
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { laneOver } from '../fakes/lane-host'
import { objectOf } from './outbox-setup'

describe('index writes at a run’s end', () => {
	it('are at once for the first run to end, paced for the next', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const h = laneOver(state, undefined)
			// Every row carries the last run that ended; a run's end is where that changes.
			const ends = () =>
				h.indexed.flatMap((row, i) =>
					row.lastRunStatus === 'succeeded' && row.lastRunId !== h.indexed[i - 1]?.lastRunId
						? [{ messages: row.messageCount, now: h.indexedNow[i] }]
						: [],
				)
			for (const text of ['one', 'two']) {
				const submitted = h.lane.submit(h.request(text))
				if (!submitted.ok) throw new Error(submitted.error.message)
				await expect
					.poll(() => h.store.runs.get(submitted.value.run.runId)?.status)
					.toBe('succeeded')
			}
			await expect.poll(() => ends().length).toBe(2)
			expect(ends()).toEqual([
				{ messages: 2, now: true },
				{ messages: 4, now: false },
			])
		})
	})
})
