// A lane's host: everything the lane needs from the platform (storage, clock, alarm, gate, index,
// subscribers, the model, the tools, the sink of channel replies), as an interface the Durable Object fills in — and two pieces of that
// host which sit between the lane and the platform: coalesced alarm writes and the coalesced,
// ordered writer of the D1 sessions index. They take their platform parts as arguments, so they
// test without a Durable Object.
import type { AgentRunner, AgentSnapshot } from '../agents/runner'
import type { SubagentHost } from '../automation/subagents/ports'
import { PacedWrites } from '../db/paced-writes'
import type { Logger } from '../observability/logger'
import type { MetricsSink } from '../observability/metrics'
import type { UsageSink } from '../observability/usage'
import type { SessionRef } from '../security/subject'
import type { Toolbox } from '../tools/toolbox'
import type { LaneStore } from './store'
import type { LaneEvent, ReplyRoute } from './types'

/** The tenant's cap on concurrently running turns, seen from one lane. */
export interface SlotGate {
	/** Takes (or renews) this lane's slot; false = queued as a waiter, `slotGranted` follows. */
	acquire(ttlMs: number, limit: number): Promise<boolean>
	release(): Promise<void>
}

/** A session's row in the D1 index. */
export interface IndexRow {
	createdAt: number
	updatedAt: number
	messageCount: number
	/** Tool calls waiting for a human's decision. */
	pendingApprovals: number
	lastRunId?: string
	lastRunStatus?: string
	/** Runs waiting in the lane's queue. */
	queuedRuns: number
	/** Since when a run has been stuck (stuck.ts) without the lane resolving it; null = none. */
	stuckSince: number | null
}

/**
 * The D1 index of sessions. Writes are asynchronous and ordered; failures are logged. `now` asks
 * for the write without the usual pacing (approvals: the tenant's pending list reads them). A row
 * given as a function is read when its write goes out, so a lane asking on every message reads its
 * storage once per write instead of once per message (the latest state wins either way); such a
 * row describes the whole row, so a later one replaces an earlier one without reading it.
 */
export interface SessionIndex {
	upsert(session: SessionRef, row: IndexRow | (() => IndexRow), options?: { now?: boolean }): void
	remove(session: SessionRef): Promise<void>
}

export interface Subscribers {
	broadcast(event: LaneEvent): void
	closeAll(code: number, reason: string): void
	/** Event streams (SSE) open now: a throwaway session is not deleted under them. */
	readonly streamCount?: number
}

/** One message of the outbox, as the channel side sends it. */
export interface OutboundDelivery {
	id: string
	session: SessionRef
	runId: string | null
	route: ReplyRoute
	kind: 'text' | 'approval'
	text?: string
	approval?: { id: string; tool: string; summary: string }
	/** 1-based place of this message in its reply, of `parts`. */
	part: number
	parts: number
	/** 1 on the first try; in `failed`, the tries made (0 when its deadline passed before any). */
	attempt: number
	/** Aborts when the try times out (SEND_TIMEOUT_MS): the request to the platform should stop. */
	signal?: AbortSignal
}

export type DeliveryResult =
	| { ok: true }
	| { ok: false; error: string; retryAfterMs?: number; permanent?: boolean }

/** Where a lane's replies leave for their channels (the channels front door fills it in). */
export interface ReplySink {
	/** Splits a reply into the messages the route's channel sends (pure, synchronous). */
	chunk(route: ReplyRoute, text: string): string[]
	send(delivery: OutboundDelivery): Promise<DeliveryResult>
	/** "typing…" where the channel has it; best effort, errors swallowed by the caller. */
	typing(route: ReplyRoute): Promise<void>
	/**
	 * A delivery gave up (dead letter): recorded where operators can list it. Rejects when it could
	 * not be recorded; the lane tries again (same delivery id, so a record must be idempotent).
	 */
	failed(delivery: OutboundDelivery, error: string): Promise<void>
}

