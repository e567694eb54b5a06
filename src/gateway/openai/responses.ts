// The Responses API (`/v1/responses`): a request becomes one turn of an agent's session lane, as a
// chat completion does; its id names the run and the session (responses-ids.ts), so that
// `previous_response_id` continues that session and the response can be retrieved or cancelled.
import { createRoute, z } from '@hono/zod-openapi'
import { resolveAgent } from '../../agents/lookup'
import { database } from '../../db/client'
import { SessionKey } from '../../lanes/name'
import { isFinished, type RunView, type SubmitRequest } from '../../lanes/types'
import { authorizeRule } from '../authz'
import { callLane, checkBudget, openLane, subjectOf, traceparentOf } from '../lane/client'
import { jsonBody } from '../middleware/body'
import { bearerAuth, createRouter, json } from '../openapi'
import { ProblemError } from '../problem'
import { IdempotencyKey } from '../routes/sessions/schemas'
import { afterwards, endEphemeral, WAIT_GRACE_MS } from './completions'
import { modelNotFound, runFailure, unsupported } from './errors'
import { agentIdOf, modelIdOf, SESSION_HEADER } from './names'
import { type ResponseRef, responseIdOf } from './responses-ids'
import { refuseUnsupported, responseTurnOf } from './responses-input'
import { echoOf, responseOf, storedEcho } from './responses-output'
import { ResponseCreateRequest, ResponseObject } from './responses-schemas'
import {
	laneOf,
	previousNotFound,
	resolverFor,
	responseNotFound,
	runOf,
	sessionOf,
} from './responses-sessions'
import { responseStream } from './responses-stream'
import { openAIErrors, runErrors } from './schemas'

const create = createRoute({
	method: 'post',
	path: '/v1/responses',
	tags: ['openai'],
	security: bearerAuth,
	summary: 'Create a response (OpenAI Responses API): one turn of an agent',
	description:
		"`model` is `edgeclaw/<agentId>`. `previous_response_id` continues that response's session; otherwise the session is the `x-edgeclaw-session` header, else one per `user`, else new (kept unless `store: false`). The last user message of `input` (or the `function_call_output` items it ends with) is the turn; earlier items and `instructions` seed a new session. `stream: true` answers with the typed Server-Sent Events (`response.created` … `response.completed`). Function `tools` are client tools: a call ends the response with `function_call` items, answered by the next request's `function_call_output` items; `text.format` `json_object`/`json_schema` asks the models for JSON. Hosted tools are refused (400). See docs/openai.md.",
	middleware: [jsonBody()] as const,
	request: {
		headers: z.object({
			[SESSION_HEADER]: SessionKey.optional(),
			'idempotency-key': IdempotencyKey.optional(),
		}),
		body: { required: true, content: { 'application/json': { schema: ResponseCreateRequest } } },
	},
	responses: {
		200: {
			description: 'The response, or with `stream: true` a `text/event-stream` of its events',
			content: {
				'application/json': { schema: ResponseObject },
				'text/event-stream': { schema: z.string() },
			},
		},
		...openAIErrors,
		...runErrors,
	},
})

const ResponseIdParam = z.object({
	response_id: z.string().min(1).max(1_000).openapi({ example: 'resp_bWFpbiBvcGVuYWktMSAwYjhm…' }),
})

const retrieve = createRoute({
	method: 'get',
	path: '/v1/responses/{response_id}',
	tags: ['openai'],
	security: bearerAuth,
	summary: 'Retrieve a stored response (OpenAI Responses API): the run it names',
	request: { params: ResponseIdParam },
	responses: { 200: json(ResponseObject, 'The response'), ...openAIErrors },
})

const cancel = createRoute({
	method: 'post',
	path: '/v1/responses/{response_id}/cancel',
	tags: ['openai'],
	security: bearerAuth,
	summary: 'Cancel a response that is queued or in progress: cancels its run',
	request: { params: ResponseIdParam },
	responses: {
		200: json(ResponseObject, 'The cancelled response'),
		...openAIErrors,
		409: runErrors[409],
	},
})

/** A run that ended without an answer, as an error naming `input` where chat names `messages`. */
function failed(run: RunView, headers: Record<string, string>): ProblemError {
	const problem = runFailure(run, headers)
	if (problem.extensions.param === 'messages') problem.extensions.param = 'input'
	return problem
}

const unknownModel = (model: string) =>
	modelNotFound(
		`The model "${model}" does not exist: models are "edgeclaw/<agentId>" for the agents of this tenant (GET /v1/models).`,
	)

/** A response that is still running when the wait ends: it goes on, and can be retrieved. */
const stillRunning = (ref: ResponseRef, run: RunView) =>
	new ProblemError(
		'run_timeout',
		`The response ${responseIdOf(ref)} is still ${run.status}; it goes on in session "${ref.sessionKey}" and can be retrieved (GET /v1/responses/{id}).`,
		{ extensions: { reason: 'timeout' }, headers: { [SESSION_HEADER]: ref.sessionKey } },
	)

