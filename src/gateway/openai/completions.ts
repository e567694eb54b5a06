// POST /v1/chat/completions: an OpenAI Chat Completions request becomes one turn of an agent's
// session lane — the model names the agent, the last user message is the turn, earlier messages
// seed a new session — answered as a chat.completion or streamed as chunks.
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { resolveAgent } from '../../agents/lookup'
import { database } from '../../db/client'
import { SessionKey } from '../../lanes/name'
import { isFinished, type LaneResult, type RunView, type SubmitRequest } from '../../lanes/types'
import { waitUntil } from '../audit'
import { authorizeRule } from '../authz'
import type { GatewayEnv } from '../context'
import {
	callLane,
	checkBudget,
	type LaneHandle,
	openLane,
	subjectOf,
	traceparentOf,
} from '../lane/client'
import { jsonBody } from '../middleware/body'
import { bearerAuth, createRouter } from '../openapi'
import { ProblemError } from '../problem'
import { IdempotencyKey } from '../routes/sessions/schemas'
import { splitConversation } from './conversation'
import { modelNotFound, runFailure } from './errors'
import { agentIdOf, SESSION_HEADER, sessionKeyFor } from './names'
import { refuseUnsupported, runOptionsOf } from './options'
import {
	ChatCompletion,
	type ChatCompletion as ChatCompletionBody,
	ChatCompletionRequest,
	openAIErrors,
	runErrors,
} from './schemas'
import { completionId, completionStream, finishReasonOf, toolCallsOf, usageOf } from './stream'

/** Waiting for a run never outlasts its deadline by more than this (the lane fails it then). */
export const WAIT_GRACE_MS = 30_000

const create = createRoute({
	method: 'post',
	path: '/v1/chat/completions',
	tags: ['openai'],
	security: bearerAuth,
	summary: 'Chat Completions (OpenAI-compatible): one turn of an agent',
	description:
		"`model` is `edgeclaw/<agentId>` (or `<agentId>`). The session is the `x-edgeclaw-session` header, else one per `user`, else new; it comes back in `x-edgeclaw-session`. The last user message is the turn; earlier messages are stored ahead of it when the session is new. `stream: true` answers with Server-Sent Events of `chat.completion.chunk` objects and `data: [DONE]`. Errors use OpenAI's shape `{error: {message, type, param, code}}`. `tools` are client function tools: the agent's model may call them beside the agent's own tools, and such a call ends the answer with `finish_reason: \"tool_calls\"`; the next request brings the results as `tool` messages. `response_format` `json_object`/`json_schema` asks the models for JSON. `n` > 1 and audio are refused (400). See docs/openai.md.",
	middleware: [jsonBody()] as const,
	request: {
		headers: z.object({
			[SESSION_HEADER]: SessionKey.optional(),
			'idempotency-key': IdempotencyKey.optional(),
		}),
		body: { required: true, content: { 'application/json': { schema: ChatCompletionRequest } } },
	},
	responses: {
		200: {
			description: 'The completion, or with `stream: true` a `text/event-stream` of chunks',
			content: {
				'application/json': { schema: ChatCompletion },
				'text/event-stream': { schema: z.string() },
			},
		},
		...openAIErrors,
		...runErrors,
	},
})

const unknownModel = (model: string) =>
	modelNotFound(
		`The model "${model}" does not exist: models are "edgeclaw/<agentId>" for the agents of this tenant (GET /v1/models).`,
	)

/** A run that has not ended within the wait: it goes on in its session, where it can be read. */
const stillRunning = (run: RunView, lane: LaneHandle) =>
	new ProblemError(
		'run_timeout',
		`The run ${run.runId} is still ${run.status}; it goes on in session "${lane.ref.sessionKey}" (GET /v1/sessions/${lane.ref.sessionKey}/runs/${run.runId}?agent=${lane.ref.agentId}).`,
		{ extensions: { reason: 'timeout' }, headers: { [SESSION_HEADER]: lane.ref.sessionKey } },
	)

function completionOf(run: RunView, model: string, lane: LaneHandle): ChatCompletionBody {
	const toolCalls = toolCallsOf(run)
	return {
		id: completionId(run.runId),
		object: 'chat.completion',
		created: Math.floor(run.createdAt / 1000),
		model,
		choices: [
			{
				index: 0,
				message: {
					role: 'assistant',
					// With tool calls and no text, content is null as OpenAI's is.
					content: toolCalls && !run.output ? null : (run.output ?? ''),
					refusal: null,
					...(toolCalls && { tool_calls: toolCalls }),
				},
				finish_reason: finishReasonOf(run, lane.agent),
				logprobs: null,
			},
		],
		usage: usageOf(run),
	}
}

