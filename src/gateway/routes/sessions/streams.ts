// The session's event stream, resumable by seq: Server-Sent Events (`/events`) and a WebSocket
// (`/ws`). The gateway authenticates, then hands the connection to the lane, which replays stored
// events after `after` (or `Last-Event-ID`) and then sends live ones.
import { createRoute, z } from '@hono/zod-openapi'
import { TICKET_TTL_MS } from '../../../lanes/tickets'
import { ok } from '../../../lanes/types'
import { callLane, openEventStream, openLane } from '../../lane/client'
import { TICKET_PARAM, WS_PROTOCOL } from '../../middleware/auth'
import {
	authedErrors,
	bearerAuth,
	createRouter,
	json,
	notFoundResponse,
	ProblemSchema,
	problem,
} from '../../openapi'
import { ProblemError } from '../../problem'
import { newTicket, ticketHash } from '../../tickets'
import { AgentQuery, SessionParams } from './schemas'

const StreamQuery = AgentQuery.extend({ after: z.coerce.number().int().min(0).optional() })
const EventsQuery = StreamQuery.extend({
	/** A stream ticket (POST …/events/ticket) in place of the Authorization header. */
	ticket: z.string().max(200).optional(),
})

const ticket = createRoute({
	method: 'post',
	path: '/v1/sessions/{sessionKey}/events/ticket',
	tags: ['sessions'],
	security: bearerAuth,
	summary: 'A single-use ticket to open this session’s event stream without a header',
	description:
		'For browsers, whose `EventSource` cannot send `Authorization`: open `GET …/events?agent=…&ticket=<ticket>` within 60 s. The ticket is good once, for this session and agent only, acts as the caller who asked for it (while that credential is still valid), and is kept only as a hash. A reconnecting `EventSource` needs a new one (and sends `Last-Event-ID`).',
	request: { params: SessionParams, query: AgentQuery },
	responses: {
		201: json(
			z
				.object({
					ticket: z.string(),
					expiresAt: z.number().int(),
					/** The stream's path with the ticket, to hand to `new EventSource(url)`. */
					url: z.string(),
				})
				.openapi('StreamTicket'),
			'The ticket',
		),
		...authedErrors,
		...notFoundResponse,
		429: problem('Too many tickets outstanding for this session (rate_limited)'),
	},
})

const events = createRoute({
	method: 'get',
	path: '/v1/sessions/{sessionKey}/events',
	tags: ['sessions'],
	security: bearerAuth,
	summary: 'Stream session events as Server-Sent Events',
	description:
		'Each SSE message has `id` = event seq, `event` = type (queued, started, delta, tool, approval.requested, approval.resolved, final, error, cancelled, steered, compacted, reset, delivery.failed) and `data` = the event JSON. Events after `after` (or `Last-Event-ID`) are replayed from storage first. The stream may open before the session’s first message. Authenticate with `Authorization: Bearer …`, or — from a browser’s `EventSource` — with a single-use `ticket` from `POST …/events/ticket`.',
	request: { params: SessionParams, query: EventsQuery },
	responses: {
		200: {
			description: 'text/event-stream',
			content: { 'text/event-stream': { schema: z.string() } },
		},
		...authedErrors,
		...notFoundResponse,
	},
})

const socket = createRoute({
	method: 'get',
	path: '/v1/sessions/{sessionKey}/ws',
	tags: ['sessions'],
	security: bearerAuth,
	summary: 'Stream session events over a WebSocket',
	description:
		'Upgrade with `Authorization: Bearer …`, or from a browser with the subprotocols `edgeclaw, bearer.<token>` (never a token in the URL). Each text frame is one event JSON (same shape as SSE data); send "ping" to get "pong". The lane can hibernate while the socket stays open.',
	request: { params: SessionParams, query: StreamQuery },
	responses: {
		101: { description: 'Switching protocols' },
		426: {
			description: 'Not a WebSocket upgrade (upgrade_required)',
			content: { 'application/problem+json': { schema: ProblemSchema } },
		},
		...authedErrors,
		...notFoundResponse,
	},
})

function resumeFrom(after: number | undefined, lastEventId: string | undefined): number {
	const fromHeader = lastEventId && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : 0
	return Math.max(after ?? 0, fromHeader)
}

export const streamRoutes = createRouter()
	.openapi(ticket, async (c) => {
		const { sessionKey } = c.req.valid('param')
		const { agent } = c.req.valid('query')
		const principal = c.get('principal')
		const lane = await openLane(c.env, principal.tenantId, sessionKey, agent)
		const value = newTicket(principal.tenantId)
		const expiresAt = Date.now() + TICKET_TTL_MS
		const kept = await callLane(c.get('logger'), async () =>
			ok(
				await lane.stub.issueStreamTicket(
					await ticketHash(value),
					JSON.stringify(principal),
					expiresAt,
				),
			),
		)
		if (!kept) {
			throw new ProblemError(
				'rate_limited',
				'Too many stream tickets are outstanding for this session; open the ones you have, or wait a minute.',
				{ headers: { 'retry-after': '60' } },
			)
		}
		const query = new URLSearchParams({ agent, [TICKET_PARAM]: value })
		const url = `/v1/sessions/${encodeURIComponent(sessionKey)}/events?${query}`
		c.header('cache-control', 'no-store')
		return c.json({ ticket: value, expiresAt, url }, 201)
	})
	.openapi(events, async (c) => {
		const { sessionKey } = c.req.valid('param')
		const { agent, after } = c.req.valid('query')
		const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, agent)
		const from = resumeFrom(after, c.req.header('last-event-id'))
		const res = await openEventStream(c.get('logger'), lane, `https://lane/events?after=${from}`)
		return new Response(res.body, { status: res.status, headers: res.headers })
	})
	.openapi(socket, async (c) => {
		if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
			throw new ProblemError(
				'upgrade_required',
				'This route needs a WebSocket upgrade (Upgrade: websocket).',
			)
		}
		const { sessionKey } = c.req.valid('param')
		const { agent, after } = c.req.valid('query')
		const lane = await openLane(c.env, c.get('principal').tenantId, sessionKey, agent)
		const res = await openEventStream(
			c.get('logger'),
			lane,
			`https://lane/ws?after=${after ?? 0}`,
			{
				headers: { upgrade: 'websocket' },
			},
		)
		const headers = new Headers(res.headers)
		// A browser that authenticated with the `bearer.<token>` subprotocol must see one of its
		// offered protocols chosen, and never its token echoed back.
		const offered = (c.req.header('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim())
		if (offered.includes(WS_PROTOCOL)) headers.set('sec-websocket-protocol', WS_PROTOCOL)
		return new Response(null, { status: 101, webSocket: res.webSocket, headers })
	})
