// TenantGate: one per tenant, counting the tenant's running turns against its cap. Thin: the
// bookkeeping is GateBook (src/lanes/gate.ts); this class adds the tenant's limit and wakes lanes.
import { DurableObject } from 'cloudflare:workers'
import { GateBook, maxConcurrentRuns } from '../src/lanes/gate'
import { loggerFromEnv } from '../src/observability/logger'

const LIMIT_TTL_MS = 60_000

export class TenantGate extends DurableObject<Env> {
	readonly #book: GateBook
	#limit: { value: number; at: number } | undefined

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env)
		this.#book = new GateBook(ctx.storage.sql)
	}

	async acquire(lane: string, ttlMs: number): Promise<boolean> {
		const limit = await this.#currentLimit()
		const decision = this.ctx.storage.transactionSync(() =>
			this.#book.acquire(lane, ttlMs, limit, Date.now()),
		)
		this.#wake(decision.notify)
		return decision.granted
	}

	async release(lane: string): Promise<void> {
		const limit = await this.#currentLimit()
		this.#wake(this.ctx.storage.transactionSync(() => this.#book.release(lane, limit, Date.now())))
	}

	state(): ReturnType<GateBook['snapshot']> {
		return this.#book.snapshot()
	}

	override async alarm(): Promise<void> {
		const limit = await this.#currentLimit()
		this.#wake(this.ctx.storage.transactionSync(() => this.#book.sweep(limit, Date.now())))
	}

	/** The tenant's cap, from D1 tenant settings, re-read at most once a minute. */
	async #currentLimit(): Promise<number> {
		const now = Date.now()
		if (this.#limit && now - this.#limit.at < LIMIT_TTL_MS) return this.#limit.value
		let settings: unknown
		try {
			const row = await this.env.DB.prepare('SELECT settings FROM tenants WHERE id = ?')
				.bind(this.ctx.id.name ?? '')
				.first<{ settings: string }>()
			settings = row ? JSON.parse(row.settings) : undefined
		} catch (error) {
			loggerFromEnv(this.env, { tenant: this.ctx.id.name }).error('gate.limit_read_failed', {
				error,
			})
		}
		this.#limit = { value: maxConcurrentRuns(settings), at: now }
		return this.#limit.value
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
