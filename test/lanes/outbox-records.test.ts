// What the outbox keeps in storage across failures: a dead letter whose record fails is recorded
// again (on the alarm, a bounded number of times), and a lane stored before the outbox existed
// migrates with its data and then answers to channels.
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { RECORD_TRIES } from '../../src/lanes/dead-letters'
import { MIGRATIONS } from '../../src/lanes/schema'
import { SCHEMA_VERSION } from '../../src/lanes/store'
import { Logger } from '../../src/observability/logger'
import { agentOf, fakeSink, type LaneHarness, laneOver, route } from '../fakes/lane-host'
import { captureLogs } from '../fakes/logs'
import { answered, deliveries, type FakeSink, inLane, objectOf } from './outbox-setup'

/** A reply the platform refuses for good: one dead letter, recorded through `s.recorded`. */
async function deadLetter(h: LaneHarness, s: FakeSink): Promise<void> {
	s.answer = () => ({ ok: false, error: 'chat not found', permanent: true })
	await answered(h, 'lost')
	expect(deliveries(h)).toEqual([expect.objectContaining({ status: 'failed' })])
}

/** Moves the clock to the next record's due time and wakes the lane as its alarm would. */
async function nextRecordAlarm(h: LaneHarness): Promise<void> {
	const due = h.store.deliveries.nextRecordAt()
	expect(h.alarms).toContain(due)
	h.clock.now = due
	await h.lane.alarm()
	await h.settled()
}

describe('dead letters', () => {
	it('a record that fails is made again on the alarm, once it lands no more', async () => {
		await inLane(async (h, s) => {
			let failures = 2
			s.recorded = async () => {
				if (failures-- > 0) throw new Error('D1 unavailable')
			}
			await deadLetter(h, s)
			expect(s.dead).toHaveLength(1)
			await nextRecordAlarm(h)
			await nextRecordAlarm(h)
			expect(s.dead.map((d) => [d.delivery.id, d.delivery.attempt, d.error])).toEqual(
				Array(3).fill([deliveries(h)[0]?.id, 1, 'chat not found']),
			)
			expect(h.store.deliveries.nextRecordAt()).toBe(Number.POSITIVE_INFINITY)
			// Nothing left to record: a later alarm records nothing again.
			await h.lane.alarm()
			await h.settled()
			expect(s.dead).toHaveLength(3)
		})
	})

	it(`gives a record up after ${RECORD_TRIES} tries, with an error in the log`, async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const logs = captureLogs()
			const s = fakeSink()
			const h = laneOver(state, s.sink, { logger: new Logger({}, { sink: logs.sink }) })
			s.recorded = async () => {
				throw new Error('D1 unavailable')
			}
			await deadLetter(h, s)
			for (let tries = 1; tries < RECORD_TRIES; tries++) await nextRecordAlarm(h)
			expect(s.dead).toHaveLength(RECORD_TRIES)
			expect(h.store.deliveries.nextRecordAt()).toBe(Number.POSITIVE_INFINITY)
			expect(logs.entries().filter((e) => e.msg === 'lane.dead_letter_unrecorded')).toEqual([
				expect.objectContaining({ tries: RECORD_TRIES }),
			])
		})
	})

	it('a record cut off by a restart is made by the lane that comes back', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const s = fakeSink()
			const h = laneOver(state, s.sink)
			// Never settles: the object "goes away" with the record in flight.
			s.recorded = () => new Promise(() => {})
			s.answer = () => ({ ok: false, error: 'chat not found', permanent: true })
			const submitted = h.lane.submit(h.request('lost', route('a')))
			if (!submitted.ok) throw new Error('not taken')
			await expect.poll(() => s.dead.length).toBe(1)
			const again = fakeSink()
			const back = laneOver(state, again.sink, { clock: { now: h.clock.now + 60_000 } })
			back.lane.recover()
			await back.settled()
			expect(again.dead.map((d) => d.error)).toEqual(['chat not found'])
			expect(back.store.deliveries.nextRecordAt()).toBe(Number.POSITIVE_INFINITY)
		})
	})
})

describe('schema', () => {
	it('a lane stored at v4 migrates with its runs, then answers to channels', async () => {
		await runInDurableObject(objectOf(), async (_i, state) => {
			const { sql } = state.storage
			const now = Date.now()
			for (const migration of MIGRATIONS.slice(0, 4)) sql.exec(migration)
			const session = { tenantId: 'default', agentId: 'main', sessionKey: 'fake' }
			for (const [key, value] of [
				['schema_version', '4'],
				['session', JSON.stringify(session)],
				['created_at', String(now)],
			])
				sql.exec('INSERT INTO meta (key, value) VALUES (?, ?)', key, value)
			sql.exec(
				`INSERT INTO runs (id, queue_pos, mode, status, input, agent, created_at, finished_at, output)
				 VALUES ('v4-run', 1, 'followup', 'succeeded', '[]', ?, ?, ?, 'from v4')`,
				JSON.stringify(agentOf()),
				now,
				now,
			)
			const s = fakeSink()
			const h = laneOver(state, s.sink, { clock: { now } })
			h.lane.recover()
			expect(h.store.getMeta('schema_version')).toBe(String(SCHEMA_VERSION))
			expect(h.lane.getRun('v4-run')).toMatchObject({
				ok: true,
				value: { status: 'succeeded', output: 'from v4' },
			})
			expect(h.store.runs.answeredInline('v4-run')).toBe(false)
			await answered(h, 'after the migration', route('a'))
			expect(s.calls.map((c) => [c.text, c.route.channelId])).toEqual([
				['echo: after the migration', 'tg-a'],
			])
			expect(deliveries(h)).toEqual([expect.objectContaining({ status: 'sent', attempts: 1 })])
		})
	})
})
