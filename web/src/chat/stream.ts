// The chat's state and the one reducer that folds everything into it: the stored transcript, the
// session's live events (deduplicated and ordered by seq), approvals and the messages being sent.
// Pure: no I/O, no clock — the page feeds it what the gateway said.
import { type ApprovalCard, addRequested, fromView, requestedCard, resolve } from './approvals'
import type { PageCursor } from './history'
import { accepted, type OutgoingMessage, requeue, unsettled } from './outbox'
import {
	appendText,
	applyTool,
	type LiveRun,
	newRun,
	replaceLastText,
	running,
	updateRun,
} from './runs'
import type {
	ApprovalChoice,
	ApprovalView,
	LaneEvent,
	MessageView,
	RunStatus,
	SubmitResult,
} from './types'
import { isFinished } from './types'

export interface ChatState {
	/** The seq of the last event applied; the socket resumes after it. */
	lastSeq: number
	/** The next event may skip past lastSeq + 1: it is the first after a (re)connect. */
	anchored: boolean
	/** Events that arrived past a gap, waiting for it to fill (ascending seq). */
	held: LaneEvent[]
	history: MessageView[]
	/** Where to fetch the windows before the first shown message, nearest last. */
	earlier: PageCursor[]
	runs: LiveRun[]
	approvals: ApprovalCard[]
	outgoing: OutgoingMessage[]
	/** Bumped whenever the stored transcript changed server-side and should be fetched again. */
	transcriptVersion: number
	/** Resets seen: a page fetched before one holds messages that are gone. */
	epoch: number
	/** The run each run's untaken steers were requeued as (`queued` with `steeredFrom`). */
	requeued: Record<string, string>
}

export type ChatAction =
	| {
			type: 'init'
			lastSeq: number
			activeRunId: string | null
			history: MessageView[]
			earlier: PageCursor[]
			approvals: ApprovalView[]
	  }
	| { type: 'connected' }
	| { type: 'event'; event: LaneEvent }
	| { type: 'history'; messages: MessageView[]; epoch?: number }
	| { type: 'earlier'; messages: MessageView[]; epoch?: number }
	| { type: 'approval'; approval: ApprovalView; choice?: ApprovalChoice }
	| { type: 'send'; message: OutgoingMessage }
	| {
			type: 'accepted'
			localId: string
			runId: string
			status: RunStatus
			disposition: SubmitResult['disposition']
	  }
	| { type: 'send-failed'; localId: string; error: unknown }
	| { type: 'resend'; localId: string }
	| { type: 'dismiss'; localId: string }

/** Past this many held events the gap is given up on: they are applied as they are. */
export const MAX_HELD = 500

export const initialChatState: ChatState = {
	lastSeq: 0,
	anchored: true,
	held: [],
	history: [],
	earlier: [],
	runs: [],
	approvals: [],
	outgoing: [],
	transcriptVersion: 0,
	epoch: 0,
	requeued: {},
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
	switch (action.type) {
		case 'init':
			return {
				...initialChatState,
				lastSeq: action.lastSeq,
				// The events before lastSeq are not replayed: the active run is seen from its middle.
				runs: action.activeRunId ? [newRun(action.activeRunId, 'running', true)] : [],
				earlier: action.earlier,
				approvals: action.approvals.reduce<ApprovalCard[]>((all, v) => fromView(all, v), []),
				history: mergeMessages([], action.history),
			}
		case 'connected':
			// The server replays everything after lastSeq, held events included.
			return { ...state, anchored: true, held: [] }
		case 'event':
			return receive(state, action.event)
		case 'history':
			if (action.epoch !== undefined && action.epoch !== state.epoch) return state
			return settleOutgoing({ ...state, history: mergeMessages(state.history, action.messages) })
		case 'earlier': {
			if (action.epoch !== undefined && action.epoch !== state.epoch) return state
			const first = state.history[0]?.seq ?? Number.POSITIVE_INFINITY
			const older = action.messages.filter((m) => m.seq < first)
			return {
				...state,
				earlier: state.earlier.slice(0, -1),
				history: mergeMessages(state.history, older),
			}
		}
		case 'approval':
			return { ...state, approvals: fromView(state.approvals, action.approval, action.choice) }
		case 'send':
			return { ...state, outgoing: [...state.outgoing, action.message] }
		case 'accepted': {
			// Known before its first event arrives, so "Stop" can reach it at once.
			const fresh = !isFinished(action.status) && !state.runs.some((r) => r.runId === action.runId)
			const runs = fresh ? [...state.runs, newRun(action.runId, action.status)] : state.runs
			const outgoing = state.outgoing.map((m) =>
				m.localId === action.localId
					? accepted(m, action.runId, action.disposition, state.requeued)
					: m,
			)
			return settleOutgoing({ ...state, runs, outgoing })
		}
		case 'send-failed':
			return updateOutgoing(state, action.localId, { state: 'failed', error: action.error })
		case 'resend':
			return updateOutgoing(state, action.localId, { state: 'sending', error: null })
		case 'dismiss':
			return { ...state, outgoing: state.outgoing.filter((m) => m.localId !== action.localId) }
	}
}

/**
 * Dedupe and order. An event at or below lastSeq was applied already (a replay) and is ignored.
 * One past a gap waits in `held` until the gap fills — except the first after a (re)connect: the
 * server replays all it still keeps after `after`, so a jump there means pruned history.
 */
