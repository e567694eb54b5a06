// The lane's outbox: what runs answer to channels leaves from here. A run that carries a reply
// route gets its output (or a failure notice, or an approval) stored as deliveries in the same
// transaction that finishes it, and the lane sends them strictly in order, one in flight, with
// backoff, a deadline and a dead-letter state. The channel side is an injected ReplySink; routes
// are opaque JSON here. The rules are in docs/lanes.md ("Replies to channels").
import { sleep } from '../agents/models/sleep'
import type { DeliveryRecord } from './delivery-store'
import type { DeliveryResult, LaneHost, OutboundDelivery, ReplySink } from './host'
import type { LaneStore } from './store'
import type { DeliveryView, LaneEvent, LaneEventType, ReplyRoute } from './types'

/** A delivery not sent within this long after it was stored is given up. */
export const DELIVERY_DEADLINE_MS = 15 * 60_000
/** "typing…" is refreshed this often while a run with a route is going (platforms drop it at ~5 s). */
export const TYPING_EVERY_MS = 4_000
/** A send that has not answered by then counts as failed (and is tried again). */
export const SEND_TIMEOUT_MS = 30_000
/** Backoff after the nth failed try: 1 s · 2^(n-1), at most this. */
const MAX_BACKOFF_MS = 60_000
/** Most characters of an approval's summary of the call's arguments. */
const SUMMARY_CHARS = 300
const SKIPPED = 'skipped: an earlier part failed'

export interface OutboxTimers {
	/** Waits until a retry is due (tests pass one that moves a fake clock). */
	sleep(ms: number): Promise<void>
	/** Calls `fn` every `ms` until the returned function is called. */
	every(ms: number, fn: () => void): () => void
}

/** What the outbox uses of its lane's host. */
export type OutboxHost = Pick<
	LaneHost,
	'store' | 'replies' | 'now' | 'newId' | 'logger' | 'waitUntil'
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

/** A caller that returns a run's answer itself (a webhook that waits): see LaneOutbox.hold. */
export interface ReplyHold {
	readonly runId: string
	/** The run finished while held: its answer is the holder's to give, the outbox sent nothing. */
	answered: boolean
}

const realTimers: OutboxTimers = {
	sleep: (ms) => sleep(ms),
	every(ms, fn) {
		const timer = setInterval(fn, ms)
		return () => clearInterval(timer)
	},
}

export class LaneOutbox {
	readonly #h: OutboxHost
	readonly #lane: OutboxLane
	readonly #timers: OutboxTimers
	readonly #holds = new Map<string, Set<ReplyHold>>()
	#draining = false
	/** The drain in progress, for `settled()`. */
	#drained: Promise<void> = Promise.resolve()
	/** Something was stored since the last commit: the drain starts after it. */
	#enqueued = false
	#warnedNoSink = false

