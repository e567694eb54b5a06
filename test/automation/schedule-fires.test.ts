// A slot fires exactly once: an early alarm re-arms without firing, a repeated or retried alarm
// and an evicted or restarted object find the slot's claim in the ledger, `every` after a restart
// never fires a slot twice, and the misfire policy decides what a late slot does.
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { ScheduleLedger } from '../../src/automation/schedules/ledger'
import { tenant } from '../security/helpers'
import { armAndTick, createSchedule, inTimer, runsOf, T0, timerStub } from './schedule-setup'

const TENANT = 'sched-fires'
const MIN = 60_000
const HOUR = 3_600_000

const every = (id: string, everyMs: number, extra: Record<string, unknown> = {}) => ({
	id,
	schedule: { kind: 'every', everyMs, anchorAt: new Date(T0).toISOString() },
	target: { agentId: 'main', session: 'isolated', message: `run of ${id}` },
	...extra,
})

beforeAll(async () => {
	await tenant(TENANT)
})

describe('one fire per slot', () => {
	it('fires a due slot once, whatever alarms follow', async () => {
		await createSchedule(TENANT, every('once', MIN))
		const clock = { now: T0 + 10_000 }
		await inTimer(TENANT, 'once', clock, (logic) =>
			logic.arm({ tenantId: TENANT, scheduleId: 'once' }),
		)
		// An early alarm: nothing is due yet, the alarm is set at the slot again.
		clock.now = T0 + 30_000
		await inTimer(TENANT, 'once', clock, async (logic, _ledger, state) => {
			await logic.tick()
			expect(await state.storage.getAlarm()).toBe(T0 + MIN)
		})
		expect(await runsOf(TENANT, 'once')).toEqual([])

		clock.now = T0 + MIN + 1_000
		await inTimer(TENANT, 'once', clock, (logic) => logic.tick())
		// The same alarm again (retried), and again in a restarted object.
		await inTimer(TENANT, 'once', clock, (logic) => logic.tick())
		await evictDurableObject(timerStub(TENANT, 'once'))
		await inTimer(TENANT, 'once', clock, (logic) => logic.tick())
		// A retried alarm that still sees the old slot armed finds the slot's claim in the ledger.
		await inTimer(TENANT, 'once', clock, async (logic, ledger) => {
			const armed = ledger.armed()
			if (armed) ledger.arm({ ...armed, dueAt: T0 + MIN })
			await logic.tick()
		})
		const runs = await runsOf(TENANT, 'once')
		expect(runs.map((r) => [r.dueAt, r.status])).toEqual([[T0 + MIN, 'ok']])
		expect(runs[0]?.sessionKey).toBe(`schedule:once:${T0 + MIN}`)
		expect(runs[0]?.laneRunId).toBeTruthy()
		expect(await inTimer(TENANT, 'once', clock, (_l, ledger) => ledger.armed()?.dueAt)).toBe(
			T0 + 2 * MIN,
		)
	})

	it('fires a slot that came due while the object was evicted once, through its real alarm', async () => {
		await createSchedule(TENANT, {
			...every('evicted', HOUR),
			schedule: {
				kind: 'every',
				everyMs: HOUR,
				anchorAt: new Date(Date.now() - 30 * MIN).toISOString(),
			},
		})
		const stub = timerStub(TENANT, 'evicted')
		// The slot passed while nothing ran (half an hour ago; `runOnce` takes up to an hour late).
		const due = await runInDurableObject(stub, async (_i, state) => {
			const ledger = new ScheduleLedger(state.storage.sql)
			const armed = ledger.armed()
			if (!armed?.dueAt) throw new Error('not armed')
			const at = armed.dueAt - HOUR
			ledger.arm({ ...armed, dueAt: at })
			await state.storage.setAlarm(at)
			return at
		})
		await evictDurableObject(stub)
		expect(await runDurableObjectAlarm(stub)).toBe(true)
		// Whatever alarm runs next (the next slot's, run early here) fires nothing more.
		expect(await runDurableObjectAlarm(stub)).toBe(true)
		await evictDurableObject(stub)
		await runDurableObjectAlarm(stub)
		const runs = await runsOf(TENANT, 'evicted')
		expect(runs.map((r) => [r.dueAt, r.status])).toEqual([[due, 'ok']])
		const next = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())
		expect(next).toBeGreaterThan(Date.now())
	})

	it('never fires an `every` slot twice after a restart that computes the slot again', async () => {
		await createSchedule(TENANT, every('restart', MIN))
		await armAndTick(TENANT, 'restart', T0 + 10_000, [T0 + MIN + 500])
		// A restart (or a deploy) re-arms from a clock a little behind: the same slot comes out.
		const clock = { now: T0 + MIN - 1_000 }
		const rearmed = await inTimer(TENANT, 'restart', clock, (logic) =>
			logic.arm({ tenantId: TENANT, scheduleId: 'restart' }),
		)
		expect(rearmed).toBe(T0 + MIN)
		clock.now = T0 + MIN + 2_000
		await inTimer(TENANT, 'restart', clock, (logic) => logic.tick())
		clock.now = T0 + 2 * MIN + 100
		await inTimer(TENANT, 'restart', clock, (logic) => logic.tick())
		const runs = await runsOf(TENANT, 'restart')
		expect(runs.map((r) => [r.dueAt, r.status])).toEqual([
			[T0 + MIN, 'ok'],
			[T0 + 2 * MIN, 'ok'],
		])
	})
})

