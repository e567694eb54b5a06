// The tool-jobs consumer (the Worker's `queue()` handler). Per message: parse the job, claim it
// from its lane (the lane says whether it may still run — this is what keeps a redelivered job
// from running twice), re-check the policy — for every principal the job carries — against the
// agent's current config and the tenant's policies, run the tool, deliver the outcome to the lane
// by RPC, record the execution, ack.
// Infrastructure failures (lane unreachable, a transient sandbox error of an idempotent tool) are
// retried with backoff; after the last retry the dead-letter consumer settles the call as an error.
import type { ToolExecution } from '../db/tool-executions'
import type { Logger } from '../observability/logger'
import type { MetricsSink } from '../observability/metrics'
import { traceIdOf } from '../observability/trace'
import { actorOf, type ToolSubject } from '../security/subject'
import { type ClaimAnswer, ToolJob, type ToolJobLane } from './jobs'
import { toolPoint, watchPlacement } from './metrics'
import { toolResource } from './policy'
import { actorsOf, decideForEvery, deniedText } from './principals'
import { type AnyToolSpec, fail, runTool, ToolError, type ToolOutcome } from './registry'
import type { ToolAgent, Toolbox } from './toolbox'

export const DEAD_LETTER_QUEUE = 'edgeclaw-tool-jobs-dlq'

/**
 * A batch from a dead-letter queue: the top level's or an environment's
 * (`edgeclaw-tool-jobs-<env>-dlq`, wrangler.toml), every one named `…-dlq`.
 */
export const isDeadLetterQueue = (queue: string): boolean => queue.endsWith('-dlq')

export interface ConsumerDeps {
	toolbox: Toolbox
	lane(name: string): ToolJobLane
	/** The agent as configured now (null when it was deleted). */
	agent(tenantId: string, agentId: string): Promise<ToolAgent | null>
	logger: Logger
	now(): number
	/** Where each execution's `tool` point goes (absent: not measured). */
	metrics?: MetricsSink
}

export type JobResult =
	| { jobId: undefined; status: 'malformed' }
	| {
			jobId: string
			status: 'delivered' | 'undelivered' | 'skipped' | 'retried' | 'dead_lettered'
			claim?: ClaimAnswer
			outcome?: ToolOutcome
	  }

/** Seconds before the n-th retry: 1, 2, 4, … up to a minute. */
export const backoffSeconds = (attempts: number): number =>
	Math.min(60, 2 ** Math.max(0, attempts - 1))

/** Handles one batch; every message is acked or retried exactly once. */
export function handleToolJobBatch(
	batch: MessageBatch<unknown>,
	deps: ConsumerDeps,
): Promise<JobResult[]> {
	const deadLetter = isDeadLetterQueue(batch.queue)
	return Promise.all(
		batch.messages.map((message) =>
			(deadLetter ? settleDeadLetter(message, deps) : handleJob(message, deps)).catch(
				(error: unknown): JobResult => {
					// Nothing above should throw; if it does, the message is retried, never lost.
					deps.logger.error('tool_job.failed', { messageId: message.id, error })
					message.retry({ delaySeconds: backoffSeconds(message.attempts) })
					return { jobId: jobIdOf(message.body) ?? 'unknown', status: 'retried' }
				},
			),
		),
	)
}

async function handleJob(message: Message<unknown>, deps: ConsumerDeps): Promise<JobResult> {
	const parsed = ToolJob.safeParse(message.body)
	if (!parsed.success) {
		deps.logger.warn('tool_job.malformed', {
			messageId: message.id,
			issues: parsed.error.issues.length,
		})
		message.ack()
		return { jobId: undefined, status: 'malformed' }
	}
	const job = parsed.data
	// The job's lines carry the trace id of the run that sent it.
	const traceId = traceIdOf(job.traceparent)
	const logger = traceId ? deps.logger.child({ traceId }) : deps.logger
	const retry = (reason: string, error?: unknown): JobResult => {
		logger.warn('tool_job.retry', {
			jobId: job.jobId,
			reason,
			attempts: message.attempts,
			error,
		})
		message.retry({ delaySeconds: backoffSeconds(message.attempts) })
		return { jobId: job.jobId, status: 'retried' }
	}
	const lane = deps.lane(job.session)
	const started = deps.now()
	// The agent is read while the lane answers the claim (a read: nothing runs before the claim).
	const agentRead = deps.agent(job.tenant, job.agent)
	agentRead.catch(() => {})
	let claim: ClaimAnswer
	try {
		claim = await lane.claimToolJob(job.jobId)
	} catch (error) {
		return retry('lane_unreachable', error)
	}
	if (claim !== 'run') {
		message.ack()
		return { jobId: job.jobId, status: 'skipped', claim }
	}

	const agent = await agentRead
	let outcome: ToolOutcome
	let decision = { effect: 'deny' as 'allow' | 'deny', policyId: 'agent-gone' }
	let spec: AnyToolSpec | undefined
	let placement = () => 'job'
	if (!agent) {
		outcome = fail('tool_denied', `Agent "${job.agent}" no longer exists.`)
	} else {
		spec = (await deps.toolbox.toolsFor(agent)).find((t) => t.name === job.tool)
		if (!spec) {
			decision = { effect: 'deny', policyId: 'agent-tools' }
			outcome = fail('tool_unavailable', `Tool "${job.tool}" is no longer available to this agent.`)
		} else {
			const principals = principalsOf(job)
			const decided = await decideForEvery(
				(request) => deps.toolbox.decide(request),
				principals,
				{
					tenantId: job.tenant,
					agentId: job.agent,
					sessionKey: job.sessionKey,
					tool: spec.name,
					sideEffect: spec.sideEffect,
				},
				started,
			)
			decision = { effect: decided.effect, policyId: decided.policyId }
			if (decided.effect === 'deny') {
				deps.toolbox.audit({
					tenantId: job.tenant,
					actor: actorOf(job.subject),
					action: 'tool.denied',
					target: toolResource({ tenantId: job.tenant, agentId: job.agent, tool: spec.name }),
					outcome: 'deny',
					traceId,
					data: {
						policy: decided.policyId,
						reason: decided.reason,
						...(decided.principal !== undefined && { principal: decided.principal }),
						principals: actorsOf(principals),
						runId: job.runId,
						stage: 'consumer',
					},
				})
				outcome = fail('tool_denied', deniedText(spec.name, decided, principals.length))
			} else {
				const signal = AbortSignal.timeout(Math.max(1, job.deadline - started))
				const watched = watchPlacement(
					deps.toolbox.context({
						tenantId: job.tenant,
						agentId: job.agent,
						sessionKey: job.sessionKey,
						runId: job.runId,
						callId: job.callId,
						signal,
						agent,
						traceparent: job.traceparent,
						subject: job.subject,
					}),
					spec,
				)
				placement = watched.placement
				try {
					outcome = await runTool(spec, job.args, watched.ctx, {
						rethrowTransient: spec.idempotent,
					})
				} catch (error) {
					if (isTransient(error)) return retry(error.code, error)
					// The job's own deadline passed (runTool rethrows an aborted signal).
					outcome = fail('tool_timeout', `"${spec.name}" passed the job's deadline.`)
				}
			}
		}
	}

	let delivered: boolean
	try {
		delivered = await lane.deliverToolResult(job.jobId, outcome)
	} catch (error) {
		return retry('delivery_failed', error)
	}
	recordExecution(
		deps,
		message,
		placement(),
		executionOf(job, message.attempts, {
			decision: decision.effect,
			policyId: decision.policyId,
			status:
				decision.effect === 'deny'
					? 'denied'
					: outcome.ok
						? 'succeeded'
						: outcome.code === 'timeout' || outcome.code === 'tool_timeout'
							? 'timeout'
							: 'failed',
			code: outcome.code,
			startedAt: started,
			durationMs: deps.now() - started,
			bytesOut: outcome.text.length,
		}),
		traceIdOf(job.traceparent),
	)
	message.ack()
	return { jobId: job.jobId, status: delivered ? 'delivered' : 'undelivered', outcome }
}

