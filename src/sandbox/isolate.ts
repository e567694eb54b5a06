// The isolate sandbox backend: each run_js call loads the code into a fresh Worker Loader isolate
// with no network and no bindings, captures its console and returns its result as JSON-safe data.
import { z } from 'zod'
import { ALLOCATION_CAP_MODULE } from './allocation-cap'
import {
	type JsRequest,
	type JsResult,
	type LogLine,
	type SandboxExecutor,
	SandboxUnavailable,
} from './executor'
import type * as LoopGuard from './loop-guard'

/** The gateway's own compatibility date (wrangler.toml); sandbox code sees the same runtime. */
export const DEFAULT_COMPATIBILITY_DATE = '2026-11-01'

/** The most CPU time a Worker may use on the Workers Paid plan: a higher limit would mean nothing. */
const MAX_CPU_MS = 300_000

const LEVELS = ['log', 'info', 'warn', 'error', 'debug'] as const

const JAVASCRIPT_ONLY =
	'The isolate sandbox backend runs JavaScript only (run_js). Shell commands and file tools need the container backend: set the agent\'s sandbox.backend to "auto" or "container" on a deployment with containers.'

const javascriptOnly = async (): Promise<never> => {
	throw new SandboxUnavailable('isolate', JAVASCRIPT_ONLY)
}

/**
 * `harness.js`, the isolate's entry: it swaps the console for a capture, runs the code and answers
 * with one JSON reply. Intrinsics are taken before the code runs, so code that replaces `JSON` or
 * `Response` on the global cannot garble the reply. Sizes here are counted in UTF-16 units (never
 * more than UTF-8 bytes): the harness only bounds memory, the host cuts output exactly. It serves
 * one request: a second one — the code calling the harness to run itself again under a limit of
 * its choosing — is refused before anything else happens. `limits.js` is imported first, so its
 * allocation caps are in place before any other module is evaluated.
 */
