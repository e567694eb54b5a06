// ScheduleTimer: one Durable Object per schedule (named `<tenant>/<schedule>`), whose alarm is the
// schedule's next due time and whose SQLite keeps that slot and the fire ledger. Thin: the rules
// are ScheduleTimerLogic (src/automation/schedules/timer.ts), loaded as the object starts (not with
// the isolate); no event reaches the object before it is in place.
import { DurableObject } from 'cloudflare:workers'
import { ScheduleLedger, type ScheduleRun } from '../src/automation/schedules/ledger'
import type { ScheduleKey, ScheduleTimerLogic } from '../src/automation/schedules/timer'
import { loggerFromEnv } from '../src/observability/logger'

export class ScheduleTimer extends DurableObject<Env> {
	#logic!: ScheduleTimerLogic

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env)
		void ctx.blockConcurrencyWhile(async () => {
			const { ScheduleTimerLogic } = await import('../src/automation/schedules/timer')
			this.#logic = this.#build(ScheduleTimerLogic)
		})
	}

	#build(Logic: typeof ScheduleTimerLogic): ScheduleTimerLogic {
		const { ctx, env } = this
		const ledger = new ScheduleLedger(ctx.storage.sql)
		return new Logic({
			env,
			ledger,
			transaction: (fn) => ctx.storage.transactionSync(fn),
			setAlarm: (at) => ctx.storage.setAlarm(at),
			deleteAlarm: () => ctx.storage.deleteAlarm(),
			wipe: async () => {
				await ctx.storage.deleteAlarm()
				await ctx.storage.deleteAll()
				ledger.init()
			},
			now: Date.now,
			newId: () => crypto.randomUUID(),
			fetch: (input, init) => fetch(input, init),
			logger: loggerFromEnv(env, { schedule: ctx.id.name }),
		})
	}

	/** After a create or a change: the next due time from the stored definition (null: none). */
	arm(key: ScheduleKey): Promise<number | null> {
		return this.#logic.arm(key)
	}

	/** After a delete: no alarm, no ledger. */
	disarm(): Promise<void> {
		return this.#logic.disarm()
	}

	runNow(key: ScheduleKey): Promise<ScheduleRun | undefined> {
		return this.#logic.runNow(key)
	}

	runs(limit: number, beforeSeq?: number): ScheduleRun[] {
		return this.#logic.runs(Math.min(Math.max(1, limit), 200), beforeSeq)
	}

	override async alarm(): Promise<void> {
		await this.#logic.tick()
	}
}
