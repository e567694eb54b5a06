// POST a message into a session (async → runId, or wait for the final result) and page through
// the session's transcript.
import { createRoute, z } from '@hono/zod-openapi'
import type { RunView } from '../../../lanes/types'
import { callLane, checkBudget, openLane, subjectOf, traceparentOf } from '../../lane/client'
import { jsonBody } from '../../middleware/body'
import {
	authedErrors,
	bearerAuth,
	createRouter,
	json,
	notFoundResponse,
	ProblemSchema,
} from '../../openapi'
import { PROBLEM_CONTENT_TYPE } from '../../problem'
import { AgentQuery, MessageSchema, SessionParams, SubmitBody, SubmitResult } from './schemas'

const submit = createRoute({
	method: 'post',
	path: '/v1/sessions/{sessionKey}/messages',
	tags: ['sessions'],
	security: bearerAuth,
	summary: 'Send a message to a session',
	description:
		'Queues a turn in the session lane (created on first use). `mode`: followup (default) queues a new turn; collect batches messages that arrive while a run is active into the next turn; steer injects into the active run at its next model step; interrupt cancels the active run and runs this one next. With `wait: true` the answer is the finished run (or 202 if it is still running after `waitTimeoutMs`). A repeated `idempotencyKey` within 24 h returns the original run.',
	middleware: [jsonBody()] as const,
	request: {
		params: SessionParams,
		body: { required: true, content: { 'application/json': { schema: SubmitBody } } },
	},
	responses: {
		200: json(SubmitResult, 'The run finished (wait: true)'),
		202: json(SubmitResult, 'Accepted; the run is queued or running'),
		...authedErrors,
		...notFoundResponse,
		409: {
			description: 'Session is full (session_full)',
			content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
		},
		429: {
			description:
				'Queue full (queue_full), daily token budget used up (budget_exhausted) or rate limited; see Retry-After',
			content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
		},
		503: {
			description: 'Lane unavailable; retry (lane_unavailable)',
			content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
		},
	},
})

const list = createRoute({
	method: 'get',
	path: '/v1/sessions/{sessionKey}/messages',
	tags: ['sessions'],
	security: bearerAuth,
	summary: "Page through a session's messages (compacted originals included)",
	request: {
		params: SessionParams,
		query: AgentQuery.extend({
			after: z.coerce.number().int().min(0).default(0),
			limit: z.coerce.number().int().min(1).max(500).default(100),
		}),
	},
	responses: {
		200: json(
			z.object({ messages: z.array(MessageSchema), next: z.number().int().nullable() }),
			'A page of messages',
		),
		...authedErrors,
		...notFoundResponse,
	},
})

const finished = (run: RunView) => ({
	runId: run.runId,
	status: run.status,
	output: run.output,
	usage: run.usage,
	error: run.error,
})

export const messageRoutes = createRouter()
	.openapi(submit, async (c) => {
		const { sessionKey } = c.req.valid('param')
		const body = c.req.valid('json')
		const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, body.agent)
		await checkBudget(c.env, lane)
		const result = await callLane(c.get('logger'), () =>
			lane.stub.send(
				{
					session: lane.ref,
					agent: lane.agent,
					content: body.content,
					mode: body.mode,
					maxConcurrentRuns: lane.maxConcurrentRuns,
					subject: subjectOf(c.get('principal')),
					...(body.idempotencyKey !== undefined && { idempotencyKey: body.idempotencyKey }),
					...traceparentOf(c.get('trace')),
				},
				body.wait ? { waitMs: body.waitTimeoutMs } : {},
			),
		)
		const run = result.final ?? result.run
		const view = {
			...finished(run),
			disposition: result.disposition,
			duplicate: result.duplicate,
		}
		const done = run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled'
		return body.wait && done ? c.json(view, 200) : c.json(view, 202)
	})
	.openapi(list, async (c) => {
		const { sessionKey } = c.req.valid('param')
		const { agent, after, limit } = c.req.valid('query')
		const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, agent)
		const page = await callLane(c.get('logger'), () => lane.stub.listMessages(after, limit))
		return c.json(page, 200)
	})
