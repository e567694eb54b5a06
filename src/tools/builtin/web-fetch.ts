// web_fetch: the model's one way onto the web. Every URL it reaches — the first and each redirect,
// which it follows itself — passes the SSRF guard and the DNS check; time and size are capped.
import { z } from 'zod'
import { checkUrl, type HostLists, resolvePublic } from '../../security/ssrf'
import { type ToolContext, ToolError, type ToolSpec } from '../registry'

const MAX_REDIRECTS = 5
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/** Request headers the model may set; nothing that carries identity or steers routing. */
const SAFE_HEADERS = new Set([
	'accept',
	'accept-language',
	'cache-control',
	'content-type',
	'if-modified-since',
	'if-none-match',
	'user-agent',
])

const USER_AGENT = 'edgeclaw-web-fetch/0.1'

/** Media types whose bodies come back as text; everything else is summarised. */
const TEXT_TYPE =
	/^(text\/[\w.+-]+|application\/([\w.-]+\+)?(json|xml)|application\/(javascript|ecmascript|x-www-form-urlencoded|x-ndjson|yaml|x-yaml|toml|graphql|sql))$/

const HeaderValue = z
	.string()
	.max(1_024)
	.regex(/^[^\r\n\0]*$/, 'must not contain CR, LF or NUL')

export const WebFetchArgs = z
	.object({
		url: z.string().min(1).max(2_048).describe('Absolute http(s) URL to fetch.'),
		method: z.enum(['GET', 'POST']).default('GET'),
		headers: z
			.record(z.string().min(1).max(64), HeaderValue)
			.refine((h) => Object.keys(h).length <= 16, 'at most 16 headers')
			.optional()
			.describe(`Request headers; only: ${[...SAFE_HEADERS].join(', ')}.`),
		body: z.string().max(100_000).optional().describe('Request body (POST only).'),
	})
	.strict()
	.refine((a) => a.body === undefined || a.method === 'POST', {
		message: 'a body needs method POST',
		path: ['body'],
	})
export type WebFetchArgs = z.infer<typeof WebFetchArgs>

export const WebFetchResult = z
	.object({
		status: z.number().int(),
		/** The URL that answered, after redirects. */
		url: z.string(),
		contentType: z.string(),
		body: z.string(),
		/** True when the body was cut at the agent's size cap. */
		truncated: z.boolean(),
		/** How many redirects were followed. */
		redirects: z.number().int().min(0).max(MAX_REDIRECTS),
	})
	.strict()
export type WebFetchResult = z.infer<typeof WebFetchResult>

export const webFetch: ToolSpec<WebFetchArgs, WebFetchResult> = {
	name: 'web_fetch',
	description:
		'Fetch a public http(s) URL and return its status, final URL, content type and body. Text ' +
		'bodies (HTML, JSON, XML, plain text) come back as text, cut at the size limit ' +
		'(truncated: true); binary bodies are only summarised. Redirects are followed (at most 5). ' +
		'Private, loopback, link-local and metadata addresses, local names and hosts outside the ' +
		"agent's allow list are refused. Use POST with a body only when the page requires it.",
	parameters: WebFetchArgs,
	result: WebFetchResult,
	sideEffect: 'external',
	groups: ['group:web'],
	timeoutMs: 130_000,
	idempotent: false,
	placement: 'job',
	async execute(args, ctx) {
		const headers = requestHeaders(args.headers)
		const web = ctx.tools.web
		const deadline = new AbortController()
		const onAbort = () => deadline.abort(ctx.signal.reason)
		ctx.signal.addEventListener('abort', onAbort, { once: true })
		const timer = setTimeout(
			() =>
				deadline.abort(
					new ToolError('timeout', `web_fetch did not finish within ${web.timeoutMs} ms.`),
				),
			web.timeoutMs,
		)
		try {
			return await fetchFollowing(args, headers, ctx, deadline.signal)
		} catch (error) {
			if (deadline.signal.aborted) throw deadline.signal.reason
			throw error
		} finally {
			clearTimeout(timer)
			ctx.signal.removeEventListener('abort', onAbort)
		}
	},
}

function requestHeaders(given: Record<string, string> | undefined): Headers {
	const headers = new Headers({ 'user-agent': USER_AGENT })
	for (const [name, value] of Object.entries(given ?? {})) {
		if (!SAFE_HEADERS.has(name.toLowerCase())) {
			throw new ToolError(
				'invalid_args',
				`Header "${name}" is not allowed; web_fetch sends only: ${[...SAFE_HEADERS].join(', ')}.`,
			)
		}
		headers.set(name, value)
	}
	return headers
}

