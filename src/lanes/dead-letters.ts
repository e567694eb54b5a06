// A given-up delivery's dead letter reaches where operators list it (the sink's `failed`, a D1
// row) from the delivery's own row: the row stays marked until the record lands, so a write that
// fails, hangs or is cut off by an eviction is tried again on the outbox's drain and alarm, a few times.
import type { DeliveryRecord } from './delivery-store'
import type { LaneHost, OutboundDelivery, ReplySink } from './host'
import { backoff, bounded, type OutboxTimers } from './outbox-timers'
import type { LaneStore } from './store'

/** Tries to record one dead letter before it is given up (logged as an error). */
export const RECORD_TRIES = 6
/** Wait after the nth failed try: 30 s · 2^(n-1), at most 10 min (about 15 min in all). */
const RECORD_BACKOFF_MS = 30_000
const MAX_RECORD_BACKOFF_MS = 600_000
/** A record not finished in this long counts as failed; its row is leased to it meanwhile. */
const RECORD_TIMEOUT_MS = 30_000
/** Most records one pass starts. */
const RECORD_BATCH = 20

export type DeadLetterHost = Pick<LaneHost, 'store' | 'replies' | 'now' | 'logger' | 'waitUntil'>

export interface DeadLetterLane {
	tx<T>(fn: () => T): T
	/** A record's next try moved: the lane moves its alarm. */
	reschedule(): void
}

export class DeadLetters {
	readonly #h: DeadLetterHost
	readonly #lane: DeadLetterLane
	readonly #timers: OutboxTimers

	constructor(host: DeadLetterHost, lane: DeadLetterLane, timers: OutboxTimers) {
		this.#h = host
		this.#lane = lane
		this.#timers = timers
	}

	/** When the next record is due (Infinity: none). */
	nextDue(): number {
		return this.#h.store.deliveries.nextRecordAt()
	}

	/** Starts a record of every dead letter that is due (after a give-up, a commit, the alarm). */
	recordDue(): void {
		const { store } = this.#h
		const sink = this.#h.replies
		if (!sink || !store.exists()) return
		const now = this.#h.now()
		const due = store.deliveries.unrecorded(now, RECORD_BATCH)
		if (due.length === 0) return
		// Leased for the length of a try: no second try of a row starts while one is going.
		this.#lane.tx(() => {
			for (const d of due)
				store.deliveries.recordAgainAt(d.id, now + RECORD_TIMEOUT_MS, d.recordTries + 1)
		})
		for (const d of due) {
			const recording = this.#record(sink, d, d.recordTries + 1)
			if (this.#h.waitUntil) this.#h.waitUntil(recording)
		}
	}

	async #record(sink: ReplySink, d: DeliveryRecord, tries: number): Promise<void> {
		const { store, logger } = this.#h
		const error = d.error ?? 'failed'
		let failure: unknown
		try {
			const done = await bounded(
				this.#timers,
				RECORD_TIMEOUT_MS,
				() => sink.failed(outbound(store, d, d.attempts), error).then(() => true),
				() => false,
			)
			if (!done) failure = `no answer within ${RECORD_TIMEOUT_MS} ms`
		} catch (e) {
			failure = e
		}
		if (!store.exists()) return
		const fields = { deliveryId: d.id, channelId: d.channelId, tries, error: failure }
		if (failure === undefined || tries >= RECORD_TRIES) {
			if (failure !== undefined) logger.error('lane.dead_letter_unrecorded', fields)
			this.#lane.tx(() => store.deliveries.recordDone(d.id))
			return
		}
		logger.warn('lane.dead_letter_retry', fields)
		const next = this.#h.now() + backoff(tries, RECORD_BACKOFF_MS, MAX_RECORD_BACKOFF_MS)
		this.#lane.tx(() => store.deliveries.recordAgainAt(d.id, next, tries))
		this.#lane.reschedule()
	}
}

/** The delivery as the channel side sends (or records) it. */
export function outbound(store: LaneStore, d: DeliveryRecord, attempt: number): OutboundDelivery {
	const session = store.session() ?? { tenantId: '', agentId: '', sessionKey: '' }
	const base = {
		id: d.id,
		session,
		runId: d.runId,
		route: d.route,
		part: d.part,
		parts: d.parts,
		attempt,
	}
	if (d.kind === 'text') return { ...base, kind: 'text', text: d.body }
	return {
		...base,
		kind: 'approval',
		approval: JSON.parse(d.body) as { id: string; tool: string; summary: string },
	}
}
