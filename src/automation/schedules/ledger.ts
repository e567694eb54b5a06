// A ScheduleTimer object's own SQLite: the armed slot (due time, the definition version it was
// computed from) and the fire ledger. A slot's row is unique by its due time, so claiming a slot
// twice (an early, repeated or retried alarm, a restart) finds the first claim and fires nothing.

export const RUN_STATUSES = ['queued', 'ok', 'failed', 'missed', 'skipped'] as const
export type ScheduleRunStatus = (typeof RUN_STATUSES)[number]

/** `suppressed`: a heartbeat's `HEARTBEAT_OK` answer, not delivered by design. */
export const DELIVERY_STATES = [
	'none',
	'pending',
	'outbox',
	'sent',
	'failed',
	'suppressed',
] as const
export type DeliveryState = (typeof DELIVERY_STATES)[number]

export interface ScheduleRun {
	seq: number
	id: string
	/** `schedule` for a slot, `manual` for POST …/run. */
	trigger: 'schedule' | 'manual'
	/** The slot's due time (null for a manual run). */
	dueAt: number | null
	firedAt: number
	finishedAt: number | null
	status: ScheduleRunStatus
	laneRunId: string | null
	sessionKey: string | null
	error: string | null
	delivery: DeliveryState
	deliveryError: string | null
	/** Webhook POSTs tried so far. */
	deliveryAttempts: number
	/** While a webhook delivery is `pending` after a failed try: when the next try is due. */
	deliveryNextAt: number | null
}

/** A run's fields as written at a claim (the delivery retry fields start empty). */
export type NewScheduleRun = Omit<ScheduleRun, 'seq' | 'deliveryAttempts' | 'deliveryNextAt'>

export interface ArmedSlot {
	tenantId: string
	scheduleId: string
	version: number
	dueAt: number | null
}

/** Runs kept per schedule; older ones (all before the armed slot) are pruned. */
export const KEEP_RUNS = 500

type Row = Record<string, SqlStorageValue>

const runOf = (r: Row): ScheduleRun => ({
	seq: r.seq as number,
	id: r.id as string,
	trigger: r.trigger as ScheduleRun['trigger'],
	dueAt: r.due_at as number | null,
	firedAt: r.fired_at as number,
	finishedAt: r.finished_at as number | null,
	status: r.status as ScheduleRunStatus,
	laneRunId: r.lane_run_id as string | null,
	sessionKey: r.session_key as string | null,
	error: r.error as string | null,
	delivery: r.delivery as DeliveryState,
	deliveryError: r.delivery_error as string | null,
	deliveryAttempts: (r.delivery_attempts as number | null) ?? 0,
	deliveryNextAt: (r.delivery_next_at as number | null) ?? null,
})

export class ScheduleLedger {
	readonly #sql: SqlStorage

	constructor(sql: SqlStorage) {
		this.#sql = sql
		this.init()
	}

	/** Creates the tables (again, after the object's storage was wiped). */
	init(): void {
		const sql = this.#sql
		sql.exec(`CREATE TABLE IF NOT EXISTS armed (
			one INTEGER PRIMARY KEY CHECK (one = 1),
			tenant_id TEXT NOT NULL,
			schedule_id TEXT NOT NULL,
			version INTEGER NOT NULL,
			due_at INTEGER
		)`)
		sql.exec(`CREATE TABLE IF NOT EXISTS runs (
			seq INTEGER PRIMARY KEY AUTOINCREMENT,
			id TEXT NOT NULL UNIQUE,
			trigger TEXT NOT NULL,
			due_at INTEGER UNIQUE,
			fired_at INTEGER NOT NULL,
			finished_at INTEGER,
			status TEXT NOT NULL,
			lane_run_id TEXT,
			session_key TEXT,
			error TEXT,
			delivery TEXT NOT NULL,
			delivery_error TEXT
		)`)
		// Added after the first objects were created: an older ledger gets the columns here.
		const columns = new Set(
			sql
				.exec<Row>('PRAGMA table_info(runs)')
				.toArray()
				.map((c) => c.name as string),
		)
		if (!columns.has('delivery_attempts')) {
			sql.exec('ALTER TABLE runs ADD COLUMN delivery_attempts INTEGER NOT NULL DEFAULT 0')
		}
		if (!columns.has('delivery_next_at')) {
			sql.exec('ALTER TABLE runs ADD COLUMN delivery_next_at INTEGER')
		}
		if (!columns.has('delivery_body')) sql.exec('ALTER TABLE runs ADD COLUMN delivery_body TEXT')
		sql.exec('CREATE INDEX IF NOT EXISTS runs_status ON runs (status)')
		sql.exec('CREATE INDEX IF NOT EXISTS runs_delivery_next ON runs (delivery_next_at)')
		sql.exec('CREATE TABLE IF NOT EXISTS notes (key TEXT PRIMARY KEY, value INTEGER NOT NULL)')
	}

	/** A number the timer keeps between alarms (a heartbeat's last seen activity). */
	noted(key: string): number | undefined {
		const r = this.#sql.exec<Row>('SELECT value FROM notes WHERE key = ?', key).toArray()[0]
		return r ? (r.value as number) : undefined
	}

