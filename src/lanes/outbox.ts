// The lane's outbox: what runs answer to channels leaves from here. A run that carries a reply
// route gets its output (or a failure notice, or an approval) stored as deliveries in the same
// transaction that finishes it, and the lane sends them strictly in order, one in flight, with
// backoff, a deadline and a dead-letter state. The channel side is an injected ReplySink; routes
// are opaque JSON here. The rules are in docs/lanes.md ("Replies to channels").
import { isHeartbeatAck } from '../automation/heartbeat/ack'
import { DeadLetters, outbound } from './dead-letters'
import type { DeliveryRecord } from './delivery-store'
import type { DeliveryResult, LaneHost, OutboundDelivery, ReplySink } from './host'
import { deliveryPoint } from './metrics'
import { backoff, bounded, type OutboxTimers, realTimers } from './outbox-timers'
import type { DeliveryView, LaneEvent, LaneEventType, ReplyRoute } from './types'
import { RunTyping } from './typing'

export type { OutboxTimers } from './outbox-timers'

/** A delivery not sent within this long after it was stored is given up. */
export const DELIVERY_DEADLINE_MS = 15 * 60_000
/**
 * A send that has not answered by then counts as failed (and is tried again); its request is
 * aborted. A platform that took the message but answered later is the duplicate window's too.
 */
export const SEND_TIMEOUT_MS = 30_000
/** Backoff after the nth failed try: 1 s · 2^(n-1), at most this. */
const MAX_BACKOFF_MS = 60_000
/** Most characters of an approval's summary of the call's arguments. */
const SUMMARY_CHARS = 300
const SKIPPED = 'skipped: an earlier part failed'

/** What the outbox uses of its lane's host. */
export type OutboxHost = Pick<
	LaneHost,
	'store' | 'replies' | 'now' | 'newId' | 'logger' | 'waitUntil' | 'metrics'
>

/** What the outbox needs from its lane. */
export interface OutboxLane {
	/** The lane's transaction: events emitted inside reach subscribers once it commits. */
	tx<T>(fn: () => T): T
	emit(type: LaneEventType, runId: string | null, data: Record<string, unknown>): void
	/** The outbox's next due time changed: the lane moves its alarm. */
	reschedule(): void
	timers?: Partial<OutboxTimers> | undefined
}

/** The tries a delivery made (this one included) and how long this one took. */
interface Tried {
	attempts: number
	latencyMs: number
}

/** A caller that returns a run's answer itself (a webhook that waits): see LaneOutbox.hold. */
export interface ReplyHold {
	readonly runId: string
}

export class LaneOutbox {
	readonly #h: OutboxHost
	readonly #lane: OutboxLane
	readonly #timers: OutboxTimers
	readonly #holds = new Map<string, Set<ReplyHold>>()
	readonly #typing: RunTyping
	readonly #deadLetters: DeadLetters
	#draining = false
	/** The drain waits for its head to fall due (nothing is being sent). */
	#resting = false
	/** Ends the drain's wait at once (the storage was wiped). */
	#wake: (() => void) | undefined
	/** Bumped when the storage is wiped: a drain of the old storage stops. */
	#generation = 0
	/** The drain in progress, for `settled()`. */
	#drained: Promise<void> = Promise.resolve()
	/** Something was stored since the last commit: the drain starts after it. */
	#enqueued = false
	#warnedNoSink = false

	constructor(host: OutboxHost, lane: OutboxLane) {
		this.#h = host
		this.#lane = lane
		this.#timers = { ...realTimers, ...lane.timers }
		this.#typing = new RunTyping(host, this.#timers)
		this.#deadLetters = new DeadLetters(host, lane, this.#timers)
	}

	#waitUntil(promise: Promise<unknown>): void {
		if (this.#h.waitUntil) this.#h.waitUntil(promise)
	}

	// ── what enters the outbox ─────────────────────────────────────────────────────────────────

