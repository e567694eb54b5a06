// AuditChain: one per tenant, the single writer of the tenant's tamper-evident chain in D1. It keeps
// the chain head (last seq and hash, first keyed seq) in its own storage, out of reach of anyone
// who can write D1: the next seq comes from there (never reused after a tail is deleted), and
// `verify` compares D1's end with it. It keys row hashes and signs checkpoints (every
// CHECKPOINT_EVERY rows and on request) with keys derived from EDGECLAW_AUDIT_KEY. Its D1 code
// (drizzle and the schema) loads with the object's first chain operation, not with the isolate.
import { DurableObject } from 'cloudflare:workers'
import type { KeptHead } from '../src/db/audit'
import type { Db } from '../src/db/client'
import { loggerFromEnv } from '../src/observability/logger'
import {
	type AuditEvent,
	type AuditRow,
	type ChainHead,
	nextRow,
	PLATFORM_CHAIN,
} from '../src/security/audit'
import { type Checkpoint, signCheckpoint } from '../src/security/audit-checkpoint'
import { type AuditKeyRing, auditKeyRing } from '../src/security/audit-key'

/** Rows between automatic checkpoints. */
export const CHECKPOINT_EVERY = 100
/** Appends that find their seq taken by a row this object did not write before giving up. */
const MAX_FOREIGN_SKIPS = 5

interface StoredHead extends KeptHead {
	tenant: string
}

export type CheckpointResult =
	| { ok: true; checkpoint: Checkpoint }
	| { ok: false; reason: 'empty' | 'no_key' }

const eventOf = (row: AuditRow): AuditEvent => ({
	tenantId: row.tenantId,
	actor: row.actor,
	action: row.action,
	outcome: row.outcome,
	data: row.data,
	...(row.target !== null && { target: row.target }),
	...(row.requestId !== null && { requestId: row.requestId }),
	...(row.traceId != null && { traceId: row.traceId }),
})

export class AuditChain extends DurableObject<Env> {
	/** Serialises the object's work; its first item loads the D1 code. */
	#queue: Promise<unknown> = this.#loadRows()
	readonly #log = loggerFromEnv(this.env, { auditChain: this.ctx.id.toString().slice(0, 12) })