describe('misfires', () => {
	const late = T0 + HOUR + 10 * MIN

	it('`skip` records a late slot as missed and fires at the next', async () => {
		await createSchedule(TENANT, every('skip', HOUR, { misfire: { policy: 'skip' } }))
		const runs = await armAndTick(TENANT, 'skip', T0 + 1_000, [late])
		expect(runs.map((r) => [r.dueAt, r.status])).toEqual([[T0 + HOUR, 'missed']])
		expect(runs[0]?.error).toMatch(/600 s late \(misfire policy skip\)/)
		expect(
			await inTimer(TENANT, 'skip', { now: late }, (_l, ledger) => ledger.armed()?.dueAt),
		).toBe(T0 + 2 * HOUR)
	})

	it('`skip` still fires a slot within a minute of its due time', async () => {
		await createSchedule(TENANT, every('skip-on-time', HOUR, { misfire: { policy: 'skip' } }))
		const runs = await armAndTick(TENANT, 'skip-on-time', T0 + 1_000, [T0 + HOUR + 30_000])
		expect(runs.map((r) => r.status)).toEqual(['ok'])
	})

	it('`runOnce` fires a late slot within maxLatenessMs, once for all the slots missed', async () => {
		await createSchedule(
			TENANT,
			every('catch-up', HOUR, { misfire: { policy: 'runOnce', maxLatenessMs: 30 * MIN } }),
		)
		const runs = await armAndTick(TENANT, 'catch-up', T0 + 1_000, [late])
		expect(runs.map((r) => [r.dueAt, r.status])).toEqual([[T0 + HOUR, 'ok']])

		await createSchedule(
			TENANT,
			every('catch-up-many', HOUR, { misfire: { policy: 'runOnce', maxLatenessMs: 30 * MIN } }),
		)
		const many = await armAndTick(TENANT, 'catch-up-many', T0 + 1_000, [T0 + 3 * HOUR + 10 * MIN])
		expect(many.map((r) => [r.dueAt, r.status])).toEqual([
			[T0 + HOUR, 'missed'],
			[T0 + 2 * HOUR, 'missed'],
			[T0 + 3 * HOUR, 'ok'],
		])
	})

	it('`runOnce` records a slot later than maxLatenessMs as missed', async () => {
		await createSchedule(
			TENANT,
			every('too-late', HOUR, { misfire: { policy: 'runOnce', maxLatenessMs: 5 * MIN } }),
		)
		const runs = await armAndTick(TENANT, 'too-late', T0 + 1_000, [late])
		expect(runs.map((r) => [r.dueAt, r.status])).toEqual([[T0 + HOUR, 'missed']])
	})
})