/** The URL passes the guard and its name resolves only to public addresses. */
async function admit(
	input: string,
	lists: HostLists,
	ctx: ToolContext,
	signal: AbortSignal,
	hop: number,
): Promise<URL> {
	const what = hop === 0 ? 'The URL' : `Redirect ${hop} to ${input.slice(0, 300)}`
	const check = checkUrl(input, lists)
	if (!check.ok) {
		ctx.logger.warn('web_fetch.blocked', { reason: check.reason, hop })
		throw new ToolError('url_blocked', `${what} refused: ${check.message}.`)
	}
	const dns = await resolvePublic(check.url.hostname, ctx.fetch, signal)
	if (!dns.ok) {
		ctx.logger.warn('web_fetch.blocked', { reason: dns.reason, hop })
		if (dns.reason === 'dns_failed') {
			throw new ToolError('dns_failed', `${what}: ${dns.message}.`, { transient: true })
		}
		throw new ToolError('url_blocked', `${what} refused: ${dns.message}.`)
	}
	return check.url
}

async function fetchFollowing(
	args: WebFetchArgs,
	headers: Headers,
	ctx: ToolContext,
	signal: AbortSignal,
): Promise<WebFetchResult> {
	const web = ctx.tools.web
	let url = await admit(args.url, web, ctx, signal, 0)
	let method = args.method
	let body = args.body
	for (let redirects = 0; ; redirects++) {
		let response: Response
		try {
			response = await ctx.fetch(url.href, { method, headers, body, redirect: 'manual', signal })
		} catch (error) {
			signal.throwIfAborted()
			const message = error instanceof Error ? error.message : String(error)
			throw new ToolError('fetch_failed', `Fetching ${url.href} failed: ${message.slice(0, 300)}`, {
				transient: true,
				cause: error,
			})
		}
		const location = response.headers.get('location')
		if (!REDIRECT_STATUSES.has(response.status) || location === null) {
			return read(response, url, redirects, web.maxBytes, signal)
		}
		await response.body?.cancel()
		if (redirects >= MAX_REDIRECTS) {
			throw new ToolError(
				'too_many_redirects',
				`${url.href} redirected more than ${MAX_REDIRECTS} times.`,
			)
		}
		const next = URL.parse(location, url)
		if (next === null) {
			throw new ToolError('url_blocked', `Redirect ${redirects + 1} refused: not a valid URL.`)
		}
		url = await admit(next.href, web, ctx, signal, redirects + 1)
		// Browsers turn a redirected POST into a GET on 301/302, and always on 303; 307/308 keep it.
		if (method === 'POST' && response.status <= 303) {
			method = 'GET'
			body = undefined
			headers.delete('content-type')
		}
	}
}

async function read(
	response: Response,
	url: URL,
	redirects: number,
	maxBytes: number,
	signal: AbortSignal,
): Promise<WebFetchResult> {
	const contentType = response.headers.get('content-type') ?? ''
	const { bytes, truncated } = await readCapped(response, maxBytes, signal)
	const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
	const text = TEXT_TYPE.test(mediaType) || (mediaType === '' && looksLikeText(bytes))
	return {
		status: response.status,
		url: url.href,
		contentType,
		body: text
			? new TextDecoder().decode(bytes)
			: `<${bytes.byteLength} bytes of ${mediaType || 'unknown content'} omitted>`,
		truncated,
		redirects,
	}
}

/** Reads at most `maxBytes` of the body; past that it cancels the stream and says so. */
async function readCapped(
	response: Response,
	maxBytes: number,
	signal: AbortSignal,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
	if (!response.body) return { bytes: new Uint8Array(), truncated: false }
	const reader = response.body.getReader()
	let onAbort = () => {}
	const aborted = new Promise<never>((_, reject) => {
		onAbort = () => reject(signal.reason)
		signal.addEventListener('abort', onAbort, { once: true })
	})
	aborted.catch(() => {})
	const chunks: Uint8Array[] = []
	let size = 0
	let truncated = false
	try {
		signal.throwIfAborted()
		for (;;) {
			const { done, value } = await Promise.race([reader.read(), aborted])
			if (done) break
			if (size + value.byteLength > maxBytes) {
				chunks.push(value.subarray(0, maxBytes - size))
				size = maxBytes
				truncated = true
				break
			}
			chunks.push(value)
			size += value.byteLength
		}
	} finally {
		signal.removeEventListener('abort', onAbort)
		// Past the cap or the deadline nothing more is wanted: tell the origin to stop sending.
		if (truncated || signal.aborted) await reader.cancel().catch(() => {})
	}
	const bytes = new Uint8Array(size)
	let offset = 0
	for (const chunk of chunks) {
		bytes.set(chunk, offset)
		offset += chunk.byteLength
	}
	return { bytes, truncated }
}

/** An untyped body is text when it decodes as UTF-8 and holds no NUL. */
function looksLikeText(bytes: Uint8Array): boolean {
	if (bytes.includes(0)) return false
	try {
		new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes, { stream: true })
		return true
	} catch {
		return false
	}
}
