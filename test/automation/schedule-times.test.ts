// Slot times: cron in an IANA time zone across both DST changes (one fire per local day), `every`
// counted from its anchor (the same slot whenever asked), `at` once, and the checks at create.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
	cronProblem,
	isTimeZone,
	type NormalTime,
	nextDue,
	normaliseTime,
	parseDuration,
} from '../../src/automation/schedules/spec'

/** Every slot in [from, to). */
function slotsBetween(time: NormalTime, anchor: number, from: number, to: number): number[] {
	const out: number[] = []
	let next = nextDue(time, anchor, from - 1)
	while (next !== null && next < to) {
		out.push(next)
		next = nextDue(time, anchor, next)
	}
	return out
}

const berlinDay = (ms: number) =>
	new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', dateStyle: 'short' }).format(ms)
const berlinTime = (ms: number) =>
	new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', timeStyle: 'short' }).format(ms)

describe('cron in a time zone', () => {
	const time: NormalTime = { kind: 'cron', expr: '30 2 * * *', timeZone: 'Europe/Berlin' }

	it('fires exactly once per local day across the spring change (02:30 does not exist)', () => {
		const slots = slotsBetween(
			time,
			0,
			Date.parse('2027-03-25T12:00:00Z'),
			Date.parse('2027-03-31T12:00:00Z'),
		)
		const days = slots.map(berlinDay)
		expect(days).toEqual([
			'2027-03-26',
			'2027-03-27',
			'2027-03-28',
			'2027-03-29',
			'2027-03-30',
			'2027-03-31',
		])
		// On the day the clock jumps from 02:00 to 03:00 the slot moves to the first minute after it.
		expect(slots.map(berlinTime)).toEqual(['02:30', '02:30', '03:00', '02:30', '02:30', '02:30'])
	})

	it('fires exactly once per local day across the autumn change (02:30 happens twice)', () => {
		const slots = slotsBetween(
			time,
			0,
			Date.parse('2027-10-28T12:00:00Z'),
			Date.parse('2027-11-03T12:00:00Z'),
		)
		const days = slots.map(berlinDay)
		expect(days).toEqual([
			'2027-10-29',
			'2027-10-30',
			'2027-10-31',
			'2027-11-01',
			'2027-11-02',
			'2027-11-03',
		])
		expect(new Set(days).size).toBe(days.length)
		expect(slots.map(berlinTime).every((t) => t === '02:30')).toBe(true)
		// The first of the two 02:30s (still summer time, UTC+2).
		expect(new Date(slots[2] as number).toISOString()).toBe('2027-10-31T00:30:00.000Z')
	})

	it('reads the expression in its zone, not in UTC', () => {
		const utc = nextDue({ kind: 'cron', expr: '0 9 * * 1', timeZone: 'UTC' }, 0, 0)
		const ny = nextDue({ kind: 'cron', expr: '0 9 * * 1', timeZone: 'America/New_York' }, 0, 0)
		expect(utc).not.toBe(ny)
		expect(new Date(utc as number).getUTCHours()).toBe(9)
		expect(new Date(ny as number).getUTCHours()).toBe(14)
	})
})

describe('every', () => {
	it('counts slots from its anchor, so a slot is the same whenever it is computed', () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 0, max: 2 ** 40 }),
				fc.integer({ min: 60_000, max: 86_400_000 }),
				fc.integer({ min: 0, max: 2 ** 40 }),
				(anchor, everyMs, after) => {
					const time: NormalTime = { kind: 'every', everyMs }
					const due = nextDue(time, anchor, after) as number
					expect(due).toBeGreaterThan(after)
					expect((due - anchor) % everyMs).toBe(0)
					expect(due - everyMs <= after || due === anchor).toBe(true)
					// Asked again from anywhere between the previous slot and this one: the same slot.
					if (due - everyMs >= anchor) expect(nextDue(time, anchor, due - everyMs)).toBe(due)
					expect(nextDue(time, anchor, due - 1)).toBe(due)
				},
			),
		)
	})

	it('takes everyMs or a duration, never both, and at least 60 s', () => {
		expect(normaliseTime({ kind: 'every', every: '15m' })).toEqual({
			kind: 'every',
			everyMs: 900_000,
		})
		expect(normaliseTime({ kind: 'every', everyMs: 60_000 })).toEqual({
			kind: 'every',
			everyMs: 60_000,
		})
		expect(Array.isArray(normaliseTime({ kind: 'every', every: '30s' }))).toBe(true)
		expect(Array.isArray(normaliseTime({ kind: 'every', every: '1m', everyMs: 60_000 }))).toBe(true)
		expect(Array.isArray(normaliseTime({ kind: 'every' }))).toBe(true)
		expect(parseDuration('2h')).toBe(7_200_000)
		expect(parseDuration('2 h')).toBeUndefined()
	})
})

describe('at', () => {
	it('is due once, and never after it passed', () => {
		const time: NormalTime = { kind: 'at', atMs: 5_000 }
		expect(nextDue(time, 0, 4_999)).toBe(5_000)
		expect(nextDue(time, 0, 5_000)).toBeNull()
	})
})

describe('checks at create', () => {
	it('knows IANA zones and refuses others', () => {
		expect(isTimeZone('Europe/Berlin')).toBe(true)
		expect(isTimeZone('UTC')).toBe(true)
		expect(isTimeZone('Mars/Olympus_Mons')).toBe(false)
		const refused = normaliseTime({ kind: 'cron', expr: '0 * * * *', timeZone: 'Nowhere/City' })
		expect(refused).toEqual([
			{ path: 'schedule.timeZone', message: 'unknown time zone "Nowhere/City"' },
		])
	})

	it('says what is wrong with a cron expression', () => {
		expect(cronProblem('0 * * * *', 'UTC')).toBeUndefined()
		expect(cronProblem('61 * * * *', 'UTC')).toMatch(/minute/)
		expect(cronProblem('* * * * * *', 'UTC')).toMatch(/5 parts/)
		expect(cronProblem('0 0 30 2 *', 'UTC')).toBe('never fires')
	})

	it('never throws on any expression', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 40 }), (expr) => {
				const problem = cronProblem(expr, 'UTC')
				expect(problem === undefined || typeof problem === 'string').toBe(true)
			}),
		)
	})
})
