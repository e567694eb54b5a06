// Read a run or its trace (the run as a span tree), or cancel it (queued: never runs; running:
// aborted, the lane moves on).
import { createRoute } from '@hono/zod-openapi'
import { callLane, openLane } from '../../lane/client'
import {
	authedErrors,
	bearerAuth,
	conflictResponse,
	createRouter,
	json,
	notFoundResponse,
} from '../../openapi'
import { AgentQuery, RunParams, RunSchema, RunTraceSchema } from './schemas'

const read = createRoute({
	method: 'get',
	path: '/v1/sessions/{sessionKey}/runs/{runId}',
	tags: ['sessions'],
	security: bearerAuth,
	summary: 'Read a run',
	request: { params: RunParams, query: AgentQuery },
	responses: { 200: json(RunSchema, 'The run'), ...authedErrors, ...notFoundResponse },
})

const trace = createRoute({
	method: 'get',
	path: '/v1/sessions/{sessionKey}/runs/{runId}/trace',
	tags: ['sessions'],
	security: bearerAuth,
	summary: "A run's trace: queue wait, compaction, model calls, tool calls and approvals as spans",
	description:
		'Built on demand from what the session lane stores. Model calls appear once the run has finished; a running tool call or approval is an open span (durationMs null).',
	request: { params: RunParams, query: AgentQuery },
	responses: {
		200: json(RunTraceSchema, 'The run as a span tree'),
		...authedErrors,
		...notFoundResponse,
	},
})

const cancel = createRoute({
	method: 'post',
	path: '/v1/sessions/{sessionKey}/runs/{runId}/cancel',
	tags: ['sessions'],
	security: bearerAuth,
	summary: 'Cancel a queued or running run',
	request: { params: RunParams, query: AgentQuery },
	responses: {
		200: json(RunSchema, 'The cancelled run'),
		...authedErrors,
		...notFoundResponse,
		...conflictResponse,
	},
})

export const runRoutes = createRouter()
	.openapi(read, async (c) => {
		const { sessionKey, runId } = c.req.valid('param')
		const { agent } = c.req.valid('query')
		const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, agent)
		return c.json(await callLane(c.get('logger'), () => lane.stub.getRun(runId)), 200)
	})
	.openapi(trace, async (c) => {
		const { sessionKey, runId } = c.req.valid('param')
		const { agent } = c.req.valid('query')
		const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, agent)
		return c.json(await callLane(c.get('logger'), () => lane.stub.runTrace(runId)), 200)
	})
	.openapi(cancel, async (c) => {
		const { sessionKey, runId } = c.req.valid('param')
		const { agent } = c.req.valid('query')
		const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, agent)
		return c.json(await callLane(c.get('logger'), () => lane.stub.cancel(runId)), 200)
	})