	#rows!: typeof import('../src/db/audit')
	#db!: Db

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env)
		ctx.storage.sql.exec(
			'CREATE TABLE IF NOT EXISTS checkpoints (seq INTEGER NOT NULL, kid TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (seq, kid))',
		)
	}

	async #loadRows(): Promise<void> {
		const [rows, client] = await Promise.all([
			import('../src/db/audit'),
			import('../src/db/client'),
		])
		this.#rows = rows
		this.#db = client.database(this.env.DB)
	}

	/** Appends in arrival order; resolves with the stored row. */
	append(event: AuditEvent): Promise<AuditRow> {
		return this.#serial(() => this.#append(event))
	}

	/** The kept head, null while this object has written nothing. */
	head(): Promise<KeptHead | null> {
		return this.#serial(async () => {
			await this.#settle()
			const head = this.#kept()
			return head ? { seq: head.seq, hash: head.hash, keyedSince: head.keyedSince } : null
		})
	}

	/** Signs the current head now (or returns the checkpoint of it made earlier). */
	checkpoint(): Promise<CheckpointResult> {
		return this.#serial(async () => {
			await this.#settle()
			const head = this.#kept()
			if (!head) return { ok: false, reason: 'empty' }
			const ring = await auditKeyRing(this.env)
			if (!ring.current) return { ok: false, reason: 'no_key' }
			const [kept] = this.ctx.storage.sql
				.exec<{ body: string }>(
					'SELECT body FROM checkpoints WHERE seq = ? AND kid = ?',
					head.seq,
					ring.current.id,
				)
				.toArray()
			if (kept) return { ok: true, checkpoint: JSON.parse(kept.body) as Checkpoint }
			return { ok: true, checkpoint: await this.#sign(head, ring) }
		})
	}

	/** Kept checkpoints, newest first; `before` a seq to page on. */
	checkpoints(options: { before?: number; limit: number }): Checkpoint[] {
		return this.ctx.storage.sql
			.exec<{ body: string }>(
				'SELECT body FROM checkpoints WHERE seq < ? ORDER BY seq DESC, kid LIMIT ?',
				options.before ?? Number.MAX_SAFE_INTEGER,
				options.limit,
			)
			.toArray()
			.map((r) => JSON.parse(r.body) as Checkpoint)
	}

	#serial<T>(work: () => Promise<T>): Promise<T> {
		const next = this.#queue.then(work)
		this.#queue = next.catch(() => {})
		return next
	}

	#kept(): StoredHead | undefined {
		return this.ctx.storage.kv.get<StoredHead>('head')
	}

	async #append(event: AuditEvent): Promise<AuditRow> {
		await this.#settle()
		const db = this.#db
		const { chainHead } = this.#rows
		const kept = this.#kept()
		if (kept && kept.tenant !== event.tenantId) {
			throw new Error(`audit event for "${event.tenantId}" sent to the chain of another tenant`)
		}
		let head: KeptHead | undefined = kept
		if (!head) {
			// First append this object makes: continue a chain written before it kept the head, or
			// start one — only for a tenant that exists (events about any other go to the platform).
			const last = await chainHead(db, event.tenantId)
			// The tenants' module (and their settings' schemas) loads here, not with the isolate.
			const { getTenant } = await import('../src/db/tenants')
			if (
				last.seq === 0 &&
				event.tenantId !== PLATFORM_CHAIN &&
				!(await getTenant(db, event.tenantId))
			) {
				return this.env.AUDIT.getByName(PLATFORM_CHAIN).append({
					...event,
					tenantId: PLATFORM_CHAIN,
					data: { ...event.data, tenant: event.tenantId, unknownTenant: true },
				})
			}
			head = { ...last, keyedSince: null }
		}
		return this.#write(event, head, await auditKeyRing(this.env))
	}

	/**
	 * Writes the row after `head`. The row is kept as `pending` before the D1 insert, so an insert
	 * whose answer is lost is neither lost nor written twice (#settle). A seq taken by a row this
	 * object did not write is skipped, the link kept: verify names that row.
	 */
	async #write(event: AuditEvent, head: KeptHead, ring: AuditKeyRing): Promise<AuditRow> {
		const db = this.#db
		const { chainHead, insertRow, rowAt } = this.#rows
		let seq = head.seq + 1
		for (let attempt = 0; attempt < MAX_FOREIGN_SKIPS; attempt++) {
			const row = await nextRow(head, event, Date.now(), ring.current, seq)
			this.ctx.storage.kv.put('pending', row)
			let inserted: boolean
			try {
				inserted = await insertRow(db, row)
			} catch (error) {
				// Landed anyway? Then it is stored. If D1 says it is not there, this event failed
				// (a bad row must not block the chain); if D1 cannot say, #settle decides later.
				if ((await rowAt(db, row.tenantId, row.seq))?.hash === row.hash) {
					await this.#commit(row, head, ring)
					return row
				}
				this.ctx.storage.kv.delete('pending')
				throw error
			}
			if (inserted) {
				await this.#commit(row, head, ring)
				return row
			}
			this.#log.error('audit.foreign_row', { tenant: event.tenantId, seq })
			seq = Math.max(seq, (await chainHead(db, event.tenantId)).seq) + 1
		}
		this.ctx.storage.kv.delete('pending')
		throw new Error(`audit chain of "${event.tenantId}": seqs keep being taken by another writer`)
	}

	async #commit(row: AuditRow, before: KeptHead, ring: AuditKeyRing): Promise<void> {
		const keyedSince = before.keyedSince ?? (row.keyId !== null ? row.seq : null)
		const head: StoredHead = { tenant: row.tenantId, seq: row.seq, hash: row.hash, keyedSince }
		this.ctx.storage.kv.put('head', head)
		this.ctx.storage.kv.delete('pending')
		if (ring.current && row.seq % CHECKPOINT_EVERY === 0) {
			// The row is stored; a checkpoint that fails is logged, never the append's failure.
			await this.#sign(head, ring).catch((error: unknown) =>
				this.#log.error('audit.checkpoint_failed', { seq: row.seq, error }),
			)
		}
	}

	/** Resolves a row left pending by an insert whose outcome is unknown. */
	async #settle(): Promise<void> {
		const pending = this.ctx.storage.kv.get<AuditRow>('pending')
		if (!pending) return
		const db = this.#db
		const { insertRow, rowAt } = this.#rows
		const ring = await auditKeyRing(this.env)
		const before: KeptHead = this.#kept() ?? {
			seq: pending.seq - 1,
			hash: pending.prevHash,
			keyedSince: null,
		}
		const stored = await rowAt(db, pending.tenantId, pending.seq)
		if (stored?.hash === pending.hash) return this.#commit(pending, before, ring)
		if (!stored) {
			let inserted: boolean
			try {
				inserted = await insertRow(db, pending)
			} catch (error) {
				// D1 answered the read but refuses this row: it would block the chain for good.
				this.#log.error('audit.pending_dropped', { seq: pending.seq, error })
				this.ctx.storage.kv.delete('pending')
				return
			}
			if (inserted) return this.#commit(pending, before, ring)
		}
		// Another row holds its seq: write the event again after the end of D1.
		this.ctx.storage.kv.delete('pending')
		await this.#write(eventOf(pending), before, ring)
	}

	async #sign(head: ChainHead & { tenant: string }, ring: AuditKeyRing): Promise<Checkpoint> {
		const key = ring.current
		if (!key) throw new Error('no audit key to sign with')
		const checkpoint = await signCheckpoint(
			key,
			{ tenant: head.tenant, seq: head.seq, hash: head.hash },
			Date.now(),
		)
		this.ctx.storage.sql.exec(
			'INSERT OR IGNORE INTO checkpoints (seq, kid, body) VALUES (?, ?, ?)',
			checkpoint.seq,
			checkpoint.kid,
			JSON.stringify(checkpoint),
		)
		return checkpoint
	}
}
