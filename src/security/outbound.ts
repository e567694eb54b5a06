// Requests to endpoints a tenant chose (provider base URLs, MCP servers): every request and every
// redirect hop passes the SSRF guard before it leaves, redirects are followed here (never by the
// runtime) so each hop is checked, and credentials never follow a redirect to another origin.
import type { UrlCheck } from './ssrf'

/** The SSRF guard's shape for one URL (src/security/ssrf.ts `checkUrl` with its rules bound). */
export type UrlGuard = (input: string) => UrlCheck | { ok: false; reason: string; message: string }

/** A request the guard refused: a configuration problem, never worth a retry. */
export class OutboundRefused extends Error {
	override readonly name = 'OutboundRefused'
	constructor(
		readonly reason: string,
		message: string,
	) {
		super(message)
	}
}

export const MAX_REDIRECTS = 5
const REDIRECTS = new Set([301, 302, 303, 307, 308])
/** Headers that carry a credential: dropped when a redirect leaves the origin. */
const CREDENTIAL_HEADERS = [
	'authorization',
	'proxy-authorization',
	'x-api-key',
	'api-key',
	'cookie',
]

/** A fetch that refuses (OutboundRefused) any URL or redirect hop the guard refuses. */
export function guardedFetch(fetcher: typeof fetch, guard: UrlGuard): typeof fetch {
	return async (input, init) => {
		const first = new Request(input, init)
		let url = first.url
		let method = first.method
		const headers = new Headers(first.headers)
		const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined)
		// Buffered so a 307/308 can send it again; model and MCP requests are small JSON bodies.
		let body: ArrayBuffer | undefined = first.body ? await first.arrayBuffer() : undefined
		for (let hop = 0; ; hop++) {
			const checked = guard(url)
			if (!checked.ok) {
				throw new OutboundRefused(
					checked.reason,
					`${hop > 0 ? 'redirect ' : ''}refused: ${checked.message}`,
				)
			}
			let response: Response
			try {
				response = await fetcher(url, {
					method,
					headers,
					...(body !== undefined ? { body } : {}),
					redirect: 'manual',
					...(signal ? { signal } : {}),
				})
			} catch (error) {
				// A request that got no response is a network failure, whatever the runtime calls it
				// (local workerd says "internal error" for a failed DNS look-up): a TypeError, as fetch
				// failures are, so callers classify it alike. A stop stays what it was.
				const stopped = signal?.aborted || (error instanceof Error && error.name === 'AbortError')
				if (stopped || error instanceof TypeError) throw error
				throw new TypeError('fetch failed', { cause: error })
			}
			const location = response.headers.get('location')
			if (!REDIRECTS.has(response.status) || location === null) return response
			await response.body?.cancel()
			if (hop >= MAX_REDIRECTS) {
				throw new OutboundRefused('too_many_redirects', `more than ${MAX_REDIRECTS} redirects`)
			}
			let next: URL
			try {
				next = new URL(location, url)
			} catch {
				throw new OutboundRefused('invalid_url', 'a redirect to an invalid URL')
			}
			if (next.origin !== new URL(url).origin) {
				for (const name of CREDENTIAL_HEADERS) headers.delete(name)
			}
			const status = response.status
			if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
				method = 'GET'
				body = undefined
				headers.delete('content-type')
				headers.delete('content-length')
			}
			url = next.href
		}
	}
}