const HARNESS_MODULE = `import './limits.js'
import run from './user.js'
import { arm, overdue } from './guard.js'

const stringify = JSON.stringify
const isArray = Array.isArray
const ownKeys = Object.keys
const isView = ArrayBuffer.isView
const Reply = Response
const LEVELS = ${JSON.stringify(LEVELS)}

function jsonSafe(value, budget, path = new Set(), depth = 0) {
	if (budget.left <= 0) {
		budget.cut = true
		return null
	}
	switch (typeof value) {
		case 'undefined':
			budget.left -= 4
			return null
		case 'boolean':
			budget.left -= 5
			return value
		case 'number':
			budget.left -= 8
			return Number.isFinite(value) ? value : String(value)
		case 'string':
			if (value.length > budget.left) {
				budget.cut = true
				value = value.slice(0, budget.left)
			}
			budget.left -= value.length + 2
			return value
		case 'bigint':
			return jsonSafe(value + 'n', budget)
		case 'symbol':
			return jsonSafe(String(value), budget)
		case 'function':
			return jsonSafe('[Function ' + (value.name || 'anonymous') + ']', budget)
	}
	if (value === null) {
		budget.left -= 4
		return null
	}
	if (path.has(value)) return jsonSafe('[Circular]', budget)
	if (depth >= 64) return jsonSafe('[Too deep]', budget)
	path.add(value)
	try {
		if (value instanceof Error) return jsonSafe(value.name + ': ' + value.message, budget)
		if (typeof value.toJSON === 'function') return jsonSafe(value.toJSON(), budget, path, depth + 1)
		if (value instanceof ArrayBuffer) return jsonSafe('[ArrayBuffer(' + value.byteLength + ')]', budget)
		if (isView(value)) {
			return jsonSafe('[' + value.constructor.name + '(' + (value.length ?? value.byteLength) + ')]', budget)
		}
		if (value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet) {
			return jsonSafe('[' + value.constructor.name + ']', budget)
		}
		if (isArray(value) || value instanceof Map || value instanceof Set) {
			const items = []
			const each = (item) => {
				if (budget.left <= 0) {
					budget.cut = true
					return false
				}
				budget.left -= 1
				items[items.length] = jsonSafe(item, budget, path, depth + 1)
				return true
			}
			if (isArray(value)) {
				for (let i = 0; i < value.length && each(value[i]); i++);
			} else {
				for (const item of value) if (!each(item)) break
			}
			return items
		}
		const out = Object.create(null)
		for (const key of ownKeys(value)) {
			if (budget.left <= 0) {
				budget.cut = true
				break
			}
			let item
			try {
				item = value[key]
			} catch (error) {
				item = '[Unserialisable: ' + errorInfo(error).message + ']'
			}
			if (item === undefined) continue
			budget.left -= key.length + 4
			out[key] = jsonSafe(item, budget, path, depth + 1)
		}
		return out
	} catch (error) {
		return jsonSafe('[Unserialisable: ' + errorInfo(error).message + ']', budget)
	} finally {
		path.delete(value)
	}
}

function errorInfo(error) {
	try {
		if (error instanceof Error) return { name: String(error.name), message: String(error.message) }
	} catch {}
	const text = jsonSafe(error, { left: 2000, cut: false })
	return { name: 'Error', message: typeof text === 'string' ? text : stringify(text) }
}

let served = false

export default {
	async fetch(request) {
		if (served) throw new Error('the sandbox harness runs one call')
		served = true
		const { timeoutMs, maxOutputBytes } = await request.json()
		const logs = []
		let room = maxOutputBytes
		let truncated = false
		for (const level of LEVELS) {
			console[level] = (...args) => {
				if (room <= 0) {
					truncated = true
					return
				}
				const budget = { left: room, cut: false }
				let text = ''
				for (let i = 0; i < args.length; i++) {
					const safe = args[i] === undefined ? 'undefined' : jsonSafe(args[i], budget)
					text += (i === 0 ? '' : ' ') + (typeof safe === 'string' ? safe : stringify(safe))
				}
				if (budget.cut) truncated = true
				room -= text.length
				logs[logs.length] = { level, text }
			}
		}
		arm(timeoutMs)
		let outcome
		try {
			const budget = { left: maxOutputBytes, cut: false }
			outcome = { ok: true, result: jsonSafe(await run(), budget) }
			if (budget.cut) truncated = true
		} catch (error) {
			outcome = { ok: false, result: null, error: errorInfo(error) }
		}
		// Ended past the deadline: tripped, or a built-in (a regular expression, a sort) ran long
		// without a guard call and nothing could interrupt it. One literal: an assignment would run
		// any setter the code left on Object.prototype.
		const reply = overdue()
			? { ok: false, result: null, timedOut: true, logs, truncated }
			: { ...outcome, logs, truncated }
		return new Reply(stringify(reply), { headers: { 'content-type': 'application/json' } })
	},
}
`

/** What the harness answers; checked, because the code under test shares the harness's isolate. */
const HarnessReply = z.object({
	ok: z.boolean(),
	result: z.unknown(),
	error: z.object({ name: z.string(), message: z.string() }).optional(),
	timedOut: z.boolean().optional(),
	logs: z.array(z.object({ level: z.enum(LEVELS), text: z.string() })),
	truncated: z.boolean(),
})
type HarnessReply = z.infer<typeof HarnessReply>

type Outcome = Omit<JsResult, 'durationMs'>

export interface IsolateExecutorOptions {
	/** Compatibility date of the sandbox isolates (default: the gateway's). */
	compatibilityDate?: string
	/** Clock for `durationMs`. */
	now?: () => number
	/** The run's W3C traceparent, sent as a header of the call into the isolate (the code never sees it). */
	traceparent?: string
}

/**
 * A SandboxExecutor over a Worker Loader binding. Every run gets its own isolate, so there is no
 * state between calls and nothing to destroy. Code is the body of an async function; loops and
 * functions are instrumented (loop-guard.ts) so that a synchronous spin stops itself, and a
 * wall-clock race covers code that awaits forever. Production also enforces `limits.cpuMs`.
 */