	/** A lane event was written (inside its transaction): a run's answer or approval goes out. */
	noted(event: LaneEvent): void {
		const { runId, data } = event
		if (!runId) return
		if (event.type === 'approval.requested') this.#enqueueApproval(runId, data)
		if (event.type === 'approval.resolved') this.#typing.resume(runId)
		// An error the lane retries (after a restart) is not the end of the run.
		if (event.type === 'error' && data.retrying === true) return
		if (event.type !== 'final' && event.type !== 'error' && event.type !== 'cancelled') return
		// The end of the run: a caller holding it returns the answer itself, and the run says so,
		// so that caller's retry gets the answer too (and nothing goes out here).
		if (this.#holds.has(runId)) {
			this.#h.store.runs.markAnsweredInline(runId)
			return
		}
		if (event.type === 'cancelled') return
		if (event.type === 'final') {
			this.#enqueueText(runId, typeof data.output === 'string' ? data.output : '')
		} else {
			this.#enqueueText(
				runId,
				`⚠️ The agent could not answer (${String(data.code ?? 'run_failed')}).`,
			)
		}
	}

	/** The transaction that stored deliveries committed: send them. */
	committed(): void {
		if (!this.#enqueued) return
		this.#enqueued = false
		this.resume()
	}

	#enqueueText(runId: string, text: string): void {
		const route = this.#route(runId)
		if (!route || text.trim() === '') return
		if (route.dropHeartbeatAck && isHeartbeatAck(text)) return
		const sink = this.#h.replies as ReplySink
		let parts: string[]
		try {
			parts = sink.chunk(route, text)
		} catch (error) {
			// A chunker that throws must not break the run's transaction: the reply goes whole,
			// and the channel's send says whether it can take it.
			this.#h.logger.error('lane.reply_chunk_failed', { runId, channelId: route.channelId, error })
			parts = [text]
		}
		this.#insert(runId, route, 'text', parts)
	}

	#enqueueApproval(runId: string, d: Record<string, unknown>): void {
		const route = this.#route(runId)
		if (!route) return
		const args = typeof d.args === 'string' ? d.args : JSON.stringify(d.args ?? null)
		const summary = args.length > SUMMARY_CHARS ? `${args.slice(0, SUMMARY_CHARS - 1)}…` : args
		const body = JSON.stringify({ id: d.approvalId, tool: d.tool, summary })
		this.#insert(runId, route, 'approval', [body])
	}

	/** The run's reply route, when it has one and there is a sink to send through. */
	#route(runId: string): ReplyRoute | null {
		const route = this.#h.store.runs.replyOf(runId)
		if (route && !this.#h.replies) {
			if (!this.#warnedNoSink) this.#h.logger.warn('lane.no_reply_sink', { runId })
			this.#warnedNoSink = true
			return null
		}
		return route
	}

	#insert(runId: string, route: ReplyRoute, kind: DeliveryView['kind'], bodies: string[]): void {
		const now = this.#h.now()
		for (const [i, body] of bodies.entries()) {
			this.#h.store.deliveries.insert({
				id: this.#h.newId(),
				runId,
				route,
				kind,
				body,
				part: i + 1,
				parts: bodies.length,
				createdAt: now,
				deadlineAt: now + DELIVERY_DEADLINE_MS,
			})
		}
		if (bodies.length > 0) this.#enqueued = true
	}

	// ── inline replies ─────────────────────────────────────────────────────────────────────────

	/**
	 * Holds a run's answer for a caller that waits to return it in its own response: if the run
	 * finishes while held, nothing goes to the outbox for its final or failure and the run is
	 * marked answered inline (`runs.answeredInline`). The hold itself is in memory: a restart
	 * loses it together with the waiting call, and the answer goes out here.
	 */
	hold(runId: string): ReplyHold {
		const hold: ReplyHold = { runId }
		const holds = this.#holds.get(runId) ?? new Set()
		holds.add(hold)
		this.#holds.set(runId, holds)
		return hold
	}

	release(hold: ReplyHold): void {
		const holds = this.#holds.get(hold.runId)
		holds?.delete(hold)
		if (holds?.size === 0) this.#holds.delete(hold.runId)
	}

	// ── typing ─────────────────────────────────────────────────────────────────────────────────

	/** "typing…" for a run with a route while it goes (see typing.ts); returns the stop. */
	typing(runId: string): () => void {
		return this.#typing.start(runId)
	}

	// ── sending ────────────────────────────────────────────────────────────────────────────────

	/**
	 * After a restart (call inside the recovery transaction): a send that was in flight may or may
	 * not have reached the platform; it is tried again. That crash window, between the platform
	 * taking a message and the row marked sent, is the one place a part can arrive twice.
	 */
	recover(now: number): void {
		this.#h.store.deliveries.requeueSending(now)
	}

	/**
	 * When the outbox next needs the lane awake (Infinity: never), for its alarm: the next due
	 * delivery or dead-letter record. While the drain is sending, no sooner than a send may take:
	 * it is awake and carries on by itself.
	 */
	nextDue(): number {
		if (!this.#h.replies || !this.#h.store.exists()) return Number.POSITIVE_INFINITY
		const head = this.#h.store.deliveries.headDueAt()
		const sending = this.#draining && !this.#resting
		const delivery = sending ? Math.max(head, this.#h.now() + SEND_TIMEOUT_MS) : head
		return Math.min(delivery, this.#deadLetters.nextDue())
	}

	/** Starts the drain unless it runs, and due dead-letter records (a commit, an alarm, a restart). */
	resume(): void {
		if (!this.#h.replies) return
		this.#deadLetters.recordDue()
		if (this.#draining) return
		this.#draining = true
		const generation = this.#generation
		// On a microtask: a caller inside a transaction's aftermath finishes first.
		this.#drained = Promise.resolve().then(() => this.#drain(generation))
		this.#waitUntil(this.#drained)
	}

	/**
	 * The lane's storage was wiped (destroy): a drain of it stops, even one waiting out a long
	 * retry, so a session created again in this object sends at once.
	 */
	forget(): void {
		this.#generation++
		this.#draining = false
		this.#resting = false
		this.#wake?.()
	}

	/** Resolves once no drain runs: everything due was sent, retried later or given up. */
	async settled(): Promise<void> {
		while (this.#draining) await this.#drained
	}

	async #drain(generation: number): Promise<void> {
		const current = () => generation === this.#generation && this.#h.store.exists()
		try {
			for (;;) {
				const sink = this.#h.replies
				if (!sink || !current()) return
				const head = this.#h.store.deliveries.head()
				if (!head) return
				const wait = head.nextAt - this.#h.now()
				if (wait > 0) await this.#rest(wait, generation)
				else await this.#attempt(sink, head, current)
			}
		} catch (error) {
			// Storage failed under the drain: the alarm (at the head's due time) starts it again.
			this.#h.logger.error('lane.outbox_failed', { error })
		} finally {
			if (generation === this.#generation) this.#draining = false
		}
	}

	/** Waits for the head to fall due; the alarm covers the wait should the object go away. */
	async #rest(ms: number, generation: number): Promise<void> {
		this.#resting = true
		this.#lane.reschedule()
		// Woken early by `forget`; either way the timer goes with the wait (a Retry-After may be minutes).
		const stop = new AbortController()
		try {
			await Promise.race([
				this.#timers.sleep(ms, stop.signal).catch(() => {}),
				new Promise<void>((resolve) => {
					this.#wake = resolve
				}),
			])
		} finally {
			stop.abort()
			// A drain stopped by `forget` leaves a newer drain's state alone.
			if (generation === this.#generation) {
				this.#resting = false
				this.#wake = undefined
			}
		}
	}

	async #attempt(sink: ReplySink, d: DeliveryRecord, current: () => boolean): Promise<void> {
		const { store, logger } = this.#h
		const now = this.#h.now()
		if (now >= d.deadlineAt) {
			const error = d.error ? `${d.error} (deadline passed)` : 'deadline passed before it was sent'
			return this.#giveUp(d, error, { attempts: d.attempts, latencyMs: 0 })
		}
		const attempt = d.attempts + 1
		this.#lane.tx(() => store.deliveries.markSending(d.id, attempt, now + SEND_TIMEOUT_MS))
		const result = await send(sink, outbound(store, d, attempt), this.#timers)
		if (!current()) return
		const after = this.#h.now()
		const tried = { attempts: attempt, latencyMs: after - now }
		if (result.ok) {
			this.#lane.tx(() => store.deliveries.markSent(d.id, after))
			this.#measure(d, 'sent', tried)
		} else {
			if (result.permanent) return this.#giveUp(d, result.error, tried)
			// A platform's "retry now" (Retry-After: 0, a date past) still waits the backoff.
			const asked = result.retryAfterMs
			const normal = backoff(attempt, 1_000, MAX_BACKOFF_MS)
			const wait =
				asked !== undefined && Number.isFinite(asked) && asked >= 0
					? Math.max(asked, normal)
					: normal
			if (after + wait > d.deadlineAt) {
				return this.#giveUp(d, `${result.error} (deadline passed)`, tried)
			}
			logger.warn('lane.delivery_retry', {
				deliveryId: d.id,
				channelId: d.channelId,
				attempt,
				waitMs: wait,
				error: result.error,
			})
			this.#lane.tx(() => store.deliveries.retryAt(d.id, after + wait, result.error))
			this.#measure(d, 'retry', tried)
		}
		this.#lane.reschedule()
	}

	/** A `delivery` point: one try (sent, or to retry), or the giving up. */
	#measure(d: DeliveryRecord, outcome: 'sent' | 'retry' | 'failed', tried: Tried): void {
		const session = this.#h.store.session()
		if (!session) return
		this.#h.metrics.write(deliveryPoint(session, d, outcome, tried.attempts, tried.latencyMs))
	}

	/**
	 * Dead letter: the delivery and the rest of its reply fail, visibly (event, log, record, one
	 * `failed` point; the later parts it skips were never tried and are not measured).
	 */
	#giveUp(d: DeliveryRecord, error: string, tried: Tried): void {
		const { store, logger } = this.#h
		const skipped = this.#lane.tx(() => {
			store.deliveries.markFailed(d.id, error, this.#h.now())
			const skipped = store.deliveries.failLaterParts(d, SKIPPED)
			this.#lane.emit('delivery.failed', d.runId, {
				deliveryId: d.id,
				channelId: d.channelId,
				part: d.part,
				parts: d.parts,
				error,
				skipped,
			})
			return skipped
		})
		this.#measure(d, 'failed', tried)
		logger.warn('lane.delivery_failed', {
			deliveryId: d.id,
			channelId: d.channelId,
			error,
			skipped,
		})
		this.#deadLetters.recordDue()
		this.#lane.reschedule()
	}
}

/**
 * One try through the sink; a sink that throws, hangs or answers nonsense failed this try. One
 * that hangs past SEND_TIMEOUT_MS has its request aborted through the delivery's `signal`.
 */
async function send(
	sink: ReplySink,
	delivery: OutboundDelivery,
	timers: OutboxTimers,
): Promise<DeliveryResult> {
	try {
		const result = await bounded(
			timers,
			SEND_TIMEOUT_MS,
			(signal) => sink.send({ ...delivery, signal }),
			(): DeliveryResult => ({ ok: false, error: `no answer within ${SEND_TIMEOUT_MS} ms` }),
		)
		if (result?.ok === true) return { ok: true }
		if (result?.ok === false) return { ...result, error: String(result.error ?? 'send failed') }
		return { ok: false, error: 'the channel answered nothing usable' }
	} catch (error) {
		return { ok: false, error: error instanceof Error ? error.message : String(error) }
	}
}
