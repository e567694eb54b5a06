// One `request` metric point per gateway request, by route template (never the raw path), and the
// request's metrics writer — the isolate's rollups, a point budget of its own — on the context for
// routes that measure more.
import type { Context, MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { handNext } from '../../db/paced-writes'
import { loggerFromEnv } from '../../observability/logger'
import {
	PLATFORM_INDEX,
	pointBase,
	type RequestPoint,
	telemetryOn,
} from '../../observability/metrics'
import { NO_PLACE_METRICS, type PlaceMetrics, placeMetrics } from '../../observability/writers'
import { waitUntil } from '../audit'
import type { GatewayEnv } from '../context'
import { isAppNavigation } from '../web'

/** The route of a request no endpoint matched (a 404, an unknown method). */
export const UNMATCHED_ROUTE = 'unmatched'
/** The route of a browser navigation the web app answered. */
export const WEB_APP_ROUTE = '(web app)'

/** The isolate's writers, by Analytics Engine binding (a test that wraps it gets its own). */
const writers = new WeakMap<object, PlaceMetrics>()
const NO_DATASET = {}

/**
 * The isolate's metrics writer. Its rollups are `handed`: a timer or a D1 call of one request
 * neither outlives it nor may be touched by another, so each write is made by a request that
 * added points and `take`s it (middleware below), under that request's own `waitUntil`.
 */
export function gatewayMetrics(env: Env): PlaceMetrics {
	if (!telemetryOn(env)) return NO_PLACE_METRICS
	const key = env.METRICS ?? NO_DATASET
	let place = writers.get(key)
	if (!place) {
		const logger = loggerFromEnv(env, { component: 'gateway.metrics' })
		place = placeMetrics(env, { logger, waitUntil: 'handed' })
		writers.set(key, place)
	}
	return place
}

/** The template of the endpoint that answered: the last matched route that is not middleware. */
export function routeTemplate(c: Context<GatewayEnv>): string {
	const routes = matchedRoutes(c)
	for (let i = routes.length - 1; i >= 0; i--) {
		const route = routes[i]
		if (route && route.method !== 'ALL') return route.path
	}
	return c.env.ASSETS && isAppNavigation(c.req.raw, c.req.path) ? WEB_APP_ROUTE : UNMATCHED_ROUTE
}

/**
 * The request's point: status as answered (101 for a WebSocket upgrade), time to the response,
 * its Content-Length, in its principal's tenant or, unauthenticated, the platform's.
 */
export function requestPoint(
	c: Context<GatewayEnv>,
	latencyMs: number,
	traceId?: string,
): RequestPoint {
	return {
		kind: 'request',
		...pointBase(c.get('principal')?.tenantId ?? PLATFORM_INDEX, undefined, traceId),
		method: c.req.method,
		route: routeTemplate(c),
		status: c.res.status,
		latencyMs,
		bytes: Number(c.res.headers.get('content-length')) || 0,
	}
}

/** Measures every request, and hands the isolate's next rollup write to it when it falls due. */
export const requestMetrics = (): MiddlewareHandler<GatewayEnv> =>
	async function requestMetrics(c, next) {
		const started = Date.now()
		const place = gatewayMetrics(c.env)
		// Analytics Engine's budget is per invocation: each request gets its own.
		const sink = place.invocation()
		c.set('metrics', sink)
		await next()
		sink.write(requestPoint(c, Date.now() - started, c.get('trace')?.traceId))
		if (place.rollups) handNext(place.rollups, (write) => waitUntil(c, write))
	}
