// The workspace tools through runTool(), over the container backend and its fake container (see
// test/sandbox/container.test.ts): arguments, limits from the agent's sandbox settings, outcomes.
import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { SandboxConfig } from '../../src/sandbox/config'
import { ContainerExecutor } from '../../src/sandbox/container'
import type { SandboxNeed } from '../../src/sandbox/executor'
import { editFileTool } from '../../src/tools/builtin/edit-file'
import { execTool } from '../../src/tools/builtin/exec'
import { listFilesTool } from '../../src/tools/builtin/list-files'
import { readFileTool } from '../../src/tools/builtin/read-file'
import { writeFileTool } from '../../src/tools/builtin/write-file'
import { runTool, type ToolContext } from '../../src/tools/registry'
import type { FakeMachine } from '../fakes/container-machine'
import { fakeContainerOf, silenceSandboxSdk } from '../fakes/containers'
import { toolContext } from '../fakes/tool-context'

silenceSandboxSdk()

let sessions = 0

/** A context whose sandbox is a container executor for a fresh session, and what it was asked. */
function workspace(
	settings: Partial<SandboxConfig> = {},
	bindings: { SANDBOX?: Env['SANDBOX']; EDGECLAW_CONTAINERS?: string } = {
		...env,
		EDGECLAW_CONTAINERS: 'enabled',
	},
) {
	sessions += 1
	const sessionKey = `ws-${sessions}`
	const sandboxConfig = SandboxConfig.parse(settings)
	const executor = new ContainerExecutor(
		bindings,
		{ tenantId: 'default', agentId: 'main', sessionKey, scope: 'session' },
		sandboxConfig,
	)
	const needs: SandboxNeed[] = []
	const ctx: ToolContext = toolContext({
		sessionKey,
		sandboxConfig,
		sandbox: (need) => {
			needs.push(need)
			return executor
		},
	})
	const machine = async (): Promise<FakeMachine> =>
		runInDurableObject(env.SANDBOX.get(env.SANDBOX.idFromName(await executor.id())), (instance) =>
			fakeContainerOf(instance),
		)
	return { ctx, needs, machine }
}

const json = (text: string) => JSON.parse(text) as Record<string, unknown>

const WORKSPACE_TOOLS = [execTool, readFileTool, writeFileTool, editFileTool, listFilesTool]

describe('the tool specs', () => {
	it('are sandbox jobs with their side-effect class, groups and idempotency', () => {
		expect(WORKSPACE_TOOLS.map((t) => t.name)).toEqual([
			'exec',
			'read_file',
			'write_file',
			'edit_file',
			'list_files',
		])
		expect(WORKSPACE_TOOLS.every((t) => t.placement === 'job')).toBe(true)
		expect([execTool.sideEffect, execTool.groups, execTool.idempotent]).toEqual([
			'exec',
			['group:exec'],
			false,
		])
		expect(
			[readFileTool, writeFileTool, editFileTool, listFilesTool].map((t) => [
				t.sideEffect,
				t.idempotent,
			]),
		).toEqual([
			['read', true],
			['write', true],
			['write', false],
			['read', true],
		])
		expect(WORKSPACE_TOOLS.every((t) => t.groups.length === 1)).toBe(true)
		// Above the longest sandbox timeout a config allows (600 s), so the sandbox's own limit fires first.
		expect(execTool.timeoutMs).toBeGreaterThan(600_000)
	})

	it('refuse unknown arguments', async () => {
		const { ctx } = workspace()
		const outcome = await runTool(execTool, { command: 'true', shell: 'zsh' }, ctx)
		expect(outcome).toMatchObject({ ok: false, code: 'invalid_args' })
	})
})

