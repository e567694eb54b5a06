// The container backend against the real Sandbox Durable Object of @cloudflare/sandbox, whose
// container is the fake in test/fakes (vitest.config.ts aliases @cloudflare/containers to it).

import { env, runInDurableObject } from 'cloudflare:test'
import { Sandbox } from '@cloudflare/sandbox'
import { describe, expect, it } from 'vitest'
import { SandboxConfig } from '../../src/sandbox/config'
import { ContainerExecutor, destroySandbox, sandboxId } from '../../src/sandbox/container'
import {
	SandboxPathError,
	type SandboxScope,
	SandboxUnavailable,
	ToolError,
} from '../../src/sandbox/executor'
import { endSessionSandbox } from '../../src/sandbox/provider'
import type { FakeMachine } from '../fakes/container-machine'
import { fakeContainerOf, silenceSandboxSdk } from '../fakes/containers'

silenceSandboxSdk()

/** The tests' bindings say containers are disabled; these tests bring their own (fake) one. */
const enabled = { ...env, EDGECLAW_CONTAINERS: 'enabled' }
const config = SandboxConfig.parse({})
const signal = new AbortController().signal

let sessions = 0
function scope(over: Partial<SandboxScope> = {}): SandboxScope {
	sessions += 1
	return {
		tenantId: 'default',
		agentId: 'main',
		sessionKey: `s-${sessions}`,
		scope: 'session',
		...over,
	}
}

const container = (over: Partial<SandboxScope> = {}) =>
	new ContainerExecutor(enabled, scope(over), config)

/** The fake machine inside the executor's Sandbox instance (created if it does not exist yet). */
async function machineOf(executor: ContainerExecutor): Promise<FakeMachine> {
	const stub = env.SANDBOX.get(env.SANDBOX.idFromName(await executor.id()))
	return runInDurableObject(stub, (instance) => fakeContainerOf(instance))
}

const exec = (
	executor: ContainerExecutor,
	command: string,
	over: {
		cwd?: string
		env?: Record<string, string>
		timeoutMs?: number
		maxOutputBytes?: number
	} = {},
) => executor.exec({ command, timeoutMs: 5_000, maxOutputBytes: 64 * 1024, signal, ...over })

const js = (
	executor: ContainerExecutor,
	code: string,
	over: {
		language?: 'javascript' | 'typescript'
		timeoutMs?: number
		maxOutputBytes?: number
	} = {},
) =>
	executor.runJs({
		code,
		language: 'javascript',
		timeoutMs: 5_000,
		maxOutputBytes: 64 * 1024,
		signal,
		...over,
	})

describe('the fake container boundary', () => {
	it('runs the real Sandbox Durable Object, whose container is the fake', async () => {
		const executor = container()
		await exec(executor, 'echo hi', { env: { A: 'b' } })
		const stub = env.SANDBOX.get(env.SANDBOX.idFromName(await executor.id()))
		await runInDurableObject(stub, (instance) => {
			expect(instance).toBeInstanceOf(Sandbox)
			const machine = fakeContainerOf(instance)
			expect(machine.lifecycle).toEqual(['start'])
			expect(machine.requests).toContainEqual({
				method: 'POST',
				path: '/api/execute',
				body: {
					command: 'echo hi',
					sessionId: '__DISABLE_SESSION__',
					timeoutMs: 5_000,
					env: { A: 'b' },
					cwd: '/workspace',
				},
			})
		})
	})
})

describe('exec', () => {
	it('returns stdout, stderr and the exit code', async () => {
		const result = await exec(container(), 'echo out; echo err >&2; exit 3')
		expect(result).toMatchObject({
			exitCode: 3,
			stdout: 'out\n',
			stderr: 'err\n',
			truncated: false,
			timedOut: false,
		})
		expect(result.durationMs).toBeGreaterThanOrEqual(0)
	})

	it('runs in the working directory it is given, inside the workspace', async () => {
		const executor = container()
		await executor.writeFile('sub/dir/x.txt', 'x', { signal })
		const result = await exec(executor, 'pwd; ls', { cwd: 'sub/dir' })
		expect(result.stdout).toBe('/workspace/sub/dir\nx.txt\n')
		expect((await exec(executor, 'pwd')).stdout).toBe('/workspace\n')
	})

	it('passes the environment it is given', async () => {
		const result = await exec(container(), 'printenv GREETING', {
			env: { GREETING: 'hello there' },
		})
		expect(result).toMatchObject({ exitCode: 0, stdout: 'hello there\n' })
	})

	it('reports a command killed at its timeout, keeping what it printed', async () => {
		const started = Date.now()
		const result = await exec(container(), 'echo started; sleep 60; echo never', { timeoutMs: 200 })
		expect(result).toMatchObject({ timedOut: true, exitCode: 124, stdout: 'started\n' })
		expect(Date.now() - started).toBeLessThan(30_000)
	})

	it('does not mistake a command exiting 124 for a timeout', async () => {
		const result = await exec(container(), 'exit 124')
		expect(result).toMatchObject({ exitCode: 124, timedOut: false })
	})

	it('caps stdout and stderr at maxOutputBytes, never inside a character', async () => {
		const executor = container()
		await executor.writeFile('big.txt', 'é'.repeat(2_000), { signal })
		const result = await exec(executor, 'cat big.txt; echo small >&2', { maxOutputBytes: 1_025 })
		expect(result.truncated).toBe(true)
		expect(result.stdout).toBe('é'.repeat(512))
		expect(result.stderr).toBe('small\n')
	})
})