export class IsolateExecutor implements SandboxExecutor {
	readonly backend = 'isolate' as const
	readonly #loader: WorkerLoader
	readonly #compatibilityDate: string
	readonly #now: () => number
	readonly #headers: Record<string, string>

	constructor(loader: WorkerLoader, options: IsolateExecutorOptions = {}) {
		this.#loader = loader
		this.#compatibilityDate = options.compatibilityDate ?? DEFAULT_COMPATIBILITY_DATE
		this.#now = options.now ?? Date.now
		this.#headers = options.traceparent ? { traceparent: options.traceparent } : {}
	}

	/**
	 * Runs the code and reports how it ended; only an abort of `request.signal` rejects (with the
	 * signal's reason). When output exceeds `maxOutputBytes` the result keeps priority: a result
	 * too large on its own comes back as the start of its JSON text (a string), and console lines
	 * fill what room is left, earliest first.
	 */
	async runJs(request: JsRequest): Promise<JsResult> {
		request.signal.throwIfAborted()
		const started = this.#now()
		// The parsers (acorn for the guards, sucrase for types) load with the first run, not with
		// the isolate that hosts this executor.
		const guard = await import('./loop-guard')
		let body: string
		try {
			const code =
				request.language === 'typescript'
					? (await import('./strip-types')).stripTypes(request.code)
					: request.code
			body = guard.insertLoopGuards(code)
		} catch (error) {
			return { ...failure('SyntaxError', messageOf(error)), durationMs: this.#now() - started }
		}
		const outcome = await this.#run(body, request, guard)
		return { ...outcome, durationMs: this.#now() - started }
	}

	async #run(body: string, request: JsRequest, guard: typeof LoopGuard): Promise<Outcome> {
		const { timeoutMs, maxOutputBytes, signal } = request
		const worker = this.#loader.load({
			compatibilityDate: this.#compatibilityDate,
			mainModule: 'harness.js',
			modules: {
				'harness.js': HARNESS_MODULE,
				'limits.js': ALLOCATION_CAP_MODULE,
				'guard.js': guard.GUARD_MODULE,
				// One line of wrapper, so line numbers in the code's errors are the model's own.
				'user.js': `import { ${guard.GUARD} } from './guard.js'; export default async function () {${body}\n}`,
			},
			globalOutbound: null,
			env: {},
			limits: { cpuMs: Math.min(timeoutMs, MAX_CPU_MS) },
		})
		const call = new AbortController()
		let timer: ReturnType<typeof setTimeout> | undefined
		let onAbort: (() => void) | undefined
		try {
			return await Promise.race([
				worker
					.getEntrypoint()
					.fetch('https://sandbox.invalid/run', {
						method: 'POST',
						headers: this.#headers,
						body: JSON.stringify({ timeoutMs, maxOutputBytes }),
						signal: call.signal,
					})
					.then(
						(response) => readReply(response, request),
						(error: unknown) => startFailure(error, timeoutMs),
					),
				new Promise<Outcome>((resolve) => {
					timer = setTimeout(() => resolve(timedOut(timeoutMs)), timeoutMs)
				}),
				new Promise<never>((_, reject) => {
					onAbort = () => reject(signal.reason)
					signal.addEventListener('abort', onAbort, { once: true })
				}),
			])
		} finally {
			if (timer !== undefined) clearTimeout(timer)
			if (onAbort) signal.removeEventListener('abort', onAbort)
			// Ends a call still in flight (code awaiting forever); a finished one ignores it.
			call.abort()
		}
	}

	// No shell and no filesystem: every such call fails at once with the remedy.
	readonly exec: SandboxExecutor['exec'] = javascriptOnly
	readonly readFile: SandboxExecutor['readFile'] = javascriptOnly
	readonly writeFile: SandboxExecutor['writeFile'] = javascriptOnly
	readonly listFiles: SandboxExecutor['listFiles'] = javascriptOnly

	/** Nothing outlives a call: each run had its own isolate. */
	async destroy(): Promise<void> {}
}

