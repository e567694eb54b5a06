// Request bodies: a size cap for every request, and for JSON routes a content-type check and a
// parse whose failure is a clear 4xx. The parsed body is cached on the request for the validator.
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { GatewayEnv } from '../context'
import { ProblemError } from '../problem'

export const DEFAULT_MAX_BODY_BYTES = 1_048_576

/** Reads a positive byte count from a var, falling back to the default when unset or invalid. */
export function parseByteLimit(value: string | undefined): number {
	const n = Number(value)
	return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_MAX_BODY_BYTES
}

/** One limiter per cap: a request only looks it up. */
const limiters = new Map<number, MiddlewareHandler>()

function limiter(maxSize: number): MiddlewareHandler {
	let limit = limiters.get(maxSize)
	if (!limit) {
		limit = bodyLimit({
			maxSize,
			onError: () => {
				throw new ProblemError('payload_too_large', `Request body exceeds ${maxSize} bytes.`, {
					extensions: { limit: maxSize },
				})
			},
		})
		limiters.set(maxSize, limit)
	}
	return limit
}

/** Caps the body at `maxBytes` (or `EDGECLAW_MAX_BODY_BYTES`), streaming bodies included. */
export const maxBody = (maxBytes?: number): MiddlewareHandler<GatewayEnv> =>
	async function maxBody(c, next) {
		const maxSize = maxBytes ?? parseByteLimit(c.env.EDGECLAW_MAX_BODY_BYTES)
		const headers = c.req.raw.headers
		const length = headers.get('content-length')
		// A declared length within the cap passes without opening the body's stream; the limiter
		// refuses one above it and counts bodies without one (chunked) as they stream.
		const declared = length !== null && !headers.has('transfer-encoding')
		if (declared && Number.parseInt(length, 10) <= maxSize) return next()
		return limiter(maxSize)(c, next)
	}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json$/i

/**
 * Requires a JSON body: 415 for another content type, 400 `malformed_json` if it does not parse,
 * 413 above the route's own `maxBytes` (tighter than the global cap) when it sets one.
 */
export const jsonBody = (options: { maxBytes?: number } = {}): MiddlewareHandler<GatewayEnv> => {
	const parse = parseJson()
	if (!options.maxBytes) return parse
	const cap = maxBody(options.maxBytes)
	return async function cappedJsonBody(c, next) {
		return cap(c, async () => {
			await parse(c, next)
		})
	}
}

const parseJson = (): MiddlewareHandler<GatewayEnv> =>
	async function jsonBody(c, next) {
		const mediaType = (c.req.header('content-type') ?? '').split(';')[0]?.trim() ?? ''
		if (!JSON_MEDIA_TYPE.test(mediaType)) {
			throw new ProblemError(
				'unsupported_media_type',
				mediaType
					? `Expected an application/json body, got ${mediaType.slice(0, 100)}.`
					: 'Expected an application/json body; the content-type header is missing.',
			)
		}
		try {
			await c.req.json()
		} catch (cause) {
			throw new ProblemError('malformed_json', 'The request body is not valid JSON.', { cause })
		}
		await next()
	}