describe('runJs', () => {
	it('runs the code as a function body under node and returns its result and console output', async () => {
		const executor = container()
		const result = await js(
			executor,
			'console.log("hi", 2)\nconsole.warn({"a": 1})\nreturn {"sum": 3}',
		)
		expect(result).toMatchObject({
			ok: true,
			result: { sum: 3 },
			logs: [
				{ level: 'log', text: 'hi 2' },
				{ level: 'warn', text: '{"a":1}' },
			],
			truncated: false,
		})
		const machine = await machineOf(executor)
		const writes = machine.requests.filter((r) => r.path === '/api/write')
		expect(writes.map((w) => w.body?.path)).toEqual([
			expect.stringMatching(/^\/workspace\/\.edgeclaw\/run-[0-9a-f-]{36}\/body\.mjs$/),
			expect.stringMatching(/^\/workspace\/\.edgeclaw\/run-[0-9a-f-]{36}\/main\.mjs$/),
		])
		expect(writes[0]?.body?.content).toBe(
			'export default async function run() {\nconsole.log("hi", 2)\nconsole.warn({"a": 1})\nreturn {"sum": 3}\n}\n',
		)
		const run = machine.requests.find((r) => r.path === '/api/execute')
		expect(run?.body?.command).toMatch(
			/^node \/workspace\/\.edgeclaw\/run-[0-9a-f-]{36}\/main\.mjs$/,
		)
		// The harness removes its directory when it has reported.
		expect(machine.fs.list('/workspace/.edgeclaw', false)).toEqual([])
	})

	it('reports what the code threw', async () => {
		const result = await js(container(), 'throw new TypeError("bad input")')
		expect(result).toMatchObject({
			ok: false,
			result: null,
			error: { name: 'TypeError', message: 'bad input' },
		})
	})

	it('reports a timeout, keeps the output printed before it and cleans up', async () => {
		const executor = container()
		const result = await js(
			executor,
			'console.log("before")\nawait new Promise((r) => setTimeout(r, 5000))',
			{
				timeoutMs: 200,
			},
		)
		expect(result).toMatchObject({
			ok: false,
			error: { name: 'TimeoutError', message: 'the code did not finish within 200 ms' },
			logs: [{ level: 'log', text: 'before' }],
		})
		expect((await machineOf(executor)).fs.list('/workspace/.edgeclaw', false)).toEqual([])
	})

	it('caps the result, then console output, at maxOutputBytes together', async () => {
		const executor = container()
		const line = `console.log("${'x'.repeat(300)}")`
		const logs = await js(executor, `${[line, line, line, line, line].join('\n')}\nreturn 1`, {
			maxOutputBytes: 1_024,
		})
		expect(logs).toMatchObject({ ok: true, result: 1, truncated: true })
		expect(logs.logs.map((l) => l.text)).toEqual([
			'x'.repeat(300),
			'x'.repeat(300),
			'x'.repeat(300),
			'x'.repeat(123),
		])

		// A result too large on its own comes back as the start of its JSON text.
		const big = await js(executor, `console.log("lost")\nreturn "${'y'.repeat(2_000)}"`, {
			maxOutputBytes: 1_024,
		})
		expect(big).toMatchObject({ ok: true, truncated: true, logs: [] })
		expect(big.result).toBe(`"${'y'.repeat(1_023)}`)
	})

	it('runs TypeScript from a .mts module (node strips the types)', async () => {
		const executor = container()
		const result = await js(executor, 'return 41 as number', { language: 'typescript' })
		expect(result).toMatchObject({ ok: true, result: 41 })
		const machine = await machineOf(executor)
		expect(machine.requests.some((r) => String(r.body?.path).endsWith('/body.mts'))).toBe(true)
	})
})

