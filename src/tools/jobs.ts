// Tool jobs: the message a lane puts on the `tool-jobs` queue, and the consumer's handling of a
// batch. Malformed messages are acknowledged and logged (retrying cannot fix them); well-formed
// jobs fail visibly until a tool runtime is registered.
import { z } from 'zod'
import type { Logger } from '../observability/logger'

export const ToolJob = z
	.object({
		jobId: z.string().min(1).max(100),
		tenant: z.string().min(1).max(63),
		session: z.string().min(1).max(300),
		runId: z.string().min(1).max(100),
		tool: z.string().min(1).max(100),
		args: z.unknown(),
		/** Epoch ms after which the result is no longer wanted. */
		deadline: z.number().int().positive(),
	})
	.strict()

export type ToolJob = z.infer<typeof ToolJob>

export interface ToolJobOutcome {
	jobId: string | undefined
	status: 'malformed' | 'expired' | 'no_runtime'
}

/**
 * Handles one batch. Every message is acknowledged exactly once: a malformed body or an expired
 * job is dropped with a log line, and until the tool runtime lands a well-formed job is resolved
 * as failed (`no_runtime`) rather than retried into the dead-letter queue.
 */
export function handleToolJobBatch(
	batch: MessageBatch<unknown>,
	logger: Logger,
	now: () => number = Date.now,
): ToolJobOutcome[] {
	const outcomes: ToolJobOutcome[] = []
	for (const message of batch.messages) {
		const parsed = ToolJob.safeParse(message.body)
		let outcome: ToolJobOutcome
		if (!parsed.success) {
			outcome = { jobId: undefined, status: 'malformed' }
			logger.warn('tool_job.malformed', {
				messageId: message.id,
				issues: parsed.error.issues.length,
			})
		} else if (parsed.data.deadline < now()) {
			outcome = { jobId: parsed.data.jobId, status: 'expired' }
			logger.warn('tool_job.expired', { jobId: parsed.data.jobId, tenant: parsed.data.tenant })
		} else {
			outcome = { jobId: parsed.data.jobId, status: 'no_runtime' }
			logger.error('tool_job.no_runtime', { jobId: parsed.data.jobId, tool: parsed.data.tool })
		}
		message.ack()
		outcomes.push(outcome)
	}
	return outcomes
}
