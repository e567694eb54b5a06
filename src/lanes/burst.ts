// A burst of messages taken in one transaction: while a lane is busy, the messages that arrive
// until its next task of the event loop wait for that task and are then stored together, in
// arrival order — one commit for the burst instead of one per message. Each caller's answer
// waits for that transaction, so a message is stored before it is acknowledged, as always.
import type { SessionRef } from '../security/subject'
import type { LaneResult, SubmitOutcome, SubmitRequest } from './types'

export interface BurstLane {
	/** One transaction (the lane's journal: events reach subscribers once it commits). */
	tx<T>(fn: () => T): T
	/** Takes one message in, inside the transaction (admission.ts). */
	admit(req: SubmitRequest, now: number): LaneResult<SubmitOutcome>
	now(): number
	/** Messages of the session were stored (not only duplicates): the index and the pump go. */
	taken(session: SessionRef, now: number): void
}

interface Waiting {
	req: SubmitRequest
	resolve: (result: LaneResult<SubmitOutcome>) => void
	reject: (error: unknown) => void
}

export class SubmitBurst {
	readonly #lane: BurstLane
	#waiting: Waiting[] | undefined

	constructor(lane: BurstLane) {
		this.#lane = lane
	}

	/** True while messages wait: a message arriving now joins them, keeping arrival order. */
	get pending(): boolean {
		return this.#waiting !== undefined
	}

	/** Adds a message to the burst; resolves once it is stored (or refused). */
	add(req: SubmitRequest): Promise<LaneResult<SubmitOutcome>> {
		return new Promise((resolve, reject) => {
			if (!this.#waiting) {
				this.#waiting = []
				// A task of its own: the calls already queued for this object come in first.
				setTimeout(() => this.#store(), 0)
			}
			this.#waiting.push({ req, resolve, reject })
		})
	}

	#store(): void {
		const waiting = this.#waiting ?? []
		this.#waiting = undefined
		const now = this.#lane.now()
		let results: (LaneResult<SubmitOutcome> | { thrown: unknown })[]
		try {
			results = this.#lane.tx(() => waiting.map(({ req }) => this.#lane.admit(req, now)))
		} catch {
			// A message that cannot be stored fails alone: each again, in a transaction of its own.
			results = waiting.map(({ req }) => {
				try {
					return this.#lane.tx(() => this.#lane.admit(req, now))
				} catch (thrown) {
					return { thrown }
				}
			})
		}
		let taken: SessionRef | undefined
		for (const [i, result] of results.entries()) {
			const { req, resolve, reject } = waiting[i] as Waiting
			if ('thrown' in result) reject(result.thrown)
			else {
				if (result.ok && !result.value.duplicate) taken = req.session
				resolve(result)
			}
		}
		if (taken) this.#lane.taken(taken, now)
	}
}
