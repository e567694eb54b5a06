// The vocabulary of a session lane: queue modes, run states, events and the shapes the lane's RPC
// methods take and return. Plain data only: everything here crosses Durable Object RPC.
import type {
	AgentSnapshot,
	MessagePart,
	ModelCallRecord,
	RunOptions,
	TextPart,
	ToolCallPart,
	ToolResultPart,
	Usage,
} from '../agents/runner'
import type { SessionRef, ToolSubject } from '../security/subject'

export const QUEUE_MODES = ['followup', 'collect', 'steer', 'interrupt'] as const
export type QueueMode = (typeof QUEUE_MODES)[number]

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const
export type RunStatus = (typeof RUN_STATUSES)[number]

export const isFinished = (status: RunStatus): boolean =>
	status === 'succeeded' || status === 'failed' || status === 'cancelled'

export const EVENT_TYPES = [
	'queued',
	'started',
	'delta',
	'tool',
	'final',
	'error',
	'cancelled',
	'steered',
	'compacted',
	'reset',
	'approval.requested',
	'approval.resolved',
	'delivery.failed',
	'stuck',
	'subagent.spawned',
	'subagent.announced',
	'subagent.announce_failed',
	'subagent.cancel_failed',
] as const
export type LaneEventType = (typeof EVENT_TYPES)[number]

export interface LaneEvent {
	seq: number
	ts: number
	type: LaneEventType
	runId: string | null
	data: Record<string, unknown>
	/** The W3C trace id of the event's run, when the run carries one. */
	traceId?: string
}

export interface SubmitRequest {
	session: SessionRef
	agent: AgentSnapshot
	content: TextPart[]
	mode: QueueMode
	idempotencyKey?: string
	/** The tenant's cap on concurrently running turns; null = uncapped (the gate is not asked). */
	maxConcurrentRuns: number | null
	/**
	 * Who sends the message. The run that carries it (its own, the active run it steers, the
	 * batch it joins) may call a tool only if the policy allows it for them too.
	 */
	subject: ToolSubject
	/**
	 * Earlier conversation a client brings along (OpenAI-style requests carry the whole history).
	 * Stored ahead of the message only while the session's transcript is empty; ignored after.
	 */
	context?: ContextMessage[]
	/**
	 * Where the answer goes besides the run (a channel's chat): the run that carries the message
	 * delivers its reply there through the lane's outbox. Opaque to the lane.
	 */
	reply?: ReplyRoute
	/**
	 * The W3C `traceparent` of the request that brought the message: a run it starts is a span
	 * of that trace, and its logs, events, tool jobs and provider calls carry the trace id.
	 */
	traceparent?: string
	/**
	 * Results of client tool calls the session's last answer made, ahead of the message (which
	 * may then be empty). Each must answer an open call of the transcript; names are taken from it.
	 */
	toolResults?: ToolResultPart[]
	/**
	 * Client tools, tool choice and response format for the run: a message carrying them (or tool
	 * results) always starts a run of its own.
	 */
	options?: RunOptions
	/**
	 * The session that spawned this one (`sessions_spawn`): stored when the message creates the
	 * session, and every run's end here is then announced back to it.
	 */
	parent?: ParentLink
	/**
	 * A throwaway session (the OpenAI API without `user`): taken only when the message creates
	 * the session. It gets no sessions index row and deletes itself once its runs have ended and
	 * nobody reads them any more; usage, metrics and audit are recorded as for any session.
	 */
	ephemeral?: boolean
}

/** A child session's link to its parent (docs/automation.md, "Subagents"). */
export interface ParentLink {
	session: SessionRef
	/** 1 for a child of a top-level session, 2 for a grandchild, … */
	depth: number
	/** The smallest `subagents.maxDepth` of its ancestors: no descendant nests deeper. */
	maxDepth?: number
	label: string | null
}

/** A run a session started in one of its children, as the parent knows it (RunView.children). */
export interface ChildRunView {
	sessionKey: string
	agentId: string
	runId: string
	/** `queued` until its end is announced back (then the child's run status). */
	status: string
	usage: Usage | null
}

