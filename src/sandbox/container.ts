// The container backend: shell commands, files and JavaScript in a Cloudflare Sandbox (a Linux
// container fronted by the SDK's `Sandbox` Durable Object, bound as env.SANDBOX), one per scope.
import { getSandbox, isPlatformTransientError, type Sandbox } from '@cloudflare/sandbox'
import { sha256Hex } from '../security/audit'
import type { SandboxConfig } from './config'
import {
	type ExecRequest,
	type ExecResult,
	type FileEntry,
	type JsRequest,
	type JsResult,
	type LogLine,
	type SandboxExecutor,
	type SandboxScope,
	SandboxUnavailable,
	ToolError,
	WORKSPACE,
	workspacePath,
} from './executor'

/** The bindings the backend reads; SANDBOX is absent where wrangler.toml's binding is not deployed. */
export interface ContainerEnv {
	SANDBOX?: DurableObjectNamespace<Sandbox>
	EDGECLAW_CONTAINERS?: string
}

/** Scratch space of the backend itself (run_js files); hidden from list_files. */
const SCRATCH = `${WORKSPACE}/.edgeclaw`

/** The exit code the container reports for a command it killed at its timeout. */
const TIMEOUT_EXIT_CODE = 124
const TIMED_OUT_LINE = /\n?Command timed out after \d+ms\s*$/

/**
 * The Sandbox id of a scope: one sandbox per tenant+agent, or per tenant+agent+session. Session
 * keys may hold any character, so the id is a hash (the SDK wants 1-63 lowercase DNS-safe chars).
 */
export async function sandboxId(scope: SandboxScope): Promise<string> {
	const parts =
		scope.scope === 'agent'
			? [scope.tenantId, scope.agentId]
			: [scope.tenantId, scope.agentId, scope.sessionKey]
	// A collision would put two scopes in one container: the hash must be cryptographic.
	const digest = await sha256Hex(JSON.stringify(parts))
	return `${scope.scope === 'agent' ? 'a' : 's'}-${digest.slice(0, 40)}`
}

/**
 * Ends the sandbox a scope names (its session was deleted). For an agent-scoped sandbox that is
 * every session's sandbox, so callers deleting one session pass the scope only when it is
 * `session`. Nothing to do where containers are unavailable.
 */
export async function destroySandbox(env: ContainerEnv, scope: SandboxScope): Promise<void> {
	if (!env.SANDBOX || unavailableReason(env)) return
	const sandbox = getSandbox(env.SANDBOX, await sandboxId(scope), { normalizeId: true })
	await sandboxCall(() => sandbox.destroy())
}

export class ContainerExecutor implements SandboxExecutor {
	readonly backend = 'container'
	readonly #env: ContainerEnv
	readonly #config: SandboxConfig
	readonly #scope: SandboxScope
	readonly #traceEnv: Record<string, string>
	#sandbox: Promise<Sandbox> | undefined

	constructor(env: ContainerEnv, scope: SandboxScope, config: SandboxConfig, traceparent?: string) {
		this.#env = env
		this.#config = config
		this.#scope = scope
		this.#traceEnv = traceparent ? { TRACEPARENT: traceparent } : {}
	}