describe('files', () => {
	it('writes a file, creating its parent directories, and reads it back', async () => {
		const executor = container()
		expect(await executor.writeFile('notes/today.md', 'héllo', { signal })).toEqual({ bytes: 6 })
		const machine = await machineOf(executor)
		expect(machine.requests).toContainEqual(
			expect.objectContaining({
				path: '/api/mkdir',
				body: expect.objectContaining({ path: '/workspace/notes', recursive: true }),
			}),
		)
		const file = await executor.readFile('/workspace/notes/today.md', { maxBytes: 1_000, signal })
		expect(file).toEqual({ content: 'héllo', size: 6, truncated: false })
	})

	it('cuts a read at maxBytes and still reports the full size', async () => {
		const executor = container()
		await executor.writeFile('a.txt', 'abcdef', { signal })
		expect(await executor.readFile('a.txt', { maxBytes: 3, signal })).toEqual({
			content: 'abc',
			size: 6,
			truncated: true,
		})
	})

	it('refuses binary files and names missing ones', async () => {
		const executor = container()
		await executor.writeFile('blob.bin', 'a\u0000b', { signal })
		await expect(executor.readFile('blob.bin', { maxBytes: 100, signal })).rejects.toMatchObject({
			code: 'not_text',
		})
		const missing = executor.readFile('nope.txt', { maxBytes: 100, signal })
		await expect(missing).rejects.toBeInstanceOf(ToolError)
		await expect(missing).rejects.toMatchObject({ code: 'not_found', transient: false })
	})

	it('lists a directory sorted, hides its own scratch space, and honours recursive and limit', async () => {
		const executor = container()
		await executor.writeFile('a/x.txt', 'x', { signal })
		await executor.writeFile('a/b/y.txt', 'yy', { signal })
		await executor.writeFile('.hidden', '', { signal })
		await js(executor, 'return 1')
		await executor.writeFile('.edgeclaw/leftover', '', { signal })

		const top = await executor.listFiles('.', { recursive: false, limit: 100, signal })
		expect(top).toEqual({
			entries: [
				{ path: '/workspace/.hidden', type: 'file', size: 0 },
				{ path: '/workspace/a', type: 'directory', size: 4096 },
			],
			truncated: false,
		})
		const all = await executor.listFiles('/workspace', { recursive: true, limit: 100, signal })
		expect(all.entries.map((e) => e.path)).toEqual([
			'/workspace/.hidden',
			'/workspace/a',
			'/workspace/a/b',
			'/workspace/a/b/y.txt',
			'/workspace/a/x.txt',
		])
		const some = await executor.listFiles('a', { recursive: true, limit: 2, signal })
		expect(some).toMatchObject({
			truncated: true,
			entries: [{ path: '/workspace/a/b' }, { path: '/workspace/a/b/y.txt' }],
		})
	})

	it('refuses paths outside /workspace before anything reaches the container', async () => {
		const executor = container()
		await exec(executor, 'true')
		const before = (await machineOf(executor)).requests.length
		const attempts = [
			executor.readFile('../etc/passwd', { maxBytes: 10, signal }),
			executor.writeFile('/etc/cron.d/x', 'x', { signal }),
			executor.listFiles('/', { recursive: false, limit: 10, signal }),
			exec(executor, 'pwd', { cwd: '/tmp' }),
		]
		for (const attempt of attempts) await expect(attempt).rejects.toBeInstanceOf(SandboxPathError)
		expect((await machineOf(executor)).requests.length).toBe(before)
	})
})

describe('without a container runtime', () => {
	const methods = (executor: ContainerExecutor) => [
		() => exec(executor, 'echo hi'),
		() => js(executor, 'return 1'),
		() => executor.readFile('a.txt', { maxBytes: 10, signal }),
		() => executor.writeFile('a.txt', 'a', { signal }),
		() => executor.listFiles('.', { recursive: false, limit: 10, signal }),
		() => executor.destroy(),
	]

	it('fails every call at once when containers are disabled, naming the remedy', async () => {
		const executor = new ContainerExecutor(env, scope(), config)
		for (const call of methods(executor)) {
			const started = Date.now()
			const error = await call().catch((e: unknown) => e)
			expect(Date.now() - started).toBeLessThan(100)
			expect(error).toBeInstanceOf(SandboxUnavailable)
			expect((error as SandboxUnavailable).backend).toBe('container')
			expect((error as Error).message).toMatch(/EDGECLAW_CONTAINERS=disabled/)
			expect((error as Error).message).toMatch(
				/Install Docker .* restart `npm run dev`, or deploy to Cloudflare/,
			)
			expect((error as Error).message).toMatch(/JavaScript still runs in the isolate backend/)
		}
	})

	it('fails every call at once when SANDBOX is not bound', async () => {
		const executor = new ContainerExecutor({ EDGECLAW_CONTAINERS: 'enabled' }, scope(), config)
		for (const call of methods(executor)) {
			await expect(call()).rejects.toThrow(/no SANDBOX binding.*Install Docker/)
		}
	})

	it('has nothing to destroy', async () => {
		await expect(destroySandbox(env, scope())).resolves.toBeUndefined()
	})
})

