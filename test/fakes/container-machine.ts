// The fake container's control server: the HTTP routes the Sandbox SDK's clients call on port
// 3000 (execute, read, write, mkdir, list-files, exists, delete, sessions, ping, version), with
// the real server's response and error shapes, answered from an in-memory disk and the fake
// shell. It records every request so tests can see what reached the container.
import { FakeFs, FsError, resolvePath } from './container-fs'
import { node } from './container-node'
import { runShell } from './container-shell'

/** The SDK's session id for sessionless execution: each command is a fresh `bash -c`. */
const SESSIONLESS = '__DISABLE_SESSION__'
const BASE_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/root', LANG: 'C.UTF-8' }
/** What the image reports; the SDK only logs a mismatch. Keep equal to the Dockerfile's tag. */
const VERSION = '0.12.10'

const STATUS: Record<string, number> = {
	FILE_NOT_FOUND: 404,
	IS_DIRECTORY: 400,
	NOT_DIRECTORY: 400,
	SESSION_ALREADY_EXISTS: 409,
}

export interface RecordedRequest {
	method: string
	path: string
	body: Record<string, unknown> | undefined
}

type Body = Record<string, unknown>

export class FakeMachine {
	readonly requests: RecordedRequest[] = []
	readonly lifecycle: Array<'start' | 'stop' | 'destroy'> = []
	/** Set by a test: the next container start fails with this platform message. */
	startFailure: string | undefined
	/** Set by a test: the next request fails in the platform, before the container answers. */
	requestFailure: string | undefined
	#fs = new FakeFs()
	readonly #sessions = new Map<string, { env: Record<string, string>; cwd: string }>()

	get fs(): FakeFs {
		return this.#fs
	}

	start(): void {
		const failure = this.startFailure
		this.startFailure = undefined
		if (failure) throw new Error(failure)
		this.lifecycle.push('start')
	}

	/** The container is gone, and with it its disk and its sessions. */
	stop(kind: 'stop' | 'destroy'): void {
		this.lifecycle.push(kind)
		this.#fs = new FakeFs()
		this.#sessions.clear()
	}

	async handle(request: Request): Promise<Response> {
		const { pathname } = new URL(request.url)
		const body = request.method === 'POST' ? ((await request.json()) as Body) : undefined
		this.requests.push({ method: request.method, path: pathname, body })
		const failure = this.requestFailure
		this.requestFailure = undefined
		if (failure) throw new Error(failure)
		const route = `${request.method} ${pathname}`
		switch (route) {
			case 'GET /api/ping':
				return ok({ message: 'pong' })
			case 'GET /api/version':
				return ok({ version: VERSION })
			case 'POST /api/session/create':
				return this.#createSession(body as Body)
			case 'POST /api/session/delete':
				this.#sessions.delete(String(body?.sessionId))
				return ok({ sessionId: body?.sessionId })
			case 'POST /api/execute':
				return this.#execute(body as Body)
			default:
				return this.#file(route, body ?? {})
		}
	}