describe('exec', () => {
	it('runs a command in the shell sandbox and returns its outcome', async () => {
		const { ctx, needs } = workspace()
		const outcome = await runTool(execTool, { command: 'echo hello; exit 2' }, ctx)
		expect(outcome.ok).toBe(true)
		expect(json(outcome.text)).toMatchObject({
			exitCode: 2,
			stdout: 'hello\n',
			stderr: '',
			truncated: false,
			timedOut: false,
		})
		expect(needs).toEqual(['shell'])
	})

	it('passes allowed environment variables and refuses others by name', async () => {
		const { ctx, machine } = workspace({ envAllow: ['GREETING'] })
		const allowed = await runTool(
			execTool,
			{ command: 'printenv GREETING', env: { GREETING: 'hi' } },
			ctx,
		)
		expect(json(allowed.text)).toMatchObject({ stdout: 'hi\n' })

		const executed = (await machine()).requests.length
		const refused = await runTool(
			execTool,
			{ command: 'env', env: { GREETING: 'hi', AWS_SECRET_ACCESS_KEY: 'x', HOME: '/' } },
			ctx,
		)
		expect(refused).toMatchObject({ ok: false, code: 'invalid_args' })
		expect(refused.text).toContain('AWS_SECRET_ACCESS_KEY, HOME')
		expect(refused.text).toContain('Allowed: GREETING')
		expect((await machine()).requests.length).toBe(executed)
	})

	it("clamps the timeout to the agent's sandbox timeout", async () => {
		const { ctx, machine } = workspace({ timeoutMs: 300 })
		const outcome = await runTool(execTool, { command: 'sleep 2', timeoutMs: 600_000 }, ctx)
		expect(json(outcome.text)).toMatchObject({ timedOut: true, exitCode: 124 })
		const request = (await machine()).requests.find((r) => r.path === '/api/execute')
		expect(request?.body?.timeoutMs).toBe(300)
	})

	it('caps output at the agent’s maxOutputBytes', async () => {
		const { ctx } = workspace({ maxOutputBytes: 1_024 })
		await runTool(writeFileTool, { path: 'big.txt', content: 'z'.repeat(3_000) }, ctx)
		const outcome = json((await runTool(execTool, { command: 'cat big.txt' }, ctx)).text)
		expect(outcome).toMatchObject({ truncated: true, stdout: 'z'.repeat(1_024) })
	})

	it('refuses a working directory outside /workspace', async () => {
		const { ctx } = workspace()
		const outcome = await runTool(execTool, { command: 'ls', cwd: '../..' }, ctx)
		expect(outcome).toMatchObject({ ok: false, code: 'invalid_path' })
	})

	it('answers sandbox_unavailable at once where containers are disabled', async () => {
		const { ctx } = workspace({}, env)
		const started = Date.now()
		const outcome = await runTool(execTool, { command: 'echo hi' }, ctx)
		expect(Date.now() - started).toBeLessThan(100)
		expect(outcome).toMatchObject({ ok: false, code: 'sandbox_unavailable' })
		expect(outcome.text).toMatch(/Install Docker .*`npm run dev`, or deploy to Cloudflare/)
	})
})