	note(key: string, value: number): void {
		this.#sql.exec(
			'INSERT INTO notes (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
			key,
			value,
		)
	}

	/** True when one of this schedule's runs was the lane run `laneRunId`. */
	hasLaneRun(laneRunId: string): boolean {
		return (
			this.#sql.exec<Row>('SELECT 1 FROM runs WHERE lane_run_id = ? LIMIT 1', laneRunId).toArray()
				.length > 0
		)
	}

	armed(): ArmedSlot | undefined {
		const r = this.#sql.exec<Row>('SELECT * FROM armed WHERE one = 1').toArray()[0]
		if (!r) return undefined
		return {
			tenantId: r.tenant_id as string,
			scheduleId: r.schedule_id as string,
			version: r.version as number,
			dueAt: r.due_at as number | null,
		}
	}

	arm(slot: ArmedSlot): void {
		this.#sql.exec(
			`INSERT INTO armed (one, tenant_id, schedule_id, version, due_at) VALUES (1, ?, ?, ?, ?)
			 ON CONFLICT (one) DO UPDATE SET tenant_id = excluded.tenant_id,
			 schedule_id = excluded.schedule_id, version = excluded.version, due_at = excluded.due_at`,
			slot.tenantId,
			slot.scheduleId,
			slot.version,
			slot.dueAt,
		)
	}

	/**
	 * Records a slot's run; false when the slot already has one (it fired, or was recorded
	 * missed, before) — the one check that makes a fire happen once.
	 */
	claim(run: NewScheduleRun): boolean {
		const cursor = this.#sql.exec(
			`INSERT INTO runs (id, trigger, due_at, fired_at, finished_at, status, lane_run_id,
			 session_key, error, delivery, delivery_error)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			run.id,
			run.trigger,
			run.dueAt,
			run.firedAt,
			run.finishedAt,
			run.status,
			run.laneRunId,
			run.sessionKey,
			run.error,
			run.delivery,
			run.deliveryError,
		)
		return cursor.rowsWritten > 0
	}

	update(
		id: string,
		set: Partial<Omit<ScheduleRun, 'seq' | 'id'>> & { deliveryBody?: string | null },
	): void {
		const columns: Record<string, string> = {
			finishedAt: 'finished_at',
			status: 'status',
			laneRunId: 'lane_run_id',
			sessionKey: 'session_key',
			error: 'error',
			delivery: 'delivery',
			deliveryError: 'delivery_error',
			deliveryAttempts: 'delivery_attempts',
			deliveryNextAt: 'delivery_next_at',
			deliveryBody: 'delivery_body',
		}
		const entries = Object.entries(set).filter(([k]) => columns[k] !== undefined)
		if (entries.length === 0) return
		this.#sql.exec(
			`UPDATE runs SET ${entries.map(([k]) => `${columns[k]} = ?`).join(', ')} WHERE id = ?`,
			...entries.map(([, v]) => v as SqlStorageValue),
			id,
		)
	}

	get(id: string): ScheduleRun | undefined {
		const r = this.#sql.exec<Row>('SELECT * FROM runs WHERE id = ?', id).toArray()[0]
		return r ? runOf(r) : undefined
	}

	/** Runs still waiting for their turn's outcome, oldest first. */
	pending(limit = 10): ScheduleRun[] {
		return this.#sql
			.exec<Row>("SELECT * FROM runs WHERE status = 'queued' ORDER BY seq LIMIT ?", limit)
			.toArray()
			.map(runOf)
	}

	/** Finished runs whose webhook delivery is waiting for a retry due by `now`, oldest first. */
	retriesDue(now: number, limit = 10): Array<{ run: ScheduleRun; body: string | null }> {
		return this.#sql
			.exec<Row>(
				`SELECT * FROM runs WHERE delivery_next_at IS NOT NULL AND delivery_next_at <= ?
				 AND delivery = 'pending' AND status != 'queued' ORDER BY delivery_next_at LIMIT ?`,
				now,
				limit,
			)
			.toArray()
			.map((r) => ({ run: runOf(r), body: r.delivery_body as string | null }))
	}

	/** When the earliest waiting delivery retry is due; null when none waits. */
	nextRetryAt(): number | null {
		const r = this.#sql
			.exec<Row>(
				"SELECT MIN(delivery_next_at) AS at FROM runs WHERE delivery = 'pending' AND delivery_next_at IS NOT NULL",
			)
			.toArray()[0]
		return (r?.at as number | null | undefined) ?? null
	}

	/** Newest first, before `beforeSeq`. */
	list(limit: number, beforeSeq?: number): ScheduleRun[] {
		return this.#sql
			.exec<Row>(
				'SELECT * FROM runs WHERE seq < ? ORDER BY seq DESC LIMIT ?',
				beforeSeq ?? Number.MAX_SAFE_INTEGER,
				limit,
			)
			.toArray()
			.map(runOf)
	}

	/** Drops finished runs beyond the newest KEEP_RUNS. */
	prune(): void {
		this.#sql.exec(
			`DELETE FROM runs WHERE status != 'queued' AND delivery != 'pending' AND seq <= (SELECT seq FROM runs ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
			KEEP_RUNS,
		)
	}
}
