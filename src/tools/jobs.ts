// Tool jobs: the message a lane puts on the `tool-jobs` queue for one tool call, and the lane's
// side of the delivery protocol. A job is claimed from its lane before it runs and its outcome is
// delivered back to the lane by RPC; the lane is the one authority on whether a job may (still)
// run, which is what keeps a redelivered job from running a side effect twice.
import { z } from 'zod'
import { ToolSubject } from '../security/subject'
import { MAX_RUN_PRINCIPALS } from './principals'
import type { ToolOutcome } from './registry'

export const ToolJob = z
	.object({
		jobId: z.string().min(1).max(100),
		tenant: z.string().min(1).max(63),
		/** The lane's name (`tenant/agent/session`): where the outcome goes. */
		session: z.string().min(1).max(400),
		agent: z.string().min(1).max(63),
		sessionKey: z.string().min(1).max(300),
		runId: z.string().min(1).max(100),
		callId: z.string().min(1).max(200),
		tool: z.string().min(1).max(100),
		args: z.unknown(),
		/** Who started the run (`tool_executions.actor`). */
		subject: ToolSubject,
		/**
		 * Every principal the lane decided the call for, the starter first; the consumer's re-check
		 * must allow it for each. Jobs sent before runs carried several have only `subject`.
		 */
		principals: z.array(ToolSubject).min(1).max(MAX_RUN_PRINCIPALS).optional(),
		/** Epoch ms after which the lane no longer waits for the outcome. */
		deadline: z.number().int().positive(),
		/** The run's W3C traceparent: the consumer's logs and the sandbox carry its trace id. */
		traceparent: z
			.string()
			.regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/)
			.optional(),
	})
	.strict()

export type ToolJob = z.infer<typeof ToolJob>

/**
 * What a lane answers when a consumer asks to run a job: `run` it; it is `done` (an earlier
 * delivery already produced the outcome, or the lane settled it — e.g. a side-effecting job whose
 * first attempt may have run); or it is `gone` (nobody waits: the run ended, the lane restarted,
 * the session was deleted).
 */
export type ClaimAnswer = 'run' | 'done' | 'gone'

/** The lane side of the protocol, as the consumer reaches it over RPC. */
export interface ToolJobLane {
	claimToolJob(jobId: string): Promise<ClaimAnswer>
	deliverToolResult(jobId: string, outcome: ToolOutcome): Promise<boolean>
}
