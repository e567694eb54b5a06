// What a fuzzed request must get back, and how to show one that did not: sends a request with a
// bounded read (streams are cut after a moment, nothing may hang), judges the answer against the
// oracles, and prints a failing request as a curl line with its secrets masked.

/** @typedef {import('./requests.mjs').FuzzRequest} FuzzRequest */
/** @typedef {import('./requests.mjs').BodyPart} BodyPart */
/** @typedef {import('./requests.mjs').World} World */
/**
 * What came back: the status, headers and (bounded) body text, or why nothing did.
 * @typedef {{ status: number, headers: Headers, text: string, unfinished: boolean } | { error: string }} Outcome
 */

const MAX_BODY_BYTES = 4 * 1024 * 1024

/** The bytes of a body. @param {BodyPart[]} parts */
export function bodyBytes(parts) {
	const encoder = new TextEncoder()
	const chunks = parts.map((p) =>
		typeof p === 'string'
			? encoder.encode(p)
			: 'repeat' in p
				? encoder.encode(p.repeat.repeat(p.times))
				: Uint8Array.from(p.bytes),
	)
	const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
	let at = 0
	for (const c of chunks) {
		out.set(c, at)
		at += c.length
	}
	return out
}

/** A timer to race against; `clear()` it when done. @param {number} ms */
function timer(ms) {
	/** @type {ReturnType<typeof setTimeout> | undefined} */
	let handle
	const fired = new Promise((resolve) => {
		handle = setTimeout(() => resolve(undefined), ms)
	})
	return { fired, clear: () => clearTimeout(handle) }
}

/**
 * Reads a body for at most `ms`, then cancels it. `unfinished`: the body had not ended by then.
 * @param {Response} res @param {number} ms
 */
async function readBounded(res, ms) {
	const reader = res.body?.getReader()
	if (!reader) return { text: '', unfinished: false }
	/** @type {Uint8Array[]} */
	const chunks = []
	let size = 0
	const limit = timer(ms)
	let unfinished = false
	try {
		for (;;) {
			const next = await Promise.race([reader.read(), limit.fired])
			if (next === undefined) {
				unfinished = true
				break
			}
			if (next.done) break
			chunks.push(next.value)
			size += next.value.length
			if (size > MAX_BODY_BYTES) break
		}
	} finally {
		limit.clear()
		reader.cancel().catch(() => {})
	}
	const all = new Uint8Array(size)
	let at = 0
	for (const c of chunks) {
		all.set(c.subarray(0, size - at), at)
		at += c.length
	}
	return { text: new TextDecoder().decode(all), unfinished }
}

/**
 * Sends one request and reads its answer with bounds: an event stream for `streamMs` (then it is
 * cancelled, as a client that saw enough would), anything else within `timeoutMs`.
 * @param {(request: Request) => Promise<Response>} fetcher
 * @param {string} base origin of the gateway
 * @param {FuzzRequest} req
 * @param {{ timeoutMs?: number, streamMs?: number }} [options]
 * @returns {Promise<Outcome>}
 */
export async function exchange(fetcher, base, req, { timeoutMs = 30_000, streamMs = 300 } = {}) {
	const abort = new AbortController()
	const limit = timer(timeoutMs)
	const answer = (async () => {
		const res = await fetcher(
			new Request(`${base}${req.path}`, {
				method: req.method,
				headers: req.headers,
				signal: abort.signal,
				...(req.body ? { body: bodyBytes(req.body) } : {}),
			}),
		)
		const stream = (res.headers.get('content-type') ?? '').startsWith('text/event-stream')
		const { text, unfinished } = await readBounded(res, stream ? streamMs : timeoutMs)
		return { status: res.status, headers: res.headers, text, unfinished: unfinished && !stream }
	})()
	try {
		const outcome = await Promise.race([answer, limit.fired])
		if (outcome === undefined) {
			abort.abort()
			answer.catch(() => {})
			return { error: `no answer within ${timeoutMs} ms` }
		}
		return outcome
	} catch (error) {
		return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
	} finally {
		limit.clear()
	}
}

/**
 * Every oracle the answer breaks (none: it passed). No 5xx; every error has a request id and is
 * problem+json (`type`, `title`, `status`, `code`, `requestId` = the header) — or, on the
 * OpenAI-compatible paths, OpenAI's `{error: {message, type}}`; no secret of the world in any
 * answer; no 2xx to a request aimed at another tenant's resources, and no other tenant's canary in
 * any 2xx a tenant's principal gets.
 * @param {FuzzRequest} req @param {Outcome} outcome @param {World} world
 * @returns {string[]}
 */
