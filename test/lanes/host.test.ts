// The lane host's coalescing: alarm writes only when an alarm must move earlier, index writes at
// most once per interval with the latest state, in order.
import { describe, expect, it } from 'vitest'
import { AlarmScheduler, CoalescedIndex, type IndexRow } from '../../src/lanes/host'
import { Logger } from '../../src/observability/logger'
import type { SessionRef } from '../../src/security/subject'
import { silentLogger } from '../fakes/logs'

const silent = silentLogger()

function fakeAlarms(initial: number | null = null) {
	const writes: (number | null)[] = []
	let at = initial
	return {
		writes,
		storage: {
			getAlarm: async () => at,
			setAlarm: async (t: number) => {
				at = t
				writes.push(t)
			},
			deleteAlarm: async () => {
				at = null
				writes.push(null)
			},
		},
	}
}

describe('AlarmScheduler', () => {
	it('writes only when the alarm must come sooner, or go', async () => {
		let now = 1_000
		const fake = fakeAlarms()
		const alarms = new AlarmScheduler(fake.storage, silent, () => now)
		await alarms.load()
		alarms.set(31_000)
		alarms.set(60_000) // later than the pending one: kept as is
		alarms.set(31_000) // same: nothing to do
		alarms.set(20_000) // sooner: moved
		expect(fake.writes).toEqual([31_000, 20_000])
		expect(alarms.pending()).toBe(true)
		now = 25_000 // the pending alarm is in the past (it fired or is firing)
		alarms.set(90_000)
		expect(fake.writes.at(-1)).toBe(90_000)
		alarms.fired()
		alarms.set(null) // nothing scheduled: no delete needed
		expect(fake.writes).toEqual([31_000, 20_000, 90_000])
		alarms.set(95_000)
		alarms.set(null)
		expect(fake.writes.slice(-2)).toEqual([95_000, null])
	})

	it('knows an alarm scheduled before a restart', async () => {
		const fake = fakeAlarms(10_000)
		const alarms = new AlarmScheduler(fake.storage, silent, () => 0)
		await alarms.load()
		alarms.set(50_000)
		expect(fake.writes).toEqual([])
	})
})

