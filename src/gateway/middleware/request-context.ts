// First middleware of every request: assigns the request id (honouring a sane incoming
// `x-request-id`), accepts or starts its W3C trace, builds the request's logger and writes one
// access-log line when it is done.
import type { MiddlewareHandler } from 'hono'
import { type LogSink, loggerFromEnv } from '../../observability/logger'
import { telemetryOn } from '../../observability/metrics'
import { continueTrace, formatTraceparent, TRACEPARENT_HEADER } from '../../observability/trace'
import type { GatewayEnv } from '../context'

export const REQUEST_ID_HEADER = 'x-request-id'

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Accepts a caller's id only if it is short and cannot inject anything into logs or headers. */
export function acceptRequestId(incoming: string | undefined | null): string | undefined {
	return incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : undefined
}

export interface RequestContextOptions {
	generateId?: () => string
	sink?: LogSink
	now?: () => number
}

export const requestContext = (
	options: RequestContextOptions = {},
): MiddlewareHandler<GatewayEnv> => {
	const generateId = options.generateId ?? (() => crypto.randomUUID())
	const now = options.now ?? Date.now
	return async function requestContext(c, next) {
		const started = now()
		const requestId = acceptRequestId(c.req.header(REQUEST_ID_HEADER)) ?? generateId()
		// A malformed traceparent starts a new trace; with telemetry off there is none at all.
		const trace = telemetryOn(c.env) ? continueTrace(c.req.header(TRACEPARENT_HEADER)) : undefined
		const logger = loggerFromEnv(
			c.env,
			{ requestId, ...(trace && { traceId: trace.traceId }) },
			{ ...(options.sink && { sink: options.sink }), now },
		)
		c.set('requestId', requestId)
		c.set('trace', trace)
		c.set('logger', logger)
		await next()
		c.res.headers.set(REQUEST_ID_HEADER, requestId)
		if (trace) c.res.headers.set(TRACEPARENT_HEADER, formatTraceparent(trace))
		const principal = c.get('principal')
		// Path only: query strings may carry data that does not belong in logs.
		c.get('logger').info('request', {
			method: c.req.method,
			path: c.req.path,
			status: c.res.status,
			durationMs: now() - started,
			...(principal && { tenant: principal.tenantId }),
		})
	}
}