/** A job that used up its retries: the call fails visibly instead of waiting for its deadline. */
async function settleDeadLetter(message: Message<unknown>, deps: ConsumerDeps): Promise<JobResult> {
	const parsed = ToolJob.safeParse(message.body)
	if (!parsed.success) {
		message.ack()
		return { jobId: undefined, status: 'malformed' }
	}
	const job = parsed.data
	const outcome = fail(
		'tool_dead_lettered',
		`The tool job for "${job.tool}" could not be completed after its retries.`,
	)
	try {
		await deps.lane(job.session).deliverToolResult(job.jobId, outcome)
	} catch (error) {
		deps.logger.warn('tool_job.dead_letter_undelivered', { jobId: job.jobId, error })
		message.retry({ delaySeconds: backoffSeconds(message.attempts) })
		return { jobId: job.jobId, status: 'retried' }
	}
	deps.logger.error('tool_job.dead_lettered', {
		jobId: job.jobId,
		tool: job.tool,
		tenant: job.tenant,
		traceId: traceIdOf(job.traceparent),
	})
	recordExecution(
		deps,
		message,
		'job',
		executionOf(job, message.attempts, {
			decision: 'allow',
			policyId: 'dead-letter',
			status: 'dead_lettered',
			code: outcome.code,
			startedAt: deps.now(),
			durationMs: 0,
			bytesOut: 0,
		}),
		traceIdOf(job.traceparent),
	)
	message.ack()
	return { jobId: job.jobId, status: 'dead_lettered', outcome }
}

/**
 * Records a job's execution (`tool_executions`) and measures it: queue wait is the message's
 * send → the consumer taking it (the execution's start).
 */
function recordExecution(
	deps: ConsumerDeps,
	message: Message<unknown>,
	placement: string,
	execution: ToolExecution,
	traceId: string | undefined,
): void {
	deps.toolbox.record(execution)
	deps.metrics?.write(
		toolPoint(execution, {
			placement,
			queueWaitMs: execution.startedAt - message.timestamp.getTime(),
			traceId,
		}),
	)
}

/** The `tool_executions` row of a job, from the job and how it ended. */
function executionOf(
	job: ToolJob,
	attempts: number,
	end: Pick<
		ToolExecution,
		'decision' | 'policyId' | 'status' | 'code' | 'startedAt' | 'durationMs' | 'bytesOut'
	>,
): ToolExecution {
	return {
		id: job.jobId,
		tenantId: job.tenant,
		agentId: job.agent,
		sessionKey: job.sessionKey,
		runId: job.runId,
		callId: job.callId,
		actor: actorOf(job.subject),
		principals: actorsOf(principalsOf(job)),
		tool: job.tool,
		args: job.args,
		placement: 'job',
		attempts,
		bytesIn: JSON.stringify(job.args ?? null).length,
		traceId: traceIdOf(job.traceparent),
		...end,
	}
}

/** Whom the job's call was decided for; a job from before runs carried several names its starter. */
const principalsOf = (job: ToolJob): ToolSubject[] => job.principals ?? [job.subject]

const isTransient = (error: unknown): error is ToolError =>
	error instanceof ToolError && error.transient

function jobIdOf(body: unknown): string | undefined {
	return body && typeof body === 'object' && 'jobId' in body && typeof body.jobId === 'string'
		? body.jobId
		: undefined
}