describe('platform failures', () => {
	it('reports a container that cannot start as unavailable, with the remedy', async () => {
		const executor = container()
		;(await machineOf(executor)).startFailure = 'no such image: edgeclaw-sandbox:latest'
		const error = await exec(executor, 'echo hi').catch((e: unknown) => e)
		expect(error).toBeInstanceOf(SandboxUnavailable)
		expect((error as Error).message).toMatch(/could not start.*Install Docker/)
	})

	it('reports a dropped connection as a transient tool error', async () => {
		const executor = container()
		await exec(executor, 'true')
		;(await machineOf(executor)).requestFailure = 'Network connection lost.'
		const error = await exec(executor, 'echo hi').catch((e: unknown) => e)
		expect(error).toBeInstanceOf(ToolError)
		expect(error).toMatchObject({ code: 'sandbox_transient', transient: true })
		// The next call reaches the container again.
		expect((await exec(executor, 'echo back')).stdout).toBe('back\n')
	})
})

describe('destroy', () => {
	it('ends the container: its disk is gone and the next call starts a fresh one', async () => {
		const executor = container()
		await executor.writeFile('keep.txt', 'x', { signal })
		await executor.destroy()
		const machine = await machineOf(executor)
		expect(machine.lifecycle).toEqual(['start', 'destroy'])
		await expect(executor.readFile('keep.txt', { maxBytes: 10, signal })).rejects.toMatchObject({
			code: 'not_found',
		})
		expect(machine.lifecycle).toEqual(['start', 'destroy', 'start'])
	})

	it('destroySandbox reaches the sandbox its scope names', async () => {
		const target = scope()
		const executor = new ContainerExecutor(enabled, target, config)
		await exec(executor, 'true')
		await destroySandbox(enabled, target)
		expect((await machineOf(executor)).lifecycle).toEqual(['start', 'destroy'])
	})

	it("a deleted session ends its own sandbox, never an agent's shared one", async () => {
		const own = scope()
		const ownExecutor = new ContainerExecutor(enabled, own, config)
		await exec(ownExecutor, 'true')
		const { scope: _, ...session } = own
		await endSessionSandbox(enabled, session, config)
		expect((await machineOf(ownExecutor)).lifecycle).toEqual(['start', 'destroy'])

		const shared = scope({ scope: 'agent' })
		const agentConfig = SandboxConfig.parse({ scope: 'agent' })
		const sharedExecutor = new ContainerExecutor(enabled, shared, agentConfig)
		await exec(sharedExecutor, 'true')
		const { scope: __, ...other } = shared
		await endSessionSandbox(enabled, other, agentConfig)
		expect((await machineOf(sharedExecutor)).lifecycle).toEqual(['start'])
		// Without a container runtime there is nothing to end, and nothing is asked.
		await expect(endSessionSandbox(env, session, config)).resolves.toBeUndefined()
	})
})

describe('sandboxId', () => {
	const base: SandboxScope = {
		tenantId: 'acme',
		agentId: 'main',
		sessionKey: 'Chat:User@Example.com+1=a.b',
		scope: 'session',
	}
	const agent = { ...base, scope: 'agent' as const }

	it('is deterministic, lowercase and safe for the SDK', async () => {
		const id = await sandboxId(base)
		expect(id).toBe(await sandboxId({ ...base }))
		expect(id).toMatch(/^s-[0-9a-f]{40}$/)
		expect(id.length).toBeLessThanOrEqual(63)
		// SHA-256 of the JSON of the scope's parts, cut to 40 hex digits.
		const digest = await crypto.subtle.digest(
			'SHA-256',
			new TextEncoder().encode(JSON.stringify(['acme', 'main', base.sessionKey])),
		)
		const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
		expect(id).toBe(`s-${hex.slice(0, 40)}`)
	})

	it('gives each session its own sandbox in session scope', async () => {
		const id = await sandboxId(base)
		expect(id).not.toBe(await sandboxId({ ...base, sessionKey: 'chat:user@example.com+1=a.b' }))
		expect(id).not.toBe(await sandboxId({ ...base, tenantId: 'other' }))
	})

	it('shares one sandbox between the sessions of an agent in agent scope', async () => {
		const id = await sandboxId(agent)
		expect(id).toMatch(/^a-[0-9a-f]{40}$/)
		expect(id).toBe(await sandboxId({ ...agent, sessionKey: 'another' }))
		expect(id).not.toBe(await sandboxId({ ...agent, agentId: 'helper' }))
		expect(id).not.toBe(await sandboxId(base))
	})

	it('keeps the fields apart (no "a:b" + "c" = "a" + "b:c")', async () => {
		expect(await sandboxId({ ...agent, tenantId: 'a:b', agentId: 'c' })).not.toBe(
			await sandboxId({ ...agent, tenantId: 'a', agentId: 'b:c' }),
		)
	})
})