const failure = (name: string, message: string): Outcome => ({
	ok: false,
	result: null,
	error: { name, message: cutUtf8(message, 4_096) },
	logs: [],
	truncated: false,
})

const timedOut = (timeoutMs: number): Outcome =>
	failure('TimeoutError', `the code did not finish within ${timeoutMs} ms`)

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** The isolate did not start (the code failed to compile) or was ended by the runtime. */
function startFailure(error: unknown, timeoutMs: number): Outcome {
	const message = messageOf(error)
	const uncaught = /Uncaught (\w*Error): ([^\n]*)/.exec(message)
	if (uncaught?.[1] === 'SyntaxError') return failure('SyntaxError', uncaught[2] ?? message)
	// workerd ends a call at once when nothing (no timer, no I/O) could ever settle what it awaits.
	if (/had hung/.test(message)) {
		return failure(
			'TimeoutError',
			`${timedOut(timeoutMs).error?.message}: it awaits a promise that nothing can settle`,
		)
	}
	if (/exceeded CPU/i.test(message)) {
		return failure('TimeoutError', `the code used more than ${timeoutMs} ms of CPU time`)
	}
	return failure('SandboxError', message)
}

async function readReply(
	response: Response,
	{ timeoutMs, maxOutputBytes }: JsRequest,
): Promise<Outcome> {
	// JSON escapes can grow text up to six times; anything beyond that is not the harness's reply.
	const text = await readCapped(response, 16 * maxOutputBytes + 65_536)
	let reply: HarnessReply | undefined
	try {
		reply = text === undefined ? undefined : HarnessReply.parse(JSON.parse(text))
	} catch {}
	if (!reply) return failure('SandboxError', 'the sandbox ended without a readable result')
	if (reply.timedOut) return timedOut(timeoutMs)
	return capOutput(reply, maxOutputBytes)
}

/** The body as text, or undefined when it is longer than `limit` bytes. */
async function readCapped(response: Response, limit: number): Promise<string | undefined> {
	if (!response.body) return ''
	const reader = response.body.getReader()
	const decoder = new TextDecoder()
	let text = ''
	let size = 0
	for (;;) {
		const { done, value } = await reader.read()
		if (done) return text + decoder.decode()
		size += value.byteLength
		if (size > limit) {
			await reader.cancel()
			return undefined
		}
		text += decoder.decode(value, { stream: true })
	}
}

/** Cuts the result and then the console lines at `maxBytes` of UTF-8, together. */
function capOutput(reply: HarnessReply, maxBytes: number): Outcome {
	let truncated = reply.truncated
	let room = maxBytes
	let result: unknown = reply.result ?? null
	const json = JSON.stringify(result)
	const resultBytes = utf8Length(json)
	if (resultBytes > room) {
		result = cutUtf8(json, room)
		truncated = true
		room = 0
	} else room -= resultBytes
	const logs: LogLine[] = []
	for (const line of reply.logs) {
		const bytes = utf8Length(line.text)
		if (bytes > room) {
			if (room > 0) logs.push({ level: line.level, text: cutUtf8(line.text, room) })
			truncated = true
			break
		}
		logs.push(line)
		room -= bytes
	}
	return { ok: reply.ok, result, ...(reply.error && { error: reply.error }), logs, truncated }
}

const encoder = new TextEncoder()

const utf8Length = (text: string) => encoder.encode(text).byteLength

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
function cutUtf8(text: string, maxBytes: number): string {
	const bytes = encoder.encode(text)
	if (bytes.byteLength <= maxBytes) return text
	let end = maxBytes
	// A continuation byte (10xxxxxx) at the cut means a character started before it.
	while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--
	return new TextDecoder().decode(bytes.subarray(0, end))
}
