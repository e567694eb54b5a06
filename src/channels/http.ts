// What a platform's HTTP answer means for a delivery: sent, retry later (how much later, from
// `Retry-After` or the body's `retry_after`), or never worth another try.

import type { SendResult } from './plugin'

/** Longest wait a platform's answer can ask of a delivery before it is retried. */
export const MAX_RETRY_AFTER_MS = 300_000

/**
 * The result of one platform API call. 2xx sent; 429 retry after what the platform asked
 * (seconds in `Retry-After` or in the JSON body's `retry_after`/`parameters.retry_after`); other
 * 5xx and 408 retryable; any other status permanent. Reads the body only when it must.
 * A platform (or a proxy, or a self-hosted server) may echo the request URL in its body: `mask`
 * takes a credential out of the whole body before a piece of it becomes the error.
 */
export async function sendResultOf(
	response: Response,
	what: string,
	mask: (text: string) => string = (text) => text,
): Promise<SendResult> {
	if (response.ok) {
		await response.body?.cancel()
		return { ok: true }
	}
	const body = await response.text().catch(() => '')
	const error = `${what}: HTTP ${response.status} ${mask(body).slice(0, 200)}`.trim()
	if (response.status === 429) {
		const retryAfterMs = retryAfterOf(response.headers, body)
		return { ok: false, error, ...(retryAfterMs !== undefined && { retryAfterMs }) }
	}
	if (response.status >= 500 || response.status === 408) return { ok: false, error }
	return { ok: false, error, permanent: true }
}

/** Milliseconds a 429 asks to wait: `Retry-After` (seconds or a date), else the body's field. */
export function retryAfterOf(headers: Headers, body: string, now = Date.now()): number | undefined {
	const header = headers.get('retry-after')
	if (header !== null) {
		const seconds = Number(header)
		if (Number.isFinite(seconds) && seconds >= 0) return clamp(seconds * 1000)
		const at = Date.parse(header)
		if (Number.isFinite(at)) return clamp(at - now)
	}
	try {
		const json = JSON.parse(body) as {
			retry_after?: unknown
			parameters?: { retry_after?: unknown }
		}
		const seconds = json.retry_after ?? json.parameters?.retry_after
		if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0)
			return clamp(seconds * 1000)
	} catch {}
	return undefined
}

const clamp = (ms: number): number => Math.min(Math.max(0, Math.ceil(ms)), MAX_RETRY_AFTER_MS)

/** The common failure of a send that never got an answer (DNS, connection reset, refused by the guard). */
export function unreachable(what: string, error: unknown): SendResult {
	const permanent = error instanceof Error && error.name === 'OutboundRefused'
	const message = error instanceof Error ? error.message : String(error)
	return { ok: false, error: `${what}: ${message}`.slice(0, 300), ...(permanent && { permanent }) }
}
