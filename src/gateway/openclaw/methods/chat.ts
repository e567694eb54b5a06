// Chat and agent runs: `chat.send` (ack, then `chat` events), `chat.abort`, `agent` (accepted,
// then the final result as a second response) and `agent.wait`. Reading a transcript: history.ts.
import { z } from 'zod'
import { QUEUE_MODES, type RunView } from '../../../lanes/types'
import { checkBudget, subjectOf, traceparentOf, unwrap } from '../../lane/client'
import { ProblemError } from '../../problem'
import { MAX_CONTENT_CHARS } from '../../routes/sessions/schemas'
import { follow } from '../follows'
import { clawKey } from '../keys'
import {
	type Method,
	type MethodContext,
	method,
	openSession,
	trackedRun,
	trackRun,
} from './context'

const Key = z.string().min(1).max(300)
const Agent = z.string().min(1).max(64).optional()
const IdempotencyKey = z.string().min(1).max(200)

const SendParams = z
	.object({
		sessionKey: Key,
		agentId: Agent,
		message: z.string().min(1).max(MAX_CONTENT_CHARS),
		idempotencyKey: IdempotencyKey,
		queueMode: z.enum(QUEUE_MODES).optional(),
		attachments: z.array(z.unknown()).max(0, 'attachments are not supported yet').optional(),
		timeoutMs: z.number().int().min(0).optional(),
		thinking: z.string().max(50).optional(),
		deliver: z.boolean().optional(),
	})
	.loose()

/** Submits a message into a session and follows it; the shared core of chat.send and agent. */
async function submit(
	ctx: MethodContext,
	p: {
		sessionKey: string
		agentId?: string | undefined
		message: string
		idempotencyKey: string
		queueMode?: (typeof QUEUE_MODES)[number] | undefined
	},
) {
	const { lane } = await openSession(ctx, 'sessions:send', p.sessionKey, p.agentId)
	await checkBudget(ctx.env, lane)
	// Follow first, so not one event of the new run is missed.
	await follow(ctx, lane)
	const outcome = unwrap(
		await lane.stub.send({
			session: lane.ref,
			agent: lane.agent,
			content: [{ type: 'text', text: p.message }],
			mode: p.queueMode ?? 'followup',
			idempotencyKey: `openclaw:${p.idempotencyKey}`,
			maxConcurrentRuns: lane.maxConcurrentRuns,
			subject: subjectOf(ctx.principal, 'openclaw'),
			...traceparentOf(ctx.trace),
		}),
	)
	trackRun(ctx, p.idempotencyKey, outcome.run.runId, lane)
	return { lane, outcome, runId: p.idempotencyKey }
}

const runStatus = (run: RunView): string =>
	run.status === 'succeeded'
		? 'ok'
		: run.status === 'failed'
			? 'error'
			: run.status === 'cancelled'
				? 'aborted'
				: 'in_flight'

const send = method({
	scope: 'operator.write',
	params: SendParams,
	async handle(ctx, p) {
		const { outcome, runId } = await submit(ctx, p)
		const { run, duplicate } = outcome
		// As in OpenClaw, the runId is the idempotencyKey; a repeated key names the run it started
		// the first time (in flight or finished) and starts nothing.
		return duplicate
			? { runId, status: runStatus(run), duplicate: true }
			: { runId, status: 'started', disposition: outcome.disposition }
	},
})

const agent = method({
	scope: 'operator.write',
	params: z
		.object({
			message: z.string().min(1).max(MAX_CONTENT_CHARS),
			agentId: Agent,
			sessionKey: Key.optional(),
			idempotencyKey: IdempotencyKey,
			timeout: z.number().int().min(0).optional(),
			timeoutMs: z.number().int().min(0).optional(),
		})
		.loose(),
	async handle(ctx, p) {
		const sessionKey = p.sessionKey ?? `agent:${p.agentId ?? 'main'}:main`
		const { lane, outcome, runId } = await submit(ctx, { ...p, sessionKey })
		const laneRunId = outcome.run.runId
		const acceptedAt = ctx.now()
		const timeoutMs = p.timeoutMs ?? (p.timeout !== undefined ? p.timeout * 1000 : undefined)
		// Two-phase: `accepted` now; the final result follows as a second response to the same id
		// (clients that pass expectFinal wait for it, others stop at the first).
		ctx.respondLater(
			lane.stub
				.waitRun(laneRunId, timeoutMs ?? lane.agent.config.limits.runDeadlineMs)
				.then((r) => {
					const run = unwrap(r)
					const status = runStatus(run)
					return {
						runId,
						status: status === 'in_flight' ? 'timeout' : status,
						summary: run.output ?? run.error?.message ?? '',
						result: {
							payloads: run.output ? [{ text: run.output }] : [],
							meta: { model: run.model, usage: run.usage },
						},
						...(run.error && { error: run.error }),
					}
				}),
		)
		return { runId, status: 'accepted', acceptedAt, sessionKey: clawKey(lane.ref) }
	},
})

const wait = method({
	scope: 'operator.write',
	params: z.object({
		runId: z.string().min(1).max(200),
		timeoutMs: z.number().int().min(0).optional(),
	}),
	async handle(ctx, p) {
		const tracked = trackedRun(ctx, p.runId)
		if (!tracked) {
			throw new ProblemError('not_found', `unknown run: ${p.runId}`)
		}
		const run = unwrap(
			await ctx.env.SESSION_LANE.getByName(tracked.lane).waitRun(
				tracked.runId,
				p.timeoutMs ?? 30_000,
			),
		)
		const status = runStatus(run)
		return {
			runId: p.runId,
			status: status === 'in_flight' ? 'timeout' : status,
			...(run.startedAt !== null && { startedAt: run.startedAt }),
			...(run.finishedAt !== null && { endedAt: run.finishedAt }),
			...(run.error && { error: run.error.message }),
		}
	},
})

const abort = method({
	scope: 'operator.write',
	params: z
		.object({ sessionKey: Key, agentId: Agent, runId: z.string().min(1).max(200).optional() })
		.loose(),
	async handle(ctx, p) {
		const { lane } = await openSession(ctx, 'sessions:cancel', p.sessionKey, p.agentId)
		const info = await lane.stub.info()
		const runId = p.runId ?? (info.ok ? info.value.activeRunId : null)
		if (!runId) return { ok: true, aborted: false, runIds: [] }
		const result = await lane.stub.cancel(trackedRun(ctx, runId)?.runId ?? runId)
		if (!result.ok && result.error.code === 'not_found')
			return { ok: true, aborted: false, runIds: [] }
		const run = unwrap(result)
		return { ok: true, aborted: run.status === 'cancelled', runIds: [runId] }
	},
})

export const chatMethods: Record<string, Method> = {
	'chat.send': send,
	'chat.abort': abort,
	agent,
	'agent.wait': wait,
}
