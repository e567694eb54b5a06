// TenantGate: one per tenant that sets a cap on concurrently running turns. Thin: the
// bookkeeping is GateBook (src/lanes/gate.ts); this class wakes lanes and keeps the alarm that
// frees slots of lanes that vanished.
import { DurableObject } from 'cloudflare:workers'
import { GateBook } from '../src/lanes/gate'
import { loggerFromEnv } from '../src/observability/logger'

export class TenantGate extends DurableObject<Env> {
	readonly #book: GateBook

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env)
		this.#book = new GateBook(ctx.storage.sql)
	}

	acquire(lane: string, ttlMs: number, limit: number): boolean {
		const decision = this.ctx.storage.transactionSync(() =>
			this.#book.acquire(lane, ttlMs, limit, Date.now()),
		)
		this.#wake(decision.notify)
		return decision.granted
	}

	release(lane: string): void {
		this.#wake(this.ctx.storage.transactionSync(() => this.#book.release(lane, Date.now())))
	}

	state(): ReturnType<GateBook['snapshot']> {
		return this.#book.snapshot()
	}

	override async alarm(): Promise<void> {
		this.#wake(this.ctx.storage.transactionSync(() => this.#book.sweep(Date.now())))
	}

	#wake(lanes: string[]): void {
		for (const lane of lanes) {
			this.ctx.waitUntil(
				this.env.SESSION_LANE.getByName(lane)
					.slotGranted()
					.catch((error: unknown) =>
						loggerFromEnv(this.env, { tenant: this.ctx.id.name }).error('gate.wake_failed', {
							lane,
							error,
						}),
					),
			)
		}
		const next = this.#book.nextExpiry()
		if (next !== null) void this.ctx.storage.setAlarm(next)
	}
}