export interface LaneHost {
	store: LaneStore
	transaction<T>(fn: () => T): T
	now(): number
	newId(): string
	setAlarm(at: number | null): void
	/** True when an alarm is scheduled in the future. */
	alarmPending(): boolean
	deleteAll(): Promise<void>
	subscribers: Subscribers
	gate(tenantId: string): SlotGate
	index: SessionIndex
	runnerFor(agent: AgentSnapshot): AgentRunner
	/** Where the model calls of finished runs are accounted (D1 day totals, their metric points). */
	usage: UsageSink
	/** Where the lane's metric points go: runs, tools, recoveries, compactions, stuck runs, deliveries. */
	metrics: MetricsSink
	/**
	 * Writes what the usage totals and metric rollups hold back for pacing, now: a deleted
	 * throwaway session's instance need not live another interval, and its usage must count.
	 */
	flushWrites?(): Promise<void>
	/** Tools: which an agent sees, policy, the tool-jobs queue, records. */
	toolbox: Toolbox
	/** Sends replies of runs that carry a reply route; absent = such runs deliver nothing (logged once). */
	replies?: ReplySink
	/** Other lanes and agents of the tenant, for subagents; absent = the sessions tools fail. */
	subagents?: SubagentHost
	/**
	 * Hands over background work (the outbox's drain, dead-letter records). In a Durable Object
	 * this keeps nothing alive: what must finish is kept in storage and resumed by the alarm or
	 * after a restart. Tests use it to wait for that work.
	 */
	waitUntil?(promise: Promise<unknown>): void
	logger: Logger
}

export interface AlarmStorage {
	getAlarm(): Promise<number | null>
	setAlarm(at: number): Promise<void>
	deleteAlarm(): Promise<void>
}

/**
 * One alarm per object, written only when it must move earlier (or away): an alarm due sooner than
 * asked is kept, because the lane reschedules whenever one fires. Saves a storage write per turn.
 */
export class AlarmScheduler {
	readonly #storage: AlarmStorage
	readonly #logger: Logger
	readonly #now: () => number
	/** The alarm this object last set; undefined until `load()` reads it back. */
	#at: number | null | undefined

	constructor(storage: AlarmStorage, logger: Logger, now: () => number = Date.now) {
		this.#storage = storage
		this.#logger = logger
		this.#now = now
	}

	async load(): Promise<void> {
		this.#at = await this.#storage.getAlarm()
	}

	/** True when this object has an alarm scheduled in the future. */
	pending(): boolean {
		return typeof this.#at === 'number' && this.#at > this.#now()
	}

	/** The alarm has fired and is gone. */
	fired(): void {
		this.#at = null
	}

	set(at: number | null): void {
		const fail = (error: unknown) => this.#logger.error('lane.alarm_failed', { error })
		if (at === null) {
			if (this.#at === null) return
			this.#at = null
			this.#storage.deleteAlarm().catch(fail)
			return
		}
		if (typeof this.#at === 'number' && this.#at > this.#now() && this.#at <= at) return
		this.#at = at
		this.#storage.setAlarm(at).catch(fail)
	}
}

/** A write of the sessions index waiting to go: the row it replaces, and its own (maybe unread). */
interface PendingRow {
	base: (SessionRef & Partial<IndexRow>) | undefined
	session: SessionRef
	row: IndexRow | (() => IndexRow)
}

const rowOf = (p: PendingRow): SessionRef & IndexRow => ({
	...p.base,
	...p.session,
	...(typeof p.row === 'function' ? p.row() : p.row),
})

/** Tries of a failed index write after the first, one interval apart. */
const INDEX_RETRIES = 3

/**
 * Writes to the D1 sessions index in order, and at most once per `intervalMs`: the latest state
 * wins, so a busy session costs D1 one write per interval instead of one per turn. A write asked
 * for `now` (an approval requested or settled) goes at once.
 */
export class CoalescedIndex implements SessionIndex {
	readonly #writes: PacedWrites<PendingRow>
	readonly #remove: (ref: SessionRef) => Promise<void>

	constructor(options: {
		write: (row: SessionRef & IndexRow) => Promise<void>
		remove: (ref: SessionRef) => Promise<void>
		intervalMs: number
		waitUntil: (p: Promise<unknown>) => void
		logger: Logger
	}) {
		this.#writes = new PacedWrites<PendingRow>({
			...options,
			write: (pending) => options.write(rowOf(pending)),
			// An upsert is the session's whole row: repeating it is safe, and a lost one could hide a
			// pending approval until the session next changes.
			retries: INDEX_RETRIES,
			failed: (error) => options.logger.error('lane.index_failed', { error }),
		})
		this.#remove = options.remove
	}

	upsert(
		session: SessionRef,
		row: IndexRow | (() => IndexRow),
		options: { now?: boolean } = {},
	): void {
		// Fields this row leaves out (an approval's write has no run) keep what is pending. A row to
		// be read describes the whole row: one still unread gives way to a later one unread.
		this.#writes.put((pending) => {
			const replaced =
				pending && typeof pending.row === 'function' && typeof row === 'function'
					? pending.base
					: pending && rowOf(pending)
			return { base: replaced, session, row }
		}, options)
	}

	async remove(session: SessionRef): Promise<void> {
		await this.#writes.discard()
		await this.#remove(session)
	}

	/** Resolves once every write so far has landed (tests, shutdown). */
	settled(): Promise<void> {
		return this.#writes.settled()
	}
}