	constructor(host: OutboxHost, lane: OutboxLane) {
		this.#h = host
		this.#lane = lane
		this.#timers = { ...realTimers, ...lane.timers }
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
		// An error the lane retries (after a restart) is not the end of the run.
		if (event.type === 'error' && data.retrying === true) return
		if (event.type !== 'final' && event.type !== 'error' && event.type !== 'cancelled') return
		// The end of the run: a caller holding it returns the answer itself.
		if (this.#answeredInline(runId) || event.type === 'cancelled') return
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
	 * finishes while held, nothing goes to the outbox for its final or failure. In memory only: a
	 * restart loses the hold together with the waiting call, and the answer goes out here.
	 */
	hold(runId: string): ReplyHold {
		const hold: ReplyHold = { runId, answered: false }
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

	/** The run ended: its holders (if any) get the answer; true when there were some. */
	#answeredInline(runId: string): boolean {
		const holds = this.#holds.get(runId)
		if (!holds) return false
		this.#holds.delete(runId)
		for (const hold of holds) hold.answered = true
		return true
	}

	// ── typing ─────────────────────────────────────────────────────────────────────────────────

	/** "typing…" for a run with a route, now and every TYPING_EVERY_MS; returns the stop. */
	typing(runId: string): () => void {
		const sink = this.#h.replies
		if (!sink || !this.#h.store.runs.replyOf(runId)) return () => {}
		let busy = false
		const tick = () => {
			// The route is read each time: a steered message may have moved it.
			const route = !busy && this.#h.store.exists() ? this.#h.store.runs.replyOf(runId) : null
			if (!route) return
			busy = true
			Promise.resolve()
				.then(() => sink.typing(route))
				.catch((error: unknown) => this.#h.logger.debug('lane.typing_failed', { runId, error }))
				.finally(() => {
					busy = false
				})
		}
		tick()
		return this.#timers.every(TYPING_EVERY_MS, tick)
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

	/** When the next delivery is due (Infinity when none is waiting), for the lane's alarm. */
	nextDue(): number {
		if (!this.#h.replies || !this.#h.store.exists()) return Number.POSITIVE_INFINITY
		return this.#h.store.deliveries.head()?.nextAt ?? Number.POSITIVE_INFINITY
	}

	/** Starts the drain unless it runs (after a commit, an alarm, a restart). */
	resume(): void {
		if (this.#draining || !this.#h.replies) return
		this.#draining = true
		// On a microtask: a caller inside a transaction's aftermath finishes first.
		this.#drained = Promise.resolve().then(() => this.#drain())
		this.#waitUntil(this.#drained)
	}

	/** Resolves once no drain runs: everything due was sent, retried later or given up. */
	async settled(): Promise<void> {
		while (this.#draining) await this.#drained
	}

	async #drain(): Promise<void> {
		try {
			for (;;) {
				const sink = this.#h.replies
				if (!sink || !this.#h.store.exists()) return
				const head = this.#h.store.deliveries.head()
				if (!head) return
				const wait = head.nextAt - this.#h.now()
				if (wait > 0) await this.#timers.sleep(wait)
				else await this.#attempt(sink, head)
			}
		} catch (error) {
			// Storage failed under the drain: the alarm (at the head's due time) starts it again.
			this.#h.logger.error('lane.outbox_failed', { error })
		} finally {
			this.#draining = false
		}
	}

	async #attempt(sink: ReplySink, d: DeliveryRecord): Promise<void> {
		const { store, logger } = this.#h
		const now = this.#h.now()
		if (now >= d.deadlineAt) {
			const error = d.error ? `${d.error} (deadline passed)` : 'deadline passed before it was sent'
			return this.#giveUp(sink, d, d.attempts, error)
		}
		const attempt = d.attempts + 1
		this.#lane.tx(() => store.deliveries.markSending(d.id, attempt, now + SEND_TIMEOUT_MS))
		const result = await send(sink, outbound(store, d, attempt))
		if (!store.exists()) return
		const after = this.#h.now()
		if (result.ok) {
			this.#lane.tx(() => store.deliveries.markSent(d.id, after))
		} else {
			if (result.permanent) return this.#giveUp(sink, d, attempt, result.error)
			const asked = result.retryAfterMs
			const wait =
				asked !== undefined && Number.isFinite(asked) && asked >= 0
					? asked
					: Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** (attempt - 1))
			if (after + wait > d.deadlineAt) {
				return this.#giveUp(sink, d, attempt, `${result.error} (deadline passed)`)
			}
			logger.warn('lane.delivery_retry', {
				deliveryId: d.id,
				channelId: d.channelId,
				attempt,
				waitMs: wait,
				error: result.error,
			})
			this.#lane.tx(() => store.deliveries.retryAt(d.id, after + wait, result.error))
		}
		this.#lane.reschedule()
	}

	/** Dead letter: the delivery and the rest of its reply fail, visibly (event, log, sink). */
	#giveUp(sink: ReplySink, d: DeliveryRecord, attempts: number, error: string): void {
		const { store, logger } = this.#h
		const skipped = this.#lane.tx(() => {
			store.deliveries.markFailed(d.id, error)
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
		logger.warn('lane.delivery_failed', {
			deliveryId: d.id,
			channelId: d.channelId,
			error,
			skipped,
		})
		const dead = outbound(store, d, attempts)
		this.#waitUntil(
			Promise.resolve()
				.then(() => sink.failed(dead, error))
				.catch((e: unknown) =>
					logger.error('lane.dead_letter_failed', { deliveryId: d.id, error: e }),
				),
		)
		this.#lane.reschedule()
	}
}

/** One try through the sink; a sink that throws, hangs or answers nonsense failed this try. */
async function send(sink: ReplySink, delivery: OutboundDelivery): Promise<DeliveryResult> {
	let timer: ReturnType<typeof setTimeout> | undefined
	const timeout = new Promise<DeliveryResult>((resolve) => {
		timer = setTimeout(
			() => resolve({ ok: false, error: `no answer within ${SEND_TIMEOUT_MS} ms` }),
			SEND_TIMEOUT_MS,
		)
	})
	try {
		const result = await Promise.race([Promise.resolve().then(() => sink.send(delivery)), timeout])
		if (result?.ok === true) return { ok: true }
		if (result?.ok === false) return { ...result, error: String(result.error ?? 'send failed') }
		return { ok: false, error: 'the channel answered nothing usable' }
	} catch (error) {
		return { ok: false, error: error instanceof Error ? error.message : String(error) }
	} finally {
		if (timer !== undefined) clearTimeout(timer)
	}
}

/** The delivery as the channel side sends it. */
function outbound(store: LaneStore, d: DeliveryRecord, attempt: number): OutboundDelivery {
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