describe('runs of one schedule never overlap', () => {
	it('records a slot that comes while the previous run still goes as skipped', async () => {
		await createSchedule(TENANT, {
			...every('overlap', MIN),
			target: { agentId: 'main', session: 'overlap', message: '/slow 1500 still busy' },
		})
		const clock = { now: T0 + 1_000 }
		const tick = (at: number, waitMs: number) => {
			clock.now = at
			return inTimer(TENANT, 'overlap', clock, (logic) => logic.tick(), undefined, waitMs)
		}
		await inTimer(TENANT, 'overlap', clock, (logic) =>
			logic.arm({ tenantId: TENANT, scheduleId: 'overlap' }),
		)
		// The first turn takes longer than the alarm waits: it stays open into the next slot.
		await tick(T0 + MIN + 100, 50)
		await tick(T0 + 2 * MIN + 100, 50)
		expect((await runsOf(TENANT, 'overlap')).map((r) => [r.dueAt, r.status])).toEqual([
			[T0 + MIN, 'queued'],
			[T0 + 2 * MIN, 'skipped'],
		])
		// A later alarm waits long enough and settles it.
		await tick(T0 + 2 * MIN + 5_000, 20_000)
		expect((await runsOf(TENANT, 'overlap')).map((r) => r.status)).toEqual(['ok', 'skipped'])
	})
})

describe('cron through the timer', () => {
	it('fires `30 2 * * *` in Europe/Berlin once per local day across the spring change', async () => {
		await createSchedule(TENANT, {
			id: 'berlin',
			schedule: { kind: 'cron', expr: '30 2 * * *', timeZone: 'Europe/Berlin' },
			target: { agentId: 'main', session: 'isolated', message: 'nightly' },
		})
		const clock = { now: Date.parse('2027-03-26T12:00:00Z') }
		const armed = () =>
			inTimer(TENANT, 'berlin', clock, (_l, ledger) => ledger.armed()?.dueAt ?? null)
		await inTimer(TENANT, 'berlin', clock, (logic) =>
			logic.arm({ tenantId: TENANT, scheduleId: 'berlin' }),
		)
		for (let day = 0; day < 4; day++) {
			const due = (await armed()) as number
			// An early alarm first (runtimes may deliver them), then the due one, then a repeat.
			for (const at of [due - 5_000, due + 2_000, due + 3_000]) {
				clock.now = at
				await inTimer(TENANT, 'berlin', clock, (logic) => logic.tick())
			}
		}
		const runs = await runsOf(TENANT, 'berlin')
		expect(runs.map((r) => new Date(r.dueAt as number).toISOString())).toEqual([
			'2027-03-27T01:30:00.000Z',
			'2027-03-28T01:00:00.000Z',
			'2027-03-29T00:30:00.000Z',
			'2027-03-30T00:30:00.000Z',
		])
		expect(runs.every((r) => r.status === 'ok')).toBe(true)
	})
})

describe('the timer follows its row', () => {
	it('a timer whose schedule was deleted behind its back clears itself at its alarm', async () => {
		await createSchedule(TENANT, every('orphan', HOUR))
		await env.DB.prepare('DELETE FROM schedules WHERE tenant_id = ? AND id = ?')
			.bind(TENANT, 'orphan')
			.run()
		const stub = timerStub(TENANT, 'orphan')
		expect(await runDurableObjectAlarm(stub)).toBe(true)
		const left = await runInDurableObject(stub, async (_i, state) => ({
			armed: new ScheduleLedger(state.storage.sql).armed(),
			alarm: await state.storage.getAlarm(),
		}))
		expect(left).toEqual({ armed: undefined, alarm: null })
	})
})
