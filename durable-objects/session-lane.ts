// SessionLane: one Durable Object per session (tenant/agent/key). It serialises the session's
// turns and keeps transcript, runs and events in its own SQLite storage. The class is the shell:
// RPC, alarms, WebSockets and SSE; the lane's rules live in src/lanes/lane.ts. Its parts load as
// the object starts (session-lane-parts.ts), not with the isolate: no event reaches the object
// before they are in place.
import { DurableObject } from 'cloudflare:workers'
import type { Announce, AnnounceAnswer } from '../src/automation/subagents/index'
import type { AlarmScheduler } from '../src/lanes/host'
import type { Lane } from '../src/lanes/lane'
import type { LaneRelays } from '../src/lanes/relays'
import type { RestorePlan, RestoreTarget } from '../src/lanes/restore'
import type { LaneStore } from '../src/lanes/store'
import type { LaneSubscribers } from '../src/lanes/subscribers'
import type { ApprovalChoice } from '../src/lanes/tool-calls'
import type { ApprovalView } from '../src/lanes/tool-store'
import type {
	DeliveryView,
	Follower,
	FollowerRef,
	LaneEvent,
	LaneResult,
	MessageView,
	RunView,
	SessionInfo,
	SubmitOutcome,
	SubmitRequest,
} from '../src/lanes/types'
import type { RunTrace } from '../src/observability/spans'
import type { ClaimAnswer } from '../src/tools/jobs'
import type { ToolOutcome } from '../src/tools/registry'

type Parts = typeof import('./session-lane-parts')

export interface LanePing {
	ok: true
	/** Result of a query against the object's own SQLite storage. */
	sqlite: number
	at: number
}

/** The D1 sessions index is written at most this often per session. */
export const INDEX_WRITE_INTERVAL_MS = 5_000

/** The event stream `send` opens with `stream`: SSE frames of every event after `after`. */
export interface SentEvents {
	after: number
	body: ReadableStream<Uint8Array>
}

/** Most events one replay sends; a client that is further behind pages with `after`. */
const REPLAY_LIMIT = 10_000