/**
 * Deletes an ephemeral session (stopping its run if the client left early), off the answer's
 * path. An answered JSON request makes no such call: the lane deletes itself once its run has
 * ended and nobody waits for it. A stream's end is told here because the lane would learn only
 * lazily that the stream's reader is gone (the stream reads the ended run first).
 */
export function endEphemeral(c: Context<GatewayEnv>, lane: LaneHandle): void {
	const done = (async () => {
		await lane.stub.destroy()
	})().catch((error: unknown) => c.get('logger').warn('openai.ephemeral_cleanup_failed', { error }))
	waitUntil(c, done)
}

/** Passes a stream through and calls `fn` when it ends, however it ends. */
export function afterwards(fn: () => void): TransformStream<Uint8Array, Uint8Array> {
	let called = false
	const once = () => {
		if (!called) {
			called = true
			fn()
		}
	}
	return new TransformStream({ flush: once, cancel: once } as Transformer<Uint8Array, Uint8Array>)
}

export const completionRoutes = createRouter().openapi(create, async (c) => {
	const body = c.req.valid('json')
	const headers = c.req.valid('header')
	refuseUnsupported(body)
	const options = runOptionsOf(body)
	const { context, turn, toolResults } = splitConversation(body.messages)
	const principal = c.get('principal')
	const agentId = agentIdOf(body.model)
	if (!agentId || !(await resolveAgent(database(c.env.DB), principal.tenantId, agentId))) {
		throw unknownModel(body.model)
	}
	const { sessionKey, source } = await sessionKeyFor(headers[SESSION_HEADER], body.user)
	// A request that names no session gets one of its own, deleted once it has answered.
	const ephemeral = source === 'ephemeral'
	// The route's rule saw no session (it is not in the path); a policy on this one applies too.
	await authorizeRule(
		c,
		{ action: 'sessions:send', resource: 'session', param: 'sessionKey' },
		{ sessionKey },
	)
	const lane = await openLane(c.env, principal.tenantId, sessionKey, agentId)
	await checkBudget(c.env, lane)
	const idempotencyKey = headers['idempotency-key']
	const request: SubmitRequest = {
		session: lane.ref,
		agent: lane.agent,
		content: turn,
		mode: 'followup',
		maxConcurrentRuns: lane.maxConcurrentRuns,
		subject: subjectOf(principal),
		...(context.length > 0 && { context }),
		...(toolResults.length > 0 && { toolResults }),
		...(options && { options }),
		...(idempotencyKey !== undefined && { idempotencyKey }),
		...(ephemeral && { ephemeral }),
		...traceparentOf(c.get('trace')),
	}

	if (body.stream) {
		// One round trip: the submit opens the run's event stream too.
		const outcome = await callLane(c.get('logger'), () => lane.stub.send(request, { stream: true }))
		const events = completionStream({
			events: lane.stub,
			readRun: async () => {
				const result = (await lane.stub.getRun(outcome.run.runId)) as LaneResult<RunView>
				return result.ok ? result.value : undefined
			},
			run: outcome.run,
			after: outcome.events?.after ?? 0,
			...(outcome.events && { opened: outcome.events.body }),
			duplicate: outcome.duplicate,
			agent: lane.agent,
			model: body.model,
			includeUsage: body.stream_options?.include_usage === true,
			logger: c.get('logger'),
		})
		const stream = ephemeral ? events.pipeThrough(afterwards(() => endEphemeral(c, lane))) : events
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

	const waitMs = lane.agent.config.limits.runDeadlineMs + WAIT_GRACE_MS
	const outcome = await callLane(c.get('logger'), () => lane.stub.send(request, { waitMs }))
	const run = outcome.final ?? outcome.run
	if (ephemeral && !isFinished(run.status)) endEphemeral(c, lane)
	if (!isFinished(run.status)) throw stillRunning(run, lane)
	// The errors of a run that ended without an answer carry the session, like its answer would.
	if (run.status !== 'succeeded') throw runFailure(run, { [SESSION_HEADER]: sessionKey })
	c.header(SESSION_HEADER, sessionKey)
	return c.json(completionOf(run, body.model, lane), 200)
})
