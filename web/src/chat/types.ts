// The wire shapes WebChat reads: the HTTP API's from the types generated from the gateway's
// OpenAPI document (`@edgeclaw/client`); the session socket's events (src/lanes/types.ts,
// docs/protocols.md), which the OpenAPI document does not describe, written out here.
import type { paths, Schemas } from '../api'

/** What `POST …/messages` accepts as `mode` (followup when left out). */
export type QueueMode = NonNullable<Schemas['SubmitMessage']['mode']>
/** The queue modes in the order the composer offers them. */
export const QUEUE_MODES = [
	'followup',
	'collect',
	'steer',
	'interrupt',
] as const satisfies readonly QueueMode[]

export type RunStatus = Schemas['Run']['status']

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
	| 'subagent.spawned'
	| 'subagent.announced'
	| 'subagent.announce_failed'
	| 'subagent.cancel_failed'

/** One frame of the session's event stream: `seq` grows by one per event and is never reused. */
export interface LaneEvent {
	seq: number
	ts: number
	type: LaneEventType
	runId: string | null
	data: Record<string, unknown>
}

export type MessagePart = MessageView['content'][number]

/** A stored transcript message (`GET …/messages`); `seq` orders them and is the paging cursor. */
export type MessageView = Schemas['Message']

export type MessagePage =
	paths['/v1/sessions/{sessionKey}/messages']['get']['responses'][200]['content']['application/json']

export type ApprovalStatus = ApprovalView['status']
export type ApprovalChoice = Schemas['ApprovalDecision']['decision']

/** An approval as `GET …/approvals` and `POST …/approvals/{id}` return it. */
export type ApprovalView = Schemas['Approval']

/** `GET /v1/sessions/{key}`: what the socket resumes from (`lastEventSeq`) and the active run. */
export type SessionInfo = Schemas['Session']

/** A row of `GET /v1/sessions` (newest first). */
export type SessionSummary = Schemas['SessionSummary']

/** What the chat needs of an agent of `GET /v1/agents`. */
export type AgentSummary = Pick<Schemas['Agent'], 'id' | 'name'>

/** `POST …/messages` answers 202 with the run that carries the message. */
export type SubmitResult = Schemas['SubmitResult']