/** A channel's address for a reply: which channel, of what kind, and its own target (plain JSON). */
export interface ReplyRoute {
	channelId: string
	kind: string
	target: Record<string, unknown>
	/** An agent's heartbeat turn: an answer that is only `HEARTBEAT_OK` is not sent to the channel. */
	dropHeartbeatAck?: boolean
}

export const DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

/** One message of the lane's outbox: a part of a run's reply, or an approval, for a channel. */
export interface DeliveryView {
	id: string
	runId: string | null
	channelId: string
	kind: 'text' | 'approval'
	/** 1-based place of this message in its reply, of `parts`. */
	part: number
	parts: number
	status: DeliveryStatus
	attempts: number
	createdAt: number
	/** When the next attempt is due (pending), or when a send in flight counts as lost (sending). */
	nextAt: number
	sentAt: number | null
	/** After this the delivery is given up. */
	deadlineAt: number
	/** The last failure, or why it was given up. */
	error: string | null
}

/**
 * A message of history handed in with a submit: stored as-is, never run. `parts`, when given,
 * is its content (an assistant's tool calls, a tool message's results); else `text`.
 */
export interface ContextMessage {
	role: 'user' | 'assistant' | 'system' | 'tool'
	text: string
	parts?: MessagePart[]
}

export interface RunError {
	code: string
	message: string
}

export interface RunView {
	runId: string
	status: RunStatus
	mode: QueueMode
	attempt: number
	/** Queued behind the tenant's concurrency cap. */
	waitingForSlot: boolean
	createdAt: number
	startedAt: number | null
	finishedAt: number | null
	deadlineAt: number | null
	output: string | null
	model: string | null
	usage: Usage | null
	error: RunError | null
	/** Every model call of the run: model, profile, tokens, latency, outcome. */
	calls: ModelCallRecord[]
	/** User messages of this run that have not yet entered the transcript. */
	pendingInput: number
	/** The W3C trace id the run carries (null for runs started without one). */
	traceId: string | null
	/** Client tool calls the run ended with, for the client to run (absent when none). */
	clientToolCalls?: ToolCallPart[]
	/** Runs this run started in child sessions (sessions_spawn, sessions_send); absent when none. */
	children?: ChildRunView[]
}

export interface SubmitOutcome {
	run: RunView
	/** True when the idempotency key matched an earlier submit: no new run was started. */
	duplicate: boolean
	/** How the message was taken: its own run, batched into a queued run, or steered into the active one. */
	disposition: 'queued' | 'collected' | 'steered'
}

export interface MessageView {
	seq: number
	id: string
	runId: string | null
	role: 'user' | 'assistant' | 'system' | 'tool'
	kind: 'message' | 'summary'
	content: MessagePart[]
	tokens: number
	compacted: boolean
	createdAt: number
}

export interface SessionInfo {
	session: SessionRef
	createdAt: number
	updatedAt: number
	messages: { active: number; compacted: number; bytes: number; tokens: number }
	runs: { queued: number; running: number; total: number }
	activeRunId: string | null
	lastEventSeq: number
	compactions: number
}

export type LaneErrorCode =
	| 'not_found'
	| 'queue_full'
	| 'session_full'
	| 'conflict'
	| 'bad_request'
	| 'approval_self_denied'
	/** Point-in-time recovery where the storage keeps no history (local development). */
	| 'restore_unsupported'

/** Lane RPC results: errors are data, so they survive the RPC boundary with their code. */
export type LaneResult<T> =
	| { ok: true; value: T }
	| { ok: false; error: { code: LaneErrorCode; message: string; retryAfterSeconds?: number } }

export const ok = <T>(value: T): LaneResult<T> => ({ ok: true, value })
export const fail = <T = never>(
	code: LaneErrorCode,
	message: string,
	retryAfterSeconds?: number,
): LaneResult<T> => ({
	ok: false,
	error: retryAfterSeconds === undefined ? { code, message } : { code, message, retryAfterSeconds },
})

/** A front door following a session: its kind (how the lane reaches it) and its id in that kind. */
export interface FollowerRef {
	kind: string
	id: string
}

/** A follow request; `events` limits what is pushed to those types (every type when absent). */
export interface Follower extends FollowerRef {
	events?: readonly LaneEventType[]
}