describe('files', () => {
	it('write_file then read_file round-trips a file', async () => {
		const { ctx } = workspace()
		const written = await runTool(
			writeFileTool,
			{ path: 'src/main.ts', content: 'export const x = 1\n' },
			ctx,
		)
		expect(json(written.text)).toEqual({ path: 'src/main.ts', bytes: 19 })
		const read = await runTool(readFileTool, { path: '/workspace/src/main.ts' }, ctx)
		expect(json(read.text)).toEqual({
			path: '/workspace/src/main.ts',
			content: 'export const x = 1\n',
			size: 19,
			truncated: false,
		})
	})

	it("read_file cuts at maxBytes, and never above the agent's output limit", async () => {
		const { ctx } = workspace({ maxOutputBytes: 1_024 })
		await runTool(writeFileTool, { path: 'log.txt', content: 'a'.repeat(2_000) }, ctx)
		const small = json((await runTool(readFileTool, { path: 'log.txt', maxBytes: 10 }, ctx)).text)
		expect(small).toMatchObject({ content: 'a'.repeat(10), size: 2_000, truncated: true })
		const large = json(
			(await runTool(readFileTool, { path: 'log.txt', maxBytes: 1_000_000 }, ctx)).text,
		)
		expect(large).toMatchObject({ size: 2_000, truncated: true })
		expect((large.content as string).length).toBe(1_024)
	})

	it('read_file names a missing file', async () => {
		const { ctx } = workspace()
		expect(await runTool(readFileTool, { path: 'missing.txt' }, ctx)).toMatchObject({
			ok: false,
			code: 'not_found',
		})
	})

	it('write_file refuses content over 1 MiB', async () => {
		const { ctx } = workspace()
		const outcome = await runTool(
			writeFileTool,
			{ path: 'a.txt', content: 'é'.repeat(600_000) },
			ctx,
		)
		expect(outcome).toMatchObject({ ok: false, code: 'invalid_args' })
	})

	it('edit_file replaces exact text that occurs once', async () => {
		const { ctx } = workspace()
		await runTool(writeFileTool, { path: 'a.ts', content: 'const a = 1\nconst b = 2\n' }, ctx)
		const edited = await runTool(
			editFileTool,
			{ path: 'a.ts', oldText: 'const b = 2', newText: 'const b = "$&"' },
			ctx,
		)
		expect(json(edited.text)).toMatchObject({ path: 'a.ts', replacements: 1 })
		const read = json((await runTool(readFileTool, { path: 'a.ts' }, ctx)).text)
		expect(read.content).toBe('const a = 1\nconst b = "$&"\n')
	})

	it('edit_file fails clearly when oldText is missing or ambiguous, and changes nothing', async () => {
		const { ctx } = workspace()
		await runTool(writeFileTool, { path: 'b.txt', content: 'x\nx\n' }, ctx)
		const missing = await runTool(editFileTool, { path: 'b.txt', oldText: 'y', newText: 'z' }, ctx)
		expect(missing).toMatchObject({ ok: false, code: 'no_match' })
		const ambiguous = await runTool(
			editFileTool,
			{ path: 'b.txt', oldText: 'x', newText: 'z' },
			ctx,
		)
		expect(ambiguous).toMatchObject({ ok: false, code: 'ambiguous_match' })
		expect(ambiguous.text).toContain('occurs 2 times')
		expect(json((await runTool(readFileTool, { path: 'b.txt' }, ctx)).text).content).toBe('x\nx\n')

		const all = await runTool(
			editFileTool,
			{ path: 'b.txt', oldText: 'x', newText: 'z', replaceAll: true },
			ctx,
		)
		expect(json(all.text)).toMatchObject({ replacements: 2 })
		expect(json((await runTool(readFileTool, { path: 'b.txt' }, ctx)).text).content).toBe('z\nz\n')
	})

	it('list_files lists the workspace by default, or a subdirectory recursively with a limit', async () => {
		const { ctx } = workspace()
		await runTool(writeFileTool, { path: 'docs/a.md', content: 'a' }, ctx)
		await runTool(writeFileTool, { path: 'docs/deep/b.md', content: 'bb' }, ctx)
		const top = json((await runTool(listFilesTool, {}, ctx)).text)
		expect(top).toEqual({
			path: '.',
			entries: [{ path: '/workspace/docs', type: 'directory', size: 4096 }],
			truncated: false,
		})
		const deep = json(
			(await runTool(listFilesTool, { path: 'docs', recursive: true, limit: 2 }, ctx)).text,
		)
		expect(deep).toMatchObject({
			truncated: true,
			entries: [{ path: '/workspace/docs/a.md', size: 1 }, { path: '/workspace/docs/deep' }],
		})
	})

	it('every file tool refuses paths that leave /workspace', async () => {
		const { ctx } = workspace()
		const outcomes = await Promise.all([
			runTool(readFileTool, { path: '../../etc/passwd' }, ctx),
			runTool(writeFileTool, { path: '/etc/passwd', content: 'x' }, ctx),
			runTool(editFileTool, { path: '/root/.bashrc', oldText: 'a', newText: 'b' }, ctx),
			runTool(listFilesTool, { path: '/' }, ctx),
		])
		for (const outcome of outcomes)
			expect(outcome).toMatchObject({ ok: false, code: 'invalid_path' })
	})
})