export class SessionLane extends DurableObject<Env> {
	#parts!: Parts
	#lane!: Lane
	#store!: LaneStore
	#subscribers!: LaneSubscribers
	#alarms!: AlarmScheduler
	#relays!: LaneRelays

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env)
		ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'))
		void ctx.blockConcurrencyWhile(async () => {
			this.#parts = await import('./session-lane-parts')
			const name = ctx.id.name ?? ctx.id.toString()
			const parts = this.#parts.assembleLane(ctx, env, name, INDEX_WRITE_INTERVAL_MS)
			this.#lane = parts.lane
			this.#store = parts.store
			this.#subscribers = parts.subscribers
			this.#alarms = parts.alarms
			this.#relays = parts.relays
			await this.#alarms.load()
			await this.#lane.recover()
			this.#relays.resume()
		})
	}

	/** Readiness probe: an RPC round trip that also touches SQLite storage. */
	async ping(): Promise<LanePing> {
		const row = this.ctx.storage.sql.exec<{ one: number }>('SELECT 1 AS one').one()
		return { ok: true, sqlite: row.one, at: Date.now() }
	}

	/**
	 * Takes a message; with `waitMs`, also waits up to that long for the run to finish. With
	 * `inlineReply` the caller returns the answer itself: `final` comes only when the run finished
	 * while this call waited, and then nothing goes to the outbox for it; without `final` the
	 * answer is delivered to the message's reply route when the run ends. With `stream` it also
	 * returns the session's event stream (SSE, as `GET /events`) from just before this message, in
	 * the same round trip: `after` is the seq it starts after. A duplicate opens no stream (its run
	 * may be long over; the caller follows it from the start).
	 */
	async send(
		req: SubmitRequest,
		options: { waitMs?: number; inlineReply?: boolean; stream?: boolean } = {},
	): Promise<LaneResult<SubmitOutcome & { final?: RunView; events?: SentEvents }>> {
		const before = options.stream && this.#store.exists() ? this.#store.events.lastSeq() : 0
		const outcome = await this.#lane.accept(req)
		if (outcome.ok && options.stream && !outcome.value.duplicate) {
			// Replay and registration in one synchronous step: nothing falls between them.
			const replay = this.#lane.eventsAfter(before, REPLAY_LIMIT)
			const events = { after: before, body: this.#subscribers.openStream(replay) }
			return { ok: true, value: { ...outcome.value, events } }
		}
		if (!outcome.ok || !options.waitMs) return outcome
		const { runId } = outcome.value.run
		const final = options.inlineReply
			? await this.#lane.waitInline(runId, options.waitMs)
			: await this.#lane.wait(runId, options.waitMs)
		return { ok: true, value: final ? { ...outcome.value, final } : outcome.value }
	}

	/** Waits up to `timeoutMs` for a run to finish; its view either way (not_found if unknown). */
	async waitRun(runId: string, timeoutMs: number): Promise<LaneResult<RunView>> {
		const view = await this.#lane.wait(runId, Math.min(Math.max(0, timeoutMs), 15 * 60_000))
		return view ? { ok: true, value: view } : this.#lane.getRun(runId)
	}

	/**
	 * Pushes this lane's events from now on to a follower (`{kind, id}`, optionally only some
	 * event types) until it unfollows, answers false, keeps failing, or the session is deleted;
	 * following again changes only its types. Works before the session exists, so a client can
	 * follow a session it is about to create. Throws for a kind `followerKinds` does not name.
	 */
	follow(follower: Follower): void {
		this.#relays.add(follower, Date.now())
	}

	unfollow(follower: FollowerRef): void {
		this.#relays.remove(follower)
	}

	/** Event history after `seq` (at most `limit`), for a follower catching up. */
	eventsAfter(seq: number, limit: number): LaneEvent[] {
		return this.#lane.exists() ? this.#lane.eventsAfter(seq, Math.min(limit, REPLAY_LIMIT)) : []
	}

	getRun(runId: string): LaneResult<RunView> {
		return this.#lane.getRun(runId)
	}

	/** A child session announces a run's end (subagents); idempotent by the child's run id. */
	acceptAnnounce(announce: Announce): Promise<AnnounceAnswer> {
		return this.#lane.acceptAnnounce(announce)
	}

	/** Cancels every queued and running run (a parent's reset or delete cascading here). */
	cancelAll(): Promise<LaneResult<{ cancelled: number }>> {
		return this.#lane.cancelAll()
	}

	/** The newest messages of the transcript, oldest first (a parent reading its child). */
	tailMessages(limit: number): LaneResult<MessageView[]> {
		return this.#lane.tailMessages(limit)
	}

	/** A run as a span tree (queue wait, model calls, tool calls, approvals), built from storage. */
	runTrace(runId: string): LaneResult<RunTrace> {
		return this.#parts.runTraceOf(this.#store, runId, this.#lane.openToolJobsOfRun(runId))
	}

	cancel(runId: string): Promise<LaneResult<RunView>> {
		return this.#lane.cancel(runId)
	}

	listMessages(
		afterSeq: number,
		limit: number,
	): LaneResult<{ messages: MessageView[]; next: number | null }> {
		return this.#lane.listMessages(afterSeq, limit)
	}

	listRuns(afterSeq: number, limit: number): LaneResult<{ runs: RunView[]; next: number | null }> {
		return this.#lane.listRuns(afterSeq, limit)
	}

	info(): LaneResult<SessionInfo> {
		return this.#lane.info()
	}

	reset(): Promise<LaneResult<SessionInfo>> {
		return this.#lane.reset()
	}

	destroy(): Promise<LaneResult<{ deleted: true }>> {
		return this.#lane.destroy()
	}

	/** Keeps a stream ticket's hash for `principal` (JSON) until `expiresAt` (src/lanes/tickets.ts). */
	issueStreamTicket(hash: string, principal: string, expiresAt: number): boolean {
		return new this.#parts.StreamTickets(this.ctx.storage.sql).issue(
			hash,
			principal,
			expiresAt,
			Date.now(),
		)
	}

	/** The principal (JSON) of a live ticket, once; undefined for an unknown, used or expired one. */
	redeemStreamTicket(hash: string): string | undefined {
		return new this.#parts.StreamTickets(this.ctx.storage.sql).redeem(hash, Date.now())
	}

	/**
	 * Arms a point-in-time restore of this lane's whole storage (`RestoreTarget`: a moment or a
	 * bookmark); it takes effect at `restart()`. The plan names the bookmark of now, to undo it.
	 */
	restoreTo(target: RestoreTarget): Promise<LaneResult<RestorePlan>> {
		return this.#parts.prepareRestore(this.ctx.storage, target, Date.now())
	}

	/**
	 * Ends this instance at once (`ctx.abort`): the next request starts a fresh one, which opens at
	 * the bookmark `restoreTo` armed and recovers its runs from there. The call itself rejects.
	 */
	restart(): void {
		this.ctx.abort('restarting for a point-in-time restore')
	}

	/** The tool-jobs consumer asks whether it may run a job (see ClaimAnswer). */
	claimToolJob(jobId: string): ClaimAnswer {
		return this.#lane.claimToolJob(jobId)
	}

	/** The tool-jobs consumer delivers a job's outcome; false when nobody waits for it. */
	deliverToolResult(jobId: string, outcome: ToolOutcome): boolean {
		return this.#lane.deliverToolResult(jobId, outcome)
	}

	decideApproval(id: string, choice: ApprovalChoice, by: string): LaneResult<ApprovalView> {
		return this.#lane.decideApproval(id, choice, by)
	}

	listApprovals(limit: number): LaneResult<{ approvals: ApprovalView[] }> {
		return this.#lane.listApprovals(limit)
	}

	/** The outbox of replies to channels, newest first; `failed` lists the dead letters. */
	listDeliveries(
		status: DeliveryView['status'] | undefined,
		limit: number,
	): LaneResult<{ deliveries: DeliveryView[] }> {
		const n = Number.isFinite(limit) ? Math.min(Math.max(1, Math.floor(limit)), 500) : 100
		return this.#lane.listDeliveries(status, n)
	}

	/** Called by the tenant gate when a slot frees up for this lane. */
	slotGranted(): Promise<void> {
		return this.#lane.slotGranted()
	}

	override async alarm(): Promise<void> {
		this.#alarms.fired()
		await this.#lane.alarm()
		this.#relays.resume()
	}

	/**
	 * Event streams: `GET /events?after=N` (Server-Sent Events) and `GET /ws?after=N` (WebSocket
	 * upgrade). The gateway authenticates and forwards; this object never sees raw client URLs.
	 * A stream may open before the session's first message (a client subscribes, then sends): it
	 * replays nothing and delivers the session's events from its first on.
	 */
	override async fetch(request: Request): Promise<Response> {
		const url = new URL(request.url)
		const after = Math.max(0, Number(url.searchParams.get('after') ?? '0') || 0)
		const replay = this.#lane.eventsAfter(after, REPLAY_LIMIT)
		if (url.pathname === '/ws') {
			if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
				return new Response('expected a websocket upgrade', { status: 426 })
			}
			const { 0: client, 1: server } = new WebSocketPair()
			this.#subscribers.attachWebSocket(server, replay)
			return new Response(null, { status: 101, webSocket: client })
		}
		if (url.pathname === '/events') {
			return new Response(this.#subscribers.openStream(replay), {
				headers: {
					'content-type': 'text/event-stream; charset=utf-8',
					'cache-control': 'no-cache, no-transform',
					'x-accel-buffering': 'no',
				},
			})
		}
		return new Response('not found', { status: 404 })
	}

	override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
		// The event socket is read-only ("ping" is answered without waking the object).
		if (message !== 'ping') {
			ws.send(
				JSON.stringify({
					type: 'error',
					message: 'This socket only streams events; send messages over HTTP.',
				}),
			)
		}
	}

	override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
		try {
			ws.close(code === 1005 ? 1000 : code, 'closing')
		} catch {}
	}

	get subscriberCount(): number {
		return this.ctx.getWebSockets(this.#parts.EVENTS_TAG).length + this.#subscribers.streamCount
	}
}
