// Sessions of the caller's tenant: list (from the D1 index), read, reset, delete, export.
import { createRoute, z } from '@hono/zod-openapi'
import { Slug } from '../../../agents/config'
import { database } from '../../../db/client'
import { listSessions, type SessionCursor } from '../../../db/sessions'
import type { SessionInfo } from '../../../lanes/types'
import { audit } from '../../audit'
import { callLane, type LaneHandle, openLane, unwrap } from '../../lane/client'
import { authedErrors, bearerAuth, createRouter, json, notFoundResponse } from '../../openapi'
import { ProblemError } from '../../problem'
import {
	AgentQuery,
	SessionParams,
	SessionSchema,
	SessionSummarySchema,
	sessionSummary,
} from './schemas'

const list = createRoute({
	method: 'get',
	path: '/v1/sessions',
	tags: ['sessions'],
	security: bearerAuth,
	summary: "List the tenant's sessions, most recently active first",
	request: {
		query: z.object({
			agent: Slug.optional(),
			limit: z.coerce.number().int().min(1).max(200).default(50),
			cursor: z.string().max(1_000).optional(),
		}),
	},
	responses: {
		200: json(
			z.object({ sessions: z.array(SessionSummarySchema), nextCursor: z.string().nullable() }),
			'Sessions',
		),
		...authedErrors,
	},
})

const read = createRoute({
	method: 'get',
	path: '/v1/sessions/{sessionKey}',
	tags: ['sessions'],
	security: bearerAuth,
	summary: 'Read a session',
	request: { params: SessionParams, query: AgentQuery },
	responses: { 200: json(SessionSchema, 'The session'), ...authedErrors, ...notFoundResponse },
})

const reset = createRoute({
	method: 'post',
	path: '/v1/sessions/{sessionKey}/reset',
	tags: ['sessions'],
	security: bearerAuth,
	summary: 'Start a new transcript under the same session (active and queued runs are cancelled)',
	request: { params: SessionParams, query: AgentQuery },
	responses: {
		200: json(SessionSchema, 'The reset session'),
		...authedErrors,
		...notFoundResponse,
	},
})

const remove = createRoute({
	method: 'delete',
	path: '/v1/sessions/{sessionKey}',
	tags: ['sessions'],
	security: bearerAuth,
	summary: 'Delete a session: its storage, alarms, index row and subscribers',
	request: { params: SessionParams, query: AgentQuery },
	responses: { 204: { description: 'Deleted' }, ...authedErrors, ...notFoundResponse },
})

const exportRoute = createRoute({
	method: 'get',
	path: '/v1/sessions/{sessionKey}/export',
	tags: ['sessions'],
	security: bearerAuth,
	summary:
		'Export the session as JSON Lines: the session, every message (compacted included), every run',
	request: { params: SessionParams, query: AgentQuery },
	responses: {
		200: {
			description: 'application/x-ndjson stream',
			content: { 'application/x-ndjson': { schema: z.string() } },
		},
		...authedErrors,
		...notFoundResponse,
	},
})

const view = (info: SessionInfo) => ({
	sessionKey: info.session.sessionKey,
	agent: info.session.agentId,
	createdAt: info.createdAt,
	updatedAt: info.updatedAt,
	messages: info.messages,
	runs: info.runs,
	activeRunId: info.activeRunId,
	lastEventSeq: info.lastEventSeq,
	compactions: info.compactions,
})

const encodeCursor = (c: SessionCursor) =>
	btoa(JSON.stringify([c.updatedAt, c.agentId, c.sessionKey]))

function decodeCursor(raw: string): SessionCursor {
	try {
		const [updatedAt, agentId, sessionKey] = JSON.parse(atob(raw)) as unknown[]
		if (
			typeof updatedAt === 'number' &&
			typeof agentId === 'string' &&
			typeof sessionKey === 'string'
		) {
			return { updatedAt, agentId, sessionKey }
		}
	} catch {}
	throw new ProblemError(
		'validation_failed',
		'Invalid request; query field "cursor": not a cursor from this API.',
	)
}