	#createSession(body: Body): Response {
		const id = String(body.id)
		if (this.#sessions.has(id)) {
			return fail('SESSION_ALREADY_EXISTS', `Session '${id}' already exists`, { sessionId: id })
		}
		const env = (body.env ?? {}) as Record<string, string>
		this.#sessions.set(id, { env, cwd: String(body.cwd ?? '/workspace') })
		return ok({ id, message: `Session '${id}' created` })
	}

	async #execute(body: Body): Promise<Response> {
		const command = String(body.command)
		const sessionId = String(body.sessionId ?? 'default')
		const sessionless = sessionId === SESSIONLESS
		let session = this.#sessions.get(sessionId)
		if (!sessionless && !session) {
			session = { env: {}, cwd: '/workspace' }
			this.#sessions.set(sessionId, session)
		}
		const cwd = resolvePath(String(body.cwd ?? session?.cwd ?? '/workspace'))
		const timeoutMs = typeof body.timeoutMs === 'number' ? body.timeoutMs : undefined
		const where = sessionless ? 'sessionless execution' : `session '${sessionId}'`
		if (this.#fs.stat(cwd)?.type !== 'dir') {
			return fail(
				'COMMAND_EXECUTION_ERROR',
				`Failed to execute command '${command}' in ${where}: ENOENT: no such file or directory, posix_spawn '/bin/bash' (cwd ${cwd})`,
				{ command },
			)
		}
		const run = await runShell(command, {
			fs: this.#fs,
			env: { ...BASE_ENV, ...session?.env, ...(body.env as Record<string, string> | undefined) },
			cwd,
			deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
			programs: { node },
		})
		let stderr = run.stderr
		if (run.timedOut) {
			// A session's shell only stops waiting; sessionless execution kills the process group.
			if (!sessionless) {
				return fail(
					'COMMAND_EXECUTION_ERROR',
					`Failed to execute command '${command}' in ${where}: Command timeout after ${timeoutMs}ms`,
					{ command },
				)
			}
			stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}Command timed out after ${timeoutMs}ms`
		}
		return ok({
			success: run.exitCode === 0,
			exitCode: run.exitCode,
			stdout: run.stdout,
			stderr,
			command,
			duration: 0,
			sessionId: sessionless ? undefined : sessionId,
		})
	}

	#file(route: string, body: Body): Response {
		const path = resolvePath(String(body.path ?? ''))
		const fs = this.#fs
		try {
			switch (route) {
				case 'POST /api/exists':
					return ok({ path: body.path, exists: fs.stat(path) !== undefined })
				case 'POST /api/read': {
					const content = fs.read(path)
					const size = new TextEncoder().encode(content).byteLength
					// The real server sends binary files base64-encoded; NUL marks one here.
					if (content.includes('\u0000')) {
						const base64 = btoa(String.fromCharCode(...new TextEncoder().encode(content)))
						return ok({
							path: body.path,
							content: base64,
							encoding: 'base64',
							isBinary: true,
							mimeType: 'application/octet-stream',
							size,
						})
					}
					return ok({
						path: body.path,
						content,
						encoding: 'utf-8',
						isBinary: false,
						mimeType: 'text/plain',
						size,
					})
				}
				case 'POST /api/write': {
					const content = String(body.content ?? '')
					fs.write(path, body.encoding === 'base64' ? atob(content) : content)
					return ok({ path: body.path })
				}
				case 'POST /api/mkdir':
					fs.mkdir(path, body.recursive === true)
					return ok({ path: body.path, recursive: body.recursive === true })
				case 'POST /api/delete':
					if (fs.stat(path)?.type === 'dir') throw new FsError('EISDIR', path)
					fs.remove(path, false)
					return ok({ path: body.path })
				case 'POST /api/list-files':
					return this.#list(path, (body.options ?? {}) as Body)
				default:
					return fail('UNKNOWN_ERROR', `The fake container has no route ${route}`, {}, 404)
			}
		} catch (error) {
			if (!(error instanceof FsError)) throw error
			return fsFailure(error, route, path)
		}
	}

	#list(path: string, options: Body): Response {
		const fs = this.#fs
		const files = fs
			.list(path, options.recursive === true)
			.filter((child) => options.includeHidden === true || !basename(child).startsWith('.'))
			.map((child) => {
				const node = fs.stat(child)
				const isFile = node?.type === 'file'
				return {
					name: basename(child),
					absolutePath: child,
					relativePath: child.slice(path.length + 1),
					type: isFile ? 'file' : 'directory',
					size: isFile ? new TextEncoder().encode(node.content).byteLength : 4096,
					modifiedAt: new Date(node?.mtime ?? 0).toISOString(),
					mode: isFile ? 'rw-r--r--' : 'rwxr-xr-x',
					permissions: { readable: true, writable: true, executable: !isFile },
				}
			})
		return ok({ path, files, count: files.length })
	}
}

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1)

function ok(data: Body): Response {
	return Response.json({ success: true, ...data, timestamp: new Date().toISOString() })
}

/** An error in the container's ErrorResponse shape, which the SDK turns into its error classes. */
function fail(
	code: string,
	message: string,
	context: Body,
	status = STATUS[code] ?? 500,
): Response {
	return Response.json(
		{ code, message, context, httpStatus: status, timestamp: new Date().toISOString() },
		{ status },
	)
}

function fsFailure(error: FsError, route: string, path: string): Response {
	if (error.errno === 'ENOENT') {
		const what = route === 'POST /api/list-files' ? 'Directory' : 'File'
		return fail('FILE_NOT_FOUND', `${what} not found: ${path}`, { path })
	}
	if (error.errno === 'EISDIR')
		return fail('IS_DIRECTORY', `Path is a directory: ${path}`, { path })
	if (error.errno === 'ENOTDIR') {
		return fail('NOT_DIRECTORY', `Path is not a directory: ${path}`, { path })
	}
	return fail('FILESYSTEM_ERROR', `Filesystem operation failed on '${path}': ${error.errno}`, {
		path,
	})
}
