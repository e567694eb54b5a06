// What subagents need from the platform, as the lane's host provides it: an agent's config in the
// lane's tenant, and other lanes by session (a child to start, wait on, cancel or read; a parent
// to announce to). The Durable Object shell implements it over RPC; tests fake it.
import type { AgentSnapshot, Usage } from '../../agents/runner'
import type {
	LaneResult,
	MessageView,
	RunView,
	SubmitOutcome,
	SubmitRequest,
} from '../../lanes/types'
import type { SessionRef } from '../../security/subject'

/** A child run's end, as the child announces it to its parent (plain data: it crosses RPC). */
export interface Announce {
	parent: SessionRef
	child: SessionRef
	runId: string
	label: string | null
	status: 'succeeded' | 'failed' | 'cancelled'
	output: string | null
	error: { code: string; message: string } | null
	usage: Usage | null
	finishedAt: number
}

/**
 * The parent's answer. `accepted` ends the child's retries: `queued` (a turn will see it),
 * `returned` (a waiting sessions_spawn returned it), `duplicate` (taken before), `unknown` (not a
 * child of this session any more: reset), `gone` (the session was deleted). Not accepted: try again.
 */
export type AnnounceAnswer =
	| { accepted: true; outcome: 'queued' | 'returned' | 'duplicate' | 'unknown' | 'gone' }
	| { accepted: false; reason: string }

/** Another lane, as subagents reach it. */
export interface RemoteLane {
	send(req: SubmitRequest): Promise<LaneResult<SubmitOutcome>>
	waitRun(runId: string, timeoutMs: number): Promise<LaneResult<RunView>>
	cancel(runId: string): Promise<LaneResult<RunView>>
	/** Cancels every queued and running run (each cascading to its own children). */
	cancelAll(): Promise<LaneResult<{ cancelled: number }>>
	/** The newest `limit` messages of the transcript, oldest first. */
	tailMessages(limit: number): Promise<LaneResult<MessageView[]>>
	acceptAnnounce(announce: Announce): Promise<AnnounceAnswer>
}

export interface SubagentHost {
	/** The agent in the tenant, or null when there is none. */
	loadAgent(tenantId: string, agentId: string): Promise<AgentSnapshot | null>
	lane(session: SessionRef): RemoteLane
}
