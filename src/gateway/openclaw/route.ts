// The OpenClaw Gateway protocol endpoint: `GET /v1/gateway` (and `GET /` with an upgrade, where
// OpenClaw clients connect by default). The Worker only admits the upgrade — per-IP rate limit,
// WebSocket check — and hands the socket to a fresh GatewayConnection object. Authentication
// happens in the protocol's own `connect` frame, and every method after it is authorised by the
// same policy engine as the HTTP routes (src/gateway/openclaw/methods/).
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { formatTraceparent, TRACEPARENT_HEADER } from '../../observability/trace'
import type { GatewayEnv } from '../context'
import { clientIp, DEFAULT_TENANT, TENANT_HEADER } from '../middleware/auth'
import { createRouter } from '../openapi'
import { ProblemError } from '../problem'

const upgrade = createRoute({
	method: 'get',
	path: '/v1/gateway',
	tags: ['protocols'],
	summary: 'OpenClaw Gateway protocol v4 (WebSocket)',
	description:
		'Upgrade to a WebSocket speaking the OpenClaw Gateway protocol v4: the server sends `connect.challenge`, the client answers with a `connect` request carrying `auth.token` (an edgeclaw API key, JWT or the admin token), then calls methods (`chat.send`, `sessions.list`, …) as `req` frames. The same endpoint answers at `/` for clients that connect to the bare host. See docs/protocols.md.',
	responses: {
		101: { description: 'Switching protocols' },
		426: {
			description: 'Not a WebSocket upgrade (upgrade_required)',
			content: { 'application/problem+json': { schema: z.object({}).loose() } },
		},
		429: {
			description: 'Rate limited (rate_limited)',
			content: { 'application/problem+json': { schema: z.object({}).loose() } },
		},
	},
})

/** Hands an upgrade to a new connection object; the object owns the socket from here on. */
export async function admitGatewaySocket(c: Context<GatewayEnv>): Promise<Response> {
	if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
		throw new ProblemError('upgrade_required', 'This endpoint needs a WebSocket upgrade.')
	}
	const ns = c.env.GATEWAY_CONNECTION
	const id = ns.newUniqueId()
	const headers = new Headers({ upgrade: 'websocket' })
	const ip = clientIp(c)
	if (ip) headers.set('x-client-ip', ip)
	headers.set(TENANT_HEADER, c.req.header(TENANT_HEADER) ?? DEFAULT_TENANT)
	headers.set('x-request-id', c.get('requestId'))
	// The upgrade's trace covers the handshake; each request on the socket starts its own.
	const trace = c.get('trace')
	if (trace) headers.set(TRACEPARENT_HEADER, formatTraceparent(trace))
	const res = await ns.get(id).fetch('https://gateway-connection/connect', { headers })
	if (res.status !== 101) {
		throw new ProblemError('lane_unavailable', 'The gateway connection could not be opened.', {
			headers: { 'retry-after': '1' },
		})
	}
	return new Response(null, { status: 101, webSocket: res.webSocket })
}

const root = createRoute({
	...upgrade,
	path: '/',
	summary: 'OpenClaw Gateway protocol v4 at the bare host (WebSocket)',
	description:
		'The same socket as `/v1/gateway`, where OpenClaw clients connect by default (`ws://host:port`). A browser navigation (GET or HEAD accepting `text/html`, no upgrade) gets the web app (WebChat and console) instead; anything else without an upgrade is refused.',
})

export const openclawRoutes = createRouter()
	.openapi(upgrade, (c) => admitGatewaySocket(c) as never)
	.openapi(root, (c) => admitGatewaySocket(c) as never)