	/** The id of the Sandbox (Durable Object and container) this executor drives. */
	id(): Promise<string> {
		return sandboxId(this.#scope)
	}

	async exec(request: ExecRequest): Promise<ExecResult> {
		const sandbox = await this.#open()
		const cwd = workspacePath(request.cwd ?? WORKSPACE)
		const env = { ...request.env, ...this.#traceEnv } // a traced run's TRACEPARENT too
		const started = Date.now()
		// Sessionless exec (see #open): the container runs `bash -c` and kills the process group
		// at the timeout, so a runaway command never keeps the sandbox busy.
		const run = await sandboxCall(
			() => sandbox.exec(request.command, { cwd, env, timeout: request.timeoutMs }),
			request.signal,
		)
		const stdout = capUtf8(run.stdout, request.maxOutputBytes)
		const stderr = capUtf8(run.stderr, request.maxOutputBytes)
		return {
			exitCode: run.exitCode,
			stdout: stdout.text,
			stderr: stderr.text,
			truncated: stdout.truncated || stderr.truncated,
			timedOut: run.exitCode === TIMEOUT_EXIT_CODE && TIMED_OUT_LINE.test(run.stderr),
			durationMs: Date.now() - started,
		}
	}

	async runJs(request: JsRequest): Promise<JsResult> {
		const sandbox = await this.#open()
		const dir = `${SCRATCH}/run-${crypto.randomUUID()}`
		const body = request.language === 'typescript' ? 'body.mts' : 'body.mjs'
		await sandboxCall(async () => {
			await sandbox.mkdir(dir, { recursive: true })
			await sandbox.writeFile(`${dir}/${body}`, bodyModule(request.code))
			await sandbox.writeFile(`${dir}/main.mjs`, harness(body, request.maxOutputBytes))
		}, request.signal)
		const started = Date.now()
		const run = await sandboxCall(
			() =>
				sandbox.exec(`node ${dir}/main.mjs`, {
					cwd: WORKSPACE,
					env: { NODE_NO_WARNINGS: '1', ...this.#traceEnv },
					timeout: request.timeoutMs,
				}),
			request.signal,
		)
		const result = readHarness(run, request, Date.now() - started)
		// The harness removes its own directory when it reports; one killed or crashed cannot.
		if (!run.stdout.includes(`${TAG}result `)) {
			await sandbox.exec(`rm -rf -- ${dir}`, { timeout: 5_000 }).catch(() => undefined)
		}
		return result
	}

	async readFile(
		path: string,
		options: { maxBytes: number; signal: AbortSignal },
	): Promise<{ content: string; size: number; truncated: boolean }> {
		const sandbox = await this.#open()
		const absolute = workspacePath(path)
		// The container returns the whole file; maxBytes bounds what reaches the model.
		const file = await sandboxCall(() => sandbox.readFile(absolute), options.signal)
		if (file.isBinary || file.encoding === 'base64') {
			throw new ToolError(
				'not_text',
				`${absolute} is a binary file (${file.mimeType ?? 'unknown type'}); read_file reads text only.`,
			)
		}
		const capped = capUtf8(file.content, options.maxBytes)
		return {
			content: capped.text,
			size: file.size ?? utf8Length(file.content),
			truncated: capped.truncated,
		}
	}

	async writeFile(
		path: string,
		content: string,
		options: { signal: AbortSignal },
	): Promise<{ bytes: number }> {
		const sandbox = await this.#open()
		const absolute = workspacePath(path)
		if (absolute === WORKSPACE) throw new ToolError('is_directory', `${WORKSPACE} is a directory`)
		const parent = absolute.slice(0, absolute.lastIndexOf('/'))
		await sandboxCall(async () => {
			// The container does not create missing parents on write.
			await sandbox.mkdir(parent, { recursive: true })
			await sandbox.writeFile(absolute, content)
		}, options.signal)
		return { bytes: utf8Length(content) }
	}

	async listFiles(
		path: string,
		options: { recursive: boolean; limit: number; signal: AbortSignal },
	): Promise<{ entries: FileEntry[]; truncated: boolean }> {
		const sandbox = await this.#open()
		const absolute = workspacePath(path)
		const listing = await sandboxCall(
			() => sandbox.listFiles(absolute, { recursive: options.recursive, includeHidden: true }),
			options.signal,
		)
		const entries = listing.files
			.filter(
				(file) => file.absolutePath !== SCRATCH && !file.absolutePath.startsWith(`${SCRATCH}/`),
			)
			.map((file) => ({ path: file.absolutePath, type: file.type, size: file.size }))
			.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
		return { entries: entries.slice(0, options.limit), truncated: entries.length > options.limit }
	}

	async destroy(): Promise<void> {
		const sandbox = await this.#open()
		await sandboxCall(() => sandbox.destroy())
	}

	/** The SDK stub, or SandboxUnavailable at once when this deployment runs no containers. */
	#open(): Promise<Sandbox> {
		const namespace = this.#env.SANDBOX
		const reason = unavailableReason(this.#env)
		if (!namespace || reason) {
			return Promise.reject(new SandboxUnavailable('container', reason ?? 'unbound'))
		}
		this.#sandbox ??= this.id().then((id) =>
			getSandbox(namespace, id, {
				sleepAfter: this.#config.sleepAfter,
				normalizeId: true,
				// Every call stands alone (absolute paths, explicit cwd and env): no shared shell whose
				// lock would queue a file read behind a long command, and the container enforces timeouts.
				enableDefaultSession: false,
			}),
		)
		return this.#sandbox
	}
}

const REMEDY =
	'Install Docker (or another container engine) and restart `npm run dev`, or deploy to Cloudflare. ' +
	'JavaScript still runs in the isolate backend (run_js).'

/** Why no container can run here (the same rule as sandboxBackends()), or undefined. */
export function unavailableReason(env: ContainerEnv): string | undefined {
	if (!env.SANDBOX) {
		return `Shell and file tools need a container, and this Worker has no SANDBOX binding. ${REMEDY}`
	}
	if (env.EDGECLAW_CONTAINERS === 'disabled') {
		return `Shell and file tools need a container, and containers are disabled here (EDGECLAW_CONTAINERS=disabled: no container engine). ${REMEDY}`
	}
	return undefined
}

/**
 * Runs one SDK call, racing the caller's signal (the container call itself cannot be cancelled)
 * and turning SDK and platform failures into the errors tools report.
 */
async function sandboxCall<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
	signal?.throwIfAborted()
	let onAbort: (() => void) | undefined
	const aborted = new Promise<never>((_, reject) => {
		onAbort = () => reject(signal?.reason)
		signal?.addEventListener('abort', onAbort, { once: true })
	})
	try {
		return await (signal ? Promise.race([call(), aborted]) : call())
	} catch (error) {
		if (signal?.aborted) throw signal.reason
		throw sandboxFailure(error)
	} finally {
		if (onAbort) signal?.removeEventListener('abort', onAbort)
	}
}

/** The SDK's error body; it survives the Durable Object RPC hop as a plain own property. */
interface SdkErrorResponse {
	code?: string
	message?: string
	context?: { phase?: string; reason?: string }
}

const TRANSIENT_NAMES = new Set(['OperationInterruptedError', 'RPCTransportError'])
const FILE_ERRORS: Record<string, string> = {
	FILE_NOT_FOUND: 'not_found',
	IS_DIRECTORY: 'is_directory',
	NOT_DIRECTORY: 'not_directory',
	PERMISSION_DENIED: 'permission_denied',
	FILE_TOO_LARGE: 'file_too_large',
}

/** Maps a failed SDK call to ToolError (transient or not) or SandboxUnavailable. */
function sandboxFailure(error: unknown): Error {
	if (error instanceof ToolError || error instanceof SandboxUnavailable) return error
	const sdk = (error as { errorResponse?: SdkErrorResponse } | null)?.errorResponse
	const name = (error as Error | null)?.name ?? ''
	const message = (error instanceof Error ? error.message : String(error)).slice(0, 500)
	// Capacity, a dropped connection, a runtime replaced mid-call: another attempt may succeed.
	if (
		isPlatformTransientError(error) ||
		TRANSIENT_NAMES.has(name) ||
		sdk?.code === 'CONTAINER_UNAVAILABLE' ||
		sdk?.code === 'OPERATION_INTERRUPTED' ||
		sdk?.code === 'RPC_TRANSPORT_ERROR'
	) {
		return new ToolError('sandbox_transient', `The sandbox was interrupted: ${message}`, {
			transient: true,
			cause: error,
		})
	}
	// The SDK tags container start failures (and start attempts that never became ready).
	if (sdk?.context?.phase === 'startup') {
		return new SandboxUnavailable(
			'container',
			`The sandbox container could not start (${message}). ${REMEDY}`,
			{ cause: error },
		)
	}
	if (sdk?.code) {
		return new ToolError(FILE_ERRORS[sdk.code] ?? 'sandbox_error', message, { cause: error })
	}
	return error instanceof Error ? error : new Error(message)
}

/** The model's code as a module: the function-body convention (`return x` gives the result). */
function bodyModule(code: string): string {
	return `export default async function run() {\n${code}\n}\n`
}

/** Prefix of the lines the run_js harness prints on stdout: a record separator and a name. */
const TAG = '\u001eedgeclaw:'

/**
 * The Node program that runs a body module: console calls become `log` lines as they happen (so
 * a timeout keeps them), then one `result` line carrying the result as JSON text. Past `limit`
 * bytes it stops logging and sends only the start of an oversized result.
 */
function harness(body: string, limit: number): string {
	return `// edgeclaw run_js harness: runs ./${body} as an async function body, reports on stdout.
import { rm } from 'node:fs/promises'
import { format } from 'node:util'
const TAG = ${JSON.stringify(TAG)}
const LIMIT = ${limit}
const emit = (line) => process.stdout.write(TAG + line + '\\n')
let used = 0
for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
	console[level] = (...args) => {
		if (used > LIMIT) return
		const text = format(...args)
		used += Buffer.byteLength(text)
		emit('log ' + JSON.stringify({ level, text }))
		if (used > LIMIT) emit('truncated')
	}
}
let report
try {
	const { default: run } = await import('./${body}')
	const json = JSON.stringify((await run()) ?? null) ?? 'null'
	report = JSON.stringify({ ok: true, json: json.length > LIMIT ? json.slice(0, LIMIT + 1) : json })
} catch (error) {
	report = JSON.stringify({ ok: false, error: { name: String(error?.name ?? 'Error'), message: String(error?.message ?? error) } })
}
await rm(new URL('.', import.meta.url), { recursive: true, force: true }).catch(() => {})
process.stdout.write(TAG + 'result ' + report + '\\n', () => process.exit(0))
`
}

/** What the harness's `result` line says; `json` is the result's JSON text, perhaps cut. */
interface HarnessReport {
	ok: boolean
	json?: string
	error?: { name: string; message: string }
}

/** One stdout line: a harness line, or something the code printed itself. */
function harnessLine(line: string): { log?: LogLine; report?: HarnessReport; truncated?: true } {
	try {
		if (line.startsWith(`${TAG}log `)) return { log: JSON.parse(line.slice(TAG.length + 4)) }
		if (line.startsWith(`${TAG}result `)) return { report: JSON.parse(line.slice(TAG.length + 7)) }
		if (line === `${TAG}truncated`) return { truncated: true }
	} catch {
		// Not the harness after all (the code printed the tag): keep the line as output.
	}
	return { log: { level: 'log', text: line } }
}

/**
 * Reads the harness's lines (and anything else the code printed) into a JsResult, cut as the
 * isolate backend cuts: the result first (too large, it becomes the start of its JSON text), then
 * console lines in order, in one budget of `maxOutputBytes`.
 */
function readHarness(
	run: { exitCode: number; stdout: string; stderr: string },
	request: JsRequest,
	durationMs: number,
): JsResult {
	const logs: LogLine[] = []
	let report: HarnessReport | undefined
	let truncated = false
	for (const line of run.stdout.split('\n')) {
		if (line === '') continue
		const read = harnessLine(line)
		if (read.log) logs.push(read.log)
		report = read.report ?? report
		truncated ||= read.truncated === true
	}
	const timedOut = run.exitCode === TIMEOUT_EXIT_CODE && TIMED_OUT_LINE.test(run.stderr)
	const stderr = run.stderr.replace(TIMED_OUT_LINE, '').trimEnd()
	if (stderr) logs.push({ level: 'error', text: stderr })

	let room = request.maxOutputBytes
	let result: unknown = null
	if (report?.ok) {
		const json = report.json ?? 'null'
		const bytes = utf8Length(json)
		if (bytes > room) {
			result = capUtf8(json, room).text
			truncated = true
			room = 0
		} else {
			result = parseOr(json, json)
			room -= bytes
		}
	}
	const kept: LogLine[] = []
	for (const log of logs) {
		const capped = capUtf8(log.text, room)
		if (capped.text !== '' || !capped.truncated) kept.push({ level: log.level, text: capped.text })
		room -= utf8Length(capped.text)
		if (capped.truncated) {
			truncated = true
			break
		}
	}
	const error = report
		? report.error
		: timedOut
			? { name: 'TimeoutError', message: `the code did not finish within ${request.timeoutMs} ms` }
			: {
					name: 'ToolError',
					message: `node exited with code ${run.exitCode} before the code returned`,
				}
	return {
		ok: report?.ok === true,
		result,
		...(error && !report?.ok ? { error } : {}),
		logs: kept,
		truncated,
		durationMs,
	}
}

/** JSON text parsed, or `fallback` when it is not JSON (a line that only looked like the harness). */
function parseOr(json: string, fallback: unknown): unknown {
	try {
		return JSON.parse(json)
	} catch {
		return fallback
	}
}

const encoder = new TextEncoder()

function utf8Length(text: string): number {
	return encoder.encode(text).byteLength
}

/** `text` cut to at most `maxBytes` of UTF-8, never inside a character. */
function capUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
	// Fast path: no string of n UTF-16 units encodes to more than 3n bytes.
	if (text.length * 3 <= maxBytes) return { text, truncated: false }
	const bytes = encoder.encode(text)
	if (bytes.byteLength <= maxBytes) return { text, truncated: false }
	let end = Math.max(maxBytes, 0)
	// Step back over continuation bytes (10xxxxxx) to the start of a character.
	while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--
	return { text: new TextDecoder().decode(bytes.subarray(0, end)), truncated: true }
}
