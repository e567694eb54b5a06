// CORS from configuration: only origins listed in EDGECLAW_CORS_ORIGINS get CORS headers.
// Nothing listed means no cross-origin access at all (default deny); "*" is honoured but never
// together with credentials.
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { GatewayEnv } from '../context'

/** Parses the comma-separated origin list; entries are trimmed and empty ones dropped. */
export function parseOrigins(value: string | undefined): string[] {
	return (value ?? '')
		.split(',')
		.map((o) => o.trim().replace(/\/+$/, ''))
		.filter((o) => o.length > 0)
}

export const corsFromEnv = (): MiddlewareHandler<GatewayEnv> => {
	// Built again only when the setting changes (an empty list builds no handler at all).
	let cachedFor: string | undefined
	let handler: MiddlewareHandler | undefined
	return async function corsFromEnv(c, next) {
		const raw = c.env.EDGECLAW_CORS_ORIGINS ?? ''
		if (cachedFor !== raw) {
			const origins = parseOrigins(raw)
			const wildcard = origins.includes('*')
			cachedFor = raw
			handler =
				origins.length === 0
					? undefined
					: cors({
							origin: wildcard ? '*' : origins,
							allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
							allowHeaders: ALLOW_HEADERS,
							exposeHeaders: ['x-request-id', 'traceparent', 'retry-after', 'x-edgeclaw-session'],
							credentials: false,
							maxAge: 600,
						})
		}
		return handler ? handler(c, next) : next()
	}
}

/** What browsers may send: ours, plus the headers the OpenAI SDKs add in a browser. */
const ALLOW_HEADERS = [
	'authorization',
	'content-type',
	'x-request-id',
	'traceparent',
	'x-edgeclaw-tenant',
	'x-edgeclaw-session',
	'idempotency-key',
	'openai-organization',
	'openai-project',
	'x-stainless-arch',
	'x-stainless-lang',
	'x-stainless-os',
	'x-stainless-package-version',
	'x-stainless-retry-count',
	'x-stainless-runtime',
	'x-stainless-runtime-version',
	'x-stainless-timeout',
]