const PAGE = 200
const encoder = new TextEncoder()

/** Streams the export page by page, so a large session never sits in memory whole. */
function exportStream(lane: LaneHandle, info: SessionInfo): ReadableStream<Uint8Array> {
	const line = (value: unknown) => encoder.encode(`${JSON.stringify(value)}\n`)
	let phase: 'head' | 'messages' | 'runs' | 'done' = 'head'
	let after = 0
	return new ReadableStream<Uint8Array>({
		async pull(controller) {
			if (phase === 'head') {
				controller.enqueue(line({ type: 'session', ...view(info) }))
				phase = 'messages'
			} else if (phase === 'messages') {
				const page = unwrap(await lane.stub.listMessages(after, PAGE))
				for (const m of page.messages) controller.enqueue(line({ type: 'message', ...m }))
				if (page.next === null) {
					phase = 'runs'
					after = 0
				} else after = page.next
			} else if (phase === 'runs') {
				const page = unwrap(await lane.stub.listRuns(after, PAGE))
				for (const r of page.runs) controller.enqueue(line({ type: 'run', ...r }))
				if (page.next === null) phase = 'done'
				else after = page.next
			} else controller.close()
		},
	})
}

export const sessionRoutes = createRouter()
	.openapi(list, async (c) => {
		const { agent, limit, cursor } = c.req.valid('query')
		const after = cursor === undefined ? undefined : decodeCursor(cursor)
		const rows = await listSessions(database(c.env.DB), {
			tenantId: c.get('principal').tenantId,
			agentId: agent,
			limit: limit + 1,
			after,
		})
		const page = rows.slice(0, limit)
		const last = page.at(-1)
		const nextCursor =
			rows.length > limit && last
				? encodeCursor({
						updatedAt: last.updatedAt.getTime(),
						agentId: last.agentId,
						sessionKey: last.sessionKey,
					})
				: null
		return c.json(
			{
				sessions: page.map(sessionSummary),
				nextCursor,
			},
			200,
		)
	})
	.openapi(read, async (c) => {
		const { sessionKey } = c.req.valid('param')
		const { agent } = c.req.valid('query')
		const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, agent)
		return c.json(view(await callLane(c.get('logger'), () => lane.stub.info())), 200)
	})
	.openapi(reset, async (c) => {
		const { sessionKey } = c.req.valid('param')
		const { agent } = c.req.valid('query')
		const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, agent)
		const info = await callLane(c.get('logger'), () => lane.stub.reset())
		c.get('logger').info('session.reset', { session: lane.ref.sessionKey, agent: lane.ref.agentId })
		await audit(c, {
			action: 'session.reset',
			target: `session:${lane.ref.agentId}/${lane.ref.sessionKey}`,
			outcome: 'success',
		})
		return c.json(view(info), 200)
	})
	.openapi(remove, async (c) => {
		const { sessionKey } = c.req.valid('param')
		const { agent } = c.req.valid('query')
		const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, agent)
		await callLane(c.get('logger'), () => lane.stub.destroy())
		c.get('logger').info('session.deleted', {
			session: lane.ref.sessionKey,
			agent: lane.ref.agentId,
		})
		await audit(c, {
			action: 'session.deleted',
			target: `session:${lane.ref.agentId}/${lane.ref.sessionKey}`,
			outcome: 'success',
		})
		return c.body(null, 204)
	})
	.openapi(exportRoute, async (c) => {
		const { sessionKey } = c.req.valid('param')
		const { agent } = c.req.valid('query')
		const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, agent)
		const info = await callLane(c.get('logger'), () => lane.stub.info())
		const filename = `${lane.ref.agentId}-${lane.ref.sessionKey.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`
		const res = new Response(exportStream(lane, info), {
			headers: {
				'content-type': 'application/x-ndjson; charset=utf-8',
				'content-disposition': `attachment; filename="${filename}"`,
			},
		})
		// zod-openapi types any "…json" media type as a JSON body; this one is a stream of lines.
		return res as never
	})