describe('CoalescedIndex', () => {
	const ref: SessionRef = { tenantId: 't', agentId: 'a', sessionKey: 'k' }
	const row = (n: number): IndexRow => ({
		createdAt: 0,
		updatedAt: n,
		messageCount: n,
		pendingApprovals: 0,
		queuedRuns: 0,
		stuckSince: null,
	})

	it('sends a write asked for `now` at once, past the interval', async () => {
		const written: number[] = []
		const writes: Promise<unknown>[] = []
		const index = new CoalescedIndex({
			write: async (r) => {
				written.push(r.messageCount)
			},
			remove: async () => {},
			intervalMs: 3_600_000,
			waitUntil: (p) => writes.push(p),
			logger: silent,
		})
		index.upsert(ref, row(1))
		index.upsert(ref, row(2))
		await Promise.all(writes)
		// The second waits out the hour; an approval's change does not.
		expect(written).toEqual([1])
		index.upsert(ref, { ...row(3), pendingApprovals: 1 }, { now: true })
		await Promise.all(writes)
		expect(written).toEqual([1, 3])
		expect(writes).toHaveLength(2)
	})

	it('reads a row given as a function when its write goes out, and only the latest of them', async () => {
		const written: (SessionRef & IndexRow)[] = []
		const index = new CoalescedIndex({
			write: async (r) => {
				written.push(r)
			},
			remove: async () => {},
			intervalMs: 3_600_000,
			waitUntil: () => {},
			logger: silent,
		})
		let reads = 0
		let state = 1
		const read = (lastRunId?: string) => () => {
			reads++
			return { ...row(state), ...(lastRunId && { lastRunId, lastRunStatus: 'succeeded' }) }
		}
		index.upsert(ref, read('run-1'))
		await index.settled()
		// The first went at once; the next three wait out the hour, unread.
		expect(reads).toBe(1)
		for (const n of [2, 3, 4]) {
			state = n
			index.upsert(ref, read())
		}
		expect(reads).toBe(1)
		state = 5
		// An approval's row, given whole, keeps what the unread one said (read now: none).
		index.upsert(ref, { ...row(5), pendingApprovals: 1 })
		expect(reads).toBe(2)
		await index.settled()
		expect(written.map((r) => [r.messageCount, r.pendingApprovals, r.lastRunId])).toEqual([
			[1, 0, 'run-1'],
			[5, 1, undefined],
		])
		state = 6
		index.upsert(ref, read('run-6'))
		state = 7
		await index.settled()
		// Read when it went out: the state then, not when it was asked for.
		expect(written.at(-1)).toMatchObject({ messageCount: 7, lastRunId: 'run-6' })
	})

	it('writes the first update at once, then the latest state once per interval, in order', async () => {
		const written: number[] = []
		const index = new CoalescedIndex({
			write: async (r) => {
				written.push(r.messageCount)
			},
			remove: async () => {},
			intervalMs: 50,
			waitUntil: () => {},
			logger: silent,
		})
		index.upsert(ref, row(1))
		index.upsert(ref, row(2))
		index.upsert(ref, row(3))
		await index.settled()
		expect(written).toEqual([1, 3])
		index.upsert(ref, row(4))
		await new Promise((r) => setTimeout(r, 80))
		await index.settled()
		expect(written).toEqual([1, 3, 4])
	})

	it('drops pending writes when the session is removed, and removes after earlier writes land', async () => {
		const log: string[] = []
		const index = new CoalescedIndex({
			write: async (r) => {
				await new Promise((res) => setTimeout(res, 10))
				log.push(`write ${r.messageCount}`)
			},
			remove: async () => {
				log.push('remove')
			},
			intervalMs: 1_000,
			waitUntil: () => {},
			logger: silent,
		})
		index.upsert(ref, row(1))
		index.upsert(ref, row(2))
		await index.remove(ref)
		expect(log).toEqual(['write 1', 'remove'])
	})

	it('logs a failed write and keeps going', async () => {
		const errors: string[] = []
		const logger = new Logger({}, { sink: { log() {}, warn() {}, error: (l) => errors.push(l) } })
		let fail = true
		const written: number[] = []
		const index = new CoalescedIndex({
			write: async (r) => {
				if (fail) throw new Error('D1 down')
				written.push(r.messageCount)
			},
			remove: async () => {},
			intervalMs: 0,
			waitUntil: () => {},
			logger,
		})
		index.upsert(ref, row(1))
		await index.settled()
		fail = false
		index.upsert(ref, row(2))
		await index.settled()
		expect(written).toEqual([2])
		expect(errors.join('')).toContain('lane.index_failed')
	})

	it('tries a failed write again an interval later, a few times, unless a newer one waits', async () => {
		let failures = 5
		const tried: number[] = []
		const written: number[] = []
		const index = new CoalescedIndex({
			write: async (r) => {
				tried.push(r.messageCount)
				if (failures-- > 0) throw new Error('D1 down')
				written.push(r.messageCount)
			},
			remove: async () => {},
			intervalMs: 5,
			waitUntil: () => {},
			logger: silent,
		})
		index.upsert(ref, { ...row(1), pendingApprovals: 1 }, { now: true })
		// The first try and three more, then it gives up: the session's next change writes again.
		await expect.poll(() => tried).toEqual([1, 1, 1, 1])
		expect(written).toEqual([])
		// A new state has retries of its own: it fails once more, then lands.
		index.upsert(ref, row(2), { now: true })
		await expect.poll(() => written).toEqual([2])
		expect(tried).toEqual([1, 1, 1, 1, 2, 2])
	})

	it("keeps a pending run's fields when an approval's write leaves them out", async () => {
		const rows: IndexRow[] = []
		const index = new CoalescedIndex({
			write: async (r) => {
				rows.push(r)
			},
			remove: async () => {},
			intervalMs: 3_600_000,
			waitUntil: () => {},
			logger: silent,
		})
		index.upsert(ref, row(1))
		index.upsert(ref, { ...row(2), lastRunId: 'run-2', lastRunStatus: 'succeeded' })
		index.upsert(ref, { ...row(3), pendingApprovals: 1 }, { now: true })
		await index.settled()
		expect(rows.at(-1)).toMatchObject({ messageCount: 3, pendingApprovals: 1, lastRunId: 'run-2' })
	})
})
