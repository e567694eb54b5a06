// The wire shapes WebChat reads, as the gateway sends them (src/gateway/routes/sessions/schemas.ts,
// src/lanes/types.ts, docs/protocols.md). Kept here because the app is built apart from the Worker.

/** What `POST …/messages` accepts as `mode` (the lane's QUEUE_MODES). */
export const QUEUE_MODES = ['followup', 'collect', 'steer', 'interrupt'] as const
export type QueueMode = (typeof QUEUE_MODES)[number]

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export const isFinished = (status: RunStatus): boolean =>
	status === 'succeeded' || status === 'failed' || status === 'cancelled'

export type LaneEventType =
	| 'queued'
	| 'started'
	| 'delta'
	| 'tool'
	| 'final'
	| 'error'
	| 'cancelled'
	| 'steered'
	| 'compacted'
	| 'reset'
	| 'approval.requested'
	| 'approval.resolved'
	| 'delivery.failed'

/** One frame of the session's event stream: `seq` grows by one per event and is never reused. */
export interface LaneEvent {
	seq: number
	ts: number
	type: LaneEventType
	runId: string | null
	data: Record<string, unknown>
}

export type MessagePart =
	| { type: 'text'; text: string }
	| { type: 'tool-call'; callId: string; name: string; args: string }
	| { type: 'tool-result'; callId: string; name: string; result: string; isError?: boolean }

/** A stored transcript message (`GET …/messages`); `seq` orders them and is the paging cursor. */
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

export interface MessagePage {
	messages: MessageView[]
	next: number | null
}

export type ApprovalStatus = 'pending' | 'allowed' | 'denied' | 'expired'
export type ApprovalChoice = 'allow-once' | 'allow-always' | 'deny'

/** An approval as `GET …/approvals` and `POST …/approvals/{id}` return it. */
export interface ApprovalView {
	id: string
	runId: string
	callId: string
	tool: string
	args: unknown
	principals: string[]
	status: ApprovalStatus
	decidedBy: string | null
	createdAt: number
	deadlineAt: number
	decidedAt: number | null
}

/** `GET /v1/sessions/{key}`: what the socket resumes from (`lastEventSeq`) and the active run. */
export interface SessionInfo {
	sessionKey: string
	agent: string
	activeRunId: string | null
	lastEventSeq: number
}

/** A row of `GET /v1/sessions` (newest first). */
export interface SessionSummary {
	sessionKey: string
	agent: string
	messageCount: number
	lastRunStatus: RunStatus | null
	updatedAt: number
}

export interface AgentSummary {
	id: string
	name: string
}

/** `POST …/messages` answers 202 with the run that carries the message. */
export interface SubmitResult {
	runId: string
	status: RunStatus
	disposition: 'queued' | 'collected' | 'steered'
	duplicate: boolean
}
