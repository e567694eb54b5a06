// Shared by the timer tests: schedules created through the API, and the timer's rules run inside
// its own Durable Object with a clock and a fetch the test holds.
import { env, runInDurableObject } from 'cloudflare:test'
import { ScheduleLedger, type ScheduleRun } from '../../src/automation/schedules/ledger'
import { ScheduleTimerLogic, timerName } from '../../src/automation/schedules/timer'
import { loggerFromEnv } from '../../src/observability/logger'
import { admin } from '../helpers'

export const T0 = Date.parse('2030-01-01T00:00:00Z')

export interface Clock {
	now: number
}

export interface Posted {
	url: string
	headers: Headers
	body: Uint8Array
}

/** A fetch that records every request and answers each URL with `status(url)`. */
export function receiver(status: (url: string) => number): {
	fetch: typeof fetch
	posted: Posted[]
} {
	const posted: Posted[] = []
	return {
		posted,
		fetch: async (input, init) => {
			const req = new Request(input, init)
			posted.push({
				url: req.url,
				headers: req.headers,
				body: new Uint8Array(await req.arrayBuffer()),
			})
			return new Response(null, { status: status(req.url) })
		},
	}
}

export const noNetwork: typeof fetch = async () => {
	throw new Error('this test has no network')
}

export async function createSchedule(
	tenantId: string,
	body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
	const res = await admin('/v1/schedules', {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-edgeclaw-tenant': tenantId },
		body: JSON.stringify(body),
	})
	if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`)
	return (await res.json()) as Record<string, unknown>
}

export const timerStub = (tenantId: string, id: string) =>
	env.SCHEDULE_TIMER.getByName(timerName(tenantId, id))

/** Runs `fn` inside the schedule's object with fresh timer rules (as after a restart). */
export function inTimer<R>(
	tenantId: string,
	id: string,
	clock: Clock,
	fn: (
		logic: ScheduleTimerLogic,
		ledger: ScheduleLedger,
		state: DurableObjectState,
	) => Promise<R> | R,
	fetcher: typeof fetch = noNetwork,
	turnWaitMs = 20_000,
): Promise<R> {
	return runInDurableObject(timerStub(tenantId, id), (_instance, state) => {
		const ledger = new ScheduleLedger(state.storage.sql)
		const logic = new ScheduleTimerLogic({
			env,
			ledger,
			transaction: (f) => state.storage.transactionSync(f),
			setAlarm: (at) => state.storage.setAlarm(at),
			deleteAlarm: () => state.storage.deleteAlarm(),
			wipe: async () => {
				await state.storage.deleteAlarm()
				await state.storage.deleteAll()
				ledger.init()
			},
			now: () => clock.now,
			newId: () => crypto.randomUUID(),
			fetch: fetcher,
			logger: loggerFromEnv(env, { test: 'schedule' }),
			turnWaitMs,
		})
		return fn(logic, ledger, state)
	})
}

/** Every run of the schedule, oldest first. */
export const runsOf = (tenantId: string, id: string): Promise<ScheduleRun[]> =>
	inTimer(tenantId, id, { now: 0 }, (_l, ledger) => ledger.list(1_000).reverse())

/** Arms the schedule at `at` and fires it by its own rules at each of `ticks`. */
export async function armAndTick(
	tenantId: string,
	id: string,
	at: number,
	ticks: number[],
	fetcher: typeof fetch = noNetwork,
): Promise<ScheduleRun[]> {
	const clock = { now: at }
	await inTimer(tenantId, id, clock, (logic) => logic.arm({ tenantId, scheduleId: id }))
	for (const t of ticks) {
		clock.now = t
		await inTimer(tenantId, id, clock, (logic) => logic.tick(), fetcher)
	}
	return runsOf(tenantId, id)
}