export function judge(req, outcome, world) {
	if ('error' in outcome) return [`no answer: ${outcome.error}`]
	const { status, headers, text } = outcome
	/** @type {string[]} */
	const failures = []
	if (status >= 500) failures.push(`status ${status}`)
	if (outcome.unfinished) failures.push('the body did not end in time')
	if (status >= 400) {
		const requestId = headers.get('x-request-id')
		if (!requestId) failures.push('an error without an x-request-id header')
		if (req.method !== 'HEAD') {
			const type = headers.get('content-type') ?? ''
			/** @type {any} */
			let body
			try {
				body = JSON.parse(text)
			} catch {}
			if (req.dialect === 'openai') {
				if (!/^application\/json\b/.test(type))
					failures.push(`an OpenAI-dialect error as "${type}"`)
				else if (typeof body?.error?.message !== 'string' || typeof body?.error?.type !== 'string')
					failures.push('an OpenAI-dialect error without error.message and error.type')
			} else if (type !== 'application/problem+json') {
				failures.push(`an error as "${type}", not application/problem+json`)
			} else {
				for (const member of ['type', 'title', 'code'])
					if (typeof body?.[member] !== 'string') failures.push(`a problem without "${member}"`)
				if (body?.status !== status) failures.push(`a problem whose status is ${body?.status}`)
				if (!requestId || body?.requestId !== requestId)
					failures.push('a problem whose requestId is not the x-request-id header')
			}
		}
	}
	const headerText = [...headers].map(([k, v]) => `${k}: ${v}`).join('\n')
	for (const secret of world.secrets)
		if (text.includes(secret.value) || headerText.includes(secret.value))
			failures.push(`the ${secret.name} in the answer`)
	const ok = status >= 200 && status < 300
	if (ok && req.foreign)
		failures.push(`${status} to ${req.principal} for another tenant's resource`)
	if (ok && req.tenant !== undefined)
		for (const [tenant, canary] of Object.entries(world.canaries))
			if (tenant !== req.tenant && text.includes(canary))
				failures.push(`tenant ${tenant}'s data in an answer to ${req.principal}`)
	return failures
}

/** Shell-quotes a string ($'…' with escapes when it holds non-printable characters). */
function quote(/** @type {string} */ s) {
	if (/^[\x20-\x7e]*$/.test(s)) return `'${s.replaceAll("'", "'\\''")}'`
	let out = ''
	for (const ch of s) {
		const code = ch.codePointAt(0) ?? 0
		if (ch === "'" || ch === '\\') out += `\\${ch}`
		else if (code >= 0x20 && code < 0x7f) out += ch
		else if (code < 0x100) out += `\\x${code.toString(16).padStart(2, '0')}`
		else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`
		else out += `\\U${code.toString(16).padStart(8, '0')}`
	}
	return `$'${out}'`
}

/** A shell word that prints `expr` (a JavaScript expression of a string or Buffer) with node. */
const generated = (/** @type {string} */ expr) =>
	`"$(node -e ${quote(`process.stdout.write(${expr})`)})"`

/**
 * The request as a curl command line, secrets masked (`<admin token>`, `<a:member key>`); long
 * bodies and headers are written as the node expression that makes them.
 * @param {FuzzRequest} req @param {string} base @param {World} world
 */
export function curl(req, base, world) {
	/** @param {string} s */
	const mask = (s) => world.secrets.reduce((acc, x) => acc.split(x.value).join(`<${x.name}>`), s)
	const words = ['curl -sS -i --path-as-is', req.method === 'HEAD' ? '-I' : `-X ${req.method}`]
	// The URL as it was sent: fetch resolves `..` and `%2e%2e` segments first.
	words.push(quote(mask(new URL(`${base}${req.path}`).href)))
	for (const [name, value] of Object.entries(req.headers)) {
		const v = mask(value)
		if (v === '') words.push(`-H ${quote(`${name};`)}`)
		else if (v.length > 200 && /^(.)\1*$/.test(v))
			words.push(`-H "${name}: "${generated(`${JSON.stringify(v[0])}.repeat(${v.length})`)}`)
		else words.push(`-H ${quote(`${name}: ${v}`)}`)
	}
	if (req.body) {
		const simple = req.body.every((p) => typeof p === 'string')
		const text = req.body.map((p) => (typeof p === 'string' ? p : '')).join('')
		if (simple && text.length <= 500) words.push(`--data-binary ${quote(mask(text))}`)
		else {
			const parts = req.body.map((p) =>
				typeof p === 'string'
					? `Buffer.from(${JSON.stringify(p)})`
					: 'repeat' in p
						? `Buffer.from(${JSON.stringify(p.repeat)}.repeat(${p.times}))`
						: `Buffer.from(${JSON.stringify(p.bytes)})`,
			)
			const expr = `process.stdout.write(Buffer.concat([${parts.join(', ')}]))`
			words.push(`--data-binary @<(node -e ${quote(expr)})`)
		}
	}
	return words.join(' ')
}
