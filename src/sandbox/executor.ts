// The seam between tools and the places code runs. A SandboxExecutor is one backend bound to one
// sandbox scope (a session or an agent): the Worker Loader isolate runs JavaScript only, the
// Cloudflare Sandbox container runs JavaScript, shell commands and file operations. Tools ask for
// an executor by need (`js` or `shell`); the agent's `sandbox.backend` decides which one answers.
import type { SessionRef } from '../security/subject'

export type SandboxBackendKind = 'isolate' | 'container'

/** What a tool needs from a sandbox: JavaScript only, or a shell and a filesystem. */
export type SandboxNeed = 'js' | 'shell'

/** Where a sandbox lives: one per session, or one shared by every session of an agent. */
export interface SandboxScope extends SessionRef {
	scope: 'session' | 'agent'
}

export interface JsRequest {
	code: string
	language: 'javascript' | 'typescript'
	/** Wall-clock limit, enforced by the caller. */
	timeoutMs: number
	/** Cap on the captured console output plus the serialised result, in bytes. */
	maxOutputBytes: number
	signal: AbortSignal
}

export interface LogLine {
	level: 'log' | 'info' | 'warn' | 'error' | 'debug'
	text: string
}

export interface JsResult {
	ok: boolean
	/** The value the code returned, as JSON-compatible data (undefined → null). */
	result: unknown
	/** When `ok` is false: what the code threw (or why it could not run). */
	error?: { name: string; message: string }
	logs: LogLine[]
	/** True when output was cut at `maxOutputBytes`. */
	truncated: boolean
	durationMs: number
}

export interface ExecRequest {
	command: string
	/** Working directory inside the workspace (default `/workspace`). */
	cwd?: string
	/** Environment variables, already filtered by the agent's allowlist. */
	env?: Record<string, string>
	timeoutMs: number
	/** Cap on stdout and on stderr, each, in bytes. */
	maxOutputBytes: number
	signal: AbortSignal
}

export interface ExecResult {
	exitCode: number
	stdout: string
	stderr: string
	truncated: boolean
	timedOut: boolean
	durationMs: number
}

export interface FileEntry {
	path: string
	type: 'file' | 'directory' | 'symlink' | 'other'
	size: number
}

export interface SandboxExecutor {
	readonly backend: SandboxBackendKind
	runJs(request: JsRequest): Promise<JsResult>
	exec(request: ExecRequest): Promise<ExecResult>
	/** Reads a text file under the workspace; `truncated` when it is larger than `maxBytes`. */
	readFile(
		path: string,
		options: { maxBytes: number; signal: AbortSignal },
	): Promise<{ content: string; size: number; truncated: boolean }>
	writeFile(
		path: string,
		content: string,
		options: { signal: AbortSignal },
	): Promise<{ bytes: number }>
	listFiles(
		path: string,
		options: { recursive: boolean; limit: number; signal: AbortSignal },
	): Promise<{ entries: FileEntry[]; truncated: boolean }>
	/** Ends the sandbox and everything in it (its session was deleted). */
	destroy(): Promise<void>
}

/** Hands a tool the executor its agent chose for a need. Throws SandboxUnavailable otherwise. */
export type SandboxProvider = (need: SandboxNeed) => SandboxExecutor

/**
 * No backend can serve this call: the message says why and names the remedy. Tools surface it as
 * the tool error `sandbox_unavailable`; it is never retried (retrying cannot start a container).
 */
export class SandboxUnavailable extends Error {
	override readonly name = 'SandboxUnavailable'
	readonly code = 'sandbox_unavailable'
	readonly backend: SandboxBackendKind
	constructor(backend: SandboxBackendKind, message: string, options: { cause?: unknown } = {}) {
		super(message, { cause: options.cause })
		this.backend = backend
	}
}

/**
 * A tool or sandbox call that failed with a stable code (`not_found`, `sandbox_transient`, …),
 * surfaced to the model as that code; a `transient` one may succeed when made again (a job is
 * then retried, if its tool is idempotent). It lives here, below the tools layer, so sandboxes
 * can throw it too.
 */
export class ToolError extends Error {
	override readonly name = 'ToolError'
	readonly code: string
	readonly transient: boolean
	constructor(
		code: string,
		message: string,
		options: { transient?: boolean; cause?: unknown } = {},
	) {
		super(message, { cause: options.cause })
		this.code = code
		this.transient = options.transient ?? false
	}
}

/** A path the sandbox refuses: outside the workspace, or not a path at all. */
export class SandboxPathError extends Error {
	override readonly name = 'SandboxPathError'
	readonly code = 'invalid_path'
}

export const WORKSPACE = '/workspace'

/**
 * Resolves a path the model gave against the workspace and refuses anything that leaves it.
 * Pure string work (POSIX semantics): `a/../b` is fine, `../etc` and `/etc/passwd` are not.
 */
export function workspacePath(input: string, base: string = WORKSPACE): string {
	if (typeof input !== 'string' || input.length === 0 || input.length > 4_096) {
		throw new SandboxPathError('a path must be 1-4096 characters')
	}
	if (input.includes('\u0000')) throw new SandboxPathError('a path must not contain NUL')
	const absolute = input.startsWith('/') ? input : `${base}/${input}`
	const parts: string[] = []
	for (const part of absolute.split('/')) {
		if (part === '' || part === '.') continue
		if (part === '..') {
			if (parts.length === 0) throw new SandboxPathError(`"${input}" leaves ${WORKSPACE}`)
			parts.pop()
		} else parts.push(part)
	}
	const resolved = `/${parts.join('/')}`
	if (resolved !== WORKSPACE && !resolved.startsWith(`${WORKSPACE}/`)) {
		throw new SandboxPathError(`"${input}" is outside ${WORKSPACE}`)
	}
	return resolved
}