export const responseRoutes = createRouter()
	.openapi(create, async (c) => {
		const body = c.req.valid('json')
		const headers = c.req.valid('header')
		refuseUnsupported(body)
		const principal = c.get('principal')
		const agentId = agentIdOf(body.model)
		if (!agentId || !(await resolveAgent(database(c.env.DB), principal.tenantId, agentId))) {
			throw unknownModel(body.model)
		}
		// The whole request is checked before any session is touched.
		const turn = await responseTurnOf(body, resolverFor(c))
		const idempotencyKey = headers['idempotency-key']
		const { sessionKey, ephemeral, previous } = await sessionOf(
			body,
			agentId,
			headers[SESSION_HEADER],
			idempotencyKey === undefined ? undefined : { key: idempotencyKey, by: principal.id },
		)
		// The route's rule saw no session (it is not in the path); a policy on this one applies too.
		await authorizeRule(
			c,
			{ action: 'sessions:send', resource: 'session', param: 'sessionKey' },
			{ sessionKey },
		)
		const lane = await openLane(c.env, principal.tenantId, sessionKey, agentId)
		if (previous && !(await runOf(c, lane, previous.runId))) {
			throw previousNotFound(body.previous_response_id as string)
		}
		await checkBudget(c.env, lane)
		const request: SubmitRequest = {
			session: lane.ref,
			agent: lane.agent,
			...turn,
			mode: 'followup',
			maxConcurrentRuns: lane.maxConcurrentRuns,
			subject: subjectOf(principal),
			...(idempotencyKey !== undefined && { idempotencyKey }),
			...(ephemeral && { ephemeral }),
			...traceparentOf(c.get('trace')),
		}
		const echo = echoOf(body)
		const refTo = (run: RunView): ResponseRef => ({ agentId, sessionKey, runId: run.runId })

		if (body.stream) {
			// One round trip: the submit opens the run's event stream too.
			const outcome = await callLane(c.get('logger'), () =>
				lane.stub.send(request, { stream: true }),
			)
			const events = responseStream({
				events: lane.stub,
				readRun: () => runOf(c, lane, outcome.run.runId),
				run: outcome.run,
				after: outcome.events?.after ?? 0,
				...(outcome.events && { opened: outcome.events.body }),
				duplicate: outcome.duplicate,
				ref: refTo(outcome.run),
				agent: lane.agent,
				echo,
				logger: c.get('logger'),
			})
			const stream = ephemeral
				? events.pipeThrough(afterwards(() => endEphemeral(c, lane)))
				: events
			return new Response(stream, {
				status: 200,
				headers: {
					'content-type': 'text/event-stream; charset=utf-8',
					'cache-control': 'no-cache, no-transform',
					'x-accel-buffering': 'no',
					[SESSION_HEADER]: sessionKey,
				},
			})
		}

		// In the background the run is only queued: the answer is retrieved later by its id.
		const waitMs = body.background ? 0 : lane.agent.config.limits.runDeadlineMs + WAIT_GRACE_MS
		const outcome = await callLane(c.get('logger'), () => lane.stub.send(request, { waitMs }))
		const run = outcome.final ?? outcome.run
		if (ephemeral && !isFinished(run.status)) endEphemeral(c, lane)
		c.header(SESSION_HEADER, sessionKey)
		if (body.background) return c.json(responseOf(refTo(run), run, lane.agent, echo), 200)
		if (!isFinished(run.status)) throw stillRunning(refTo(run), run)
		// The errors of a run that ended without an answer carry the session, like its answer would.
		if (run.status !== 'succeeded') throw failed(run, { [SESSION_HEADER]: sessionKey })
		return c.json(responseOf(refTo(run), run, lane.agent, echo), 200)
	})
	.openapi(retrieve, async (c) => {
		const id = c.req.valid('param').response_id
		if (c.req.query('stream') === 'true') {
			throw unsupported(
				'stream',
				'Streaming a stored response again is not supported.',
				'unsupported_value',
			)
		}
		const { ref, lane } = await laneOf(c, id, 'sessions:read')
		const run = await runOf(c, lane, ref.runId)
		if (!run) throw responseNotFound(id)
		c.header(SESSION_HEADER, ref.sessionKey)
		return c.json(responseOf(ref, run, lane.agent, storedEcho(modelIdOf(ref.agentId))), 200)
	})
	.openapi(cancel, async (c) => {
		const id = c.req.valid('param').response_id
		const { ref, lane } = await laneOf(c, id, 'sessions:cancel')
		if (!(await runOf(c, lane, ref.runId))) throw responseNotFound(id)
		const run = await callLane(c.get('logger'), () => lane.stub.cancel(ref.runId))
		c.header(SESSION_HEADER, ref.sessionKey)
		return c.json(responseOf(ref, run, lane.agent, storedEcho(modelIdOf(ref.agentId))), 200)
	})