function receive(state: ChatState, event: LaneEvent): ChatState {
	if (!isLaneEvent(event) || event.seq <= state.lastSeq) return state
	if (!state.anchored && event.seq > state.lastSeq + 1) {
		if (state.held.some((h) => h.seq === event.seq)) return state
		const held = [...state.held, event].sort((a, b) => a.seq - b.seq)
		if (held.length <= MAX_HELD) return { ...state, held }
		// The gap is not going to fill: apply what is held, in order.
		let next: ChatState = { ...state, held: [] }
		for (const h of held) next = apply({ ...next, lastSeq: h.seq }, h)
		return next
	}
	let next = apply({ ...state, anchored: false, lastSeq: event.seq }, event)
	while (next.held[0] && next.held[0].seq <= next.lastSeq + 1) {
		const [head, ...rest] = next.held
		next = { ...next, held: rest }
		if (head.seq > next.lastSeq) next = apply({ ...next, lastSeq: head.seq }, head)
	}
	return next
}

export function isLaneEvent(value: unknown): value is LaneEvent {
	if (typeof value !== 'object' || value === null) return false
	const e = value as Partial<LaneEvent>
	return (
		typeof e.seq === 'number' &&
		Number.isSafeInteger(e.seq) &&
		typeof e.type === 'string' &&
		typeof e.data === 'object' &&
		e.data !== null &&
		(typeof e.runId === 'string' || e.runId === null)
	)
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '')
const bump = (s: ChatState): ChatState => ({ ...s, transcriptVersion: s.transcriptVersion + 1 })

/** One event's effect; the shapes are docs/protocols.md's "Session events". */
function apply(state: ChatState, e: LaneEvent): ChatState {
	const d = e.data
	if (e.type === 'compacted') return bump(state)
	if (e.type === 'reset') {
		return bump({
			...state,
			epoch: state.epoch + 1,
			history: [],
			earlier: [],
			runs: state.runs.filter((r) => !isFinished(r.status)),
			approvals: [],
			outgoing: state.outgoing.filter((m) => m.state !== 'sent'),
		})
	}
	if (e.type === 'approval.requested') {
		return { ...state, approvals: addRequested(state.approvals, requestedCard(e.runId, d)) }
	}
	if (e.type === 'approval.resolved') return { ...state, approvals: resolve(state.approvals, d) }
	const runId = e.runId
	if (!runId) return state
	const change = (fn: (r: LiveRun) => LiveRun) => ({
		...state,
		runs: updateRun(state.runs, runId, fn),
	})
	switch (e.type) {
		case 'queued': {
			const from = str(d.steeredFrom)
			if (!from) return change((r) => r)
			return {
				...change((r) => r),
				outgoing: requeue(state.outgoing, from, runId),
				requeued: { ...state.requeued, [from]: runId },
			}
		}
		case 'started':
			// A run that starts over (after a lane restart) drops what its earlier attempt streamed;
			// from here on every event is seen, so it is no longer partial.
			return bump(
				change((r) => ({
					...r,
					status: 'running',
					retrying: false,
					partial: false,
					parts: Number(d.attempt) > 1 ? [] : r.parts,
				})),
			)
		case 'delta':
			return change((r) => appendText(running(r), str(d.text)))
		case 'tool':
			return change((r) => applyTool(running(r), d))
		case 'final':
			return bump(change((r) => ({ ...replaceLastText(r, str(d.output)), status: 'succeeded' })))
		case 'error':
			if (d.retrying === true) return change((r) => ({ ...r, status: 'queued', retrying: true }))
			return bump(
				change((r) => ({
					...r,
					status: 'failed',
					retrying: false,
					error: { code: str(d.code) || 'error', message: str(d.message) },
				})),
			)
		case 'cancelled':
			return bump(
				change((r) => ({ ...r, status: 'cancelled', cancelReason: str(d.reason) || 'cancelled' })),
			)
		case 'delivery.failed':
			return change((r) => ({
				...r,
				notices: [...r.notices, `Delivery to channel ${str(d.channelId)} failed: ${str(d.error)}`],
			}))
		default:
			// steered, and any type a newer gateway adds: nothing to show.
			return state
	}
}

/** Stored messages by seq, once each (a newer copy of a seq replaces the older: flags change). */
export function mergeMessages(current: MessageView[], incoming: MessageView[]): MessageView[] {
	if (incoming.length === 0) return current
	const bySeq = new Map(current.map((m) => [m.seq, m]))
	for (const m of incoming) bySeq.set(m.seq, m)
	return [...bySeq.values()].sort((a, b) => a.seq - b.seq)
}

function updateOutgoing(
	state: ChatState,
	localId: string,
	change: Partial<OutgoingMessage>,
): ChatState {
	return {
		...state,
		outgoing: state.outgoing.map((m) => (m.localId === localId ? { ...m, ...change } : m)),
	}
}

/** Sent messages leave the outbox once the transcript holds them (src/chat/outbox.ts). */
function settleOutgoing(state: ChatState): ChatState {
	const outgoing = unsettled(state.outgoing, state.history)
	return outgoing === state.outgoing ? state : { ...state, outgoing }
}
