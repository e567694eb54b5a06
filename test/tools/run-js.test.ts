// run_js through runTool, on the real isolate backend: what the model gets back, and the limits
// the tool takes from the agent's sandbox settings.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { SandboxConfig } from '../../src/sandbox/config'
import type { SandboxNeed } from '../../src/sandbox/executor'
import { IsolateExecutor } from '../../src/sandbox/isolate'
import { RunJsResult, runJs } from '../../src/tools/builtin/run-js'
import { runTool } from '../../src/tools/registry'
import { toolContext } from '../fakes/tool-context'
import { call } from '../helpers'

const needs: SandboxNeed[] = []
const isolate = (sandbox: Partial<SandboxConfig> = {}) =>
	toolContext({
		sandbox: (need) => {
			needs.push(need)
			return new IsolateExecutor(env.LOADER)
		},
		sandboxConfig: SandboxConfig.parse(sandbox),
	})

describe('run_js', () => {
	it('runs the code in the js sandbox and returns the result as JSON', async () => {
		needs.length = 0
		const outcome = await runTool(runJs, { code: "console.log('hi')\nreturn 6 * 7" }, isolate())
		expect(outcome.ok).toBe(true)
		const body = JSON.parse(outcome.text)
		expect(body).toMatchObject({
			ok: true,
			result: 42,
			logs: [{ level: 'log', text: 'hi' }],
			truncated: false,
		})
		expect(body.error).toBeUndefined()
		expect(typeof body.durationMs).toBe('number')
		expect(needs).toEqual(['js'])
	})

	it('runs TypeScript and reports code errors inside a successful call', async () => {
		const ts = await runTool(
			runJs,
			{ code: 'const n: number = 2\nreturn n', language: 'typescript' },
			isolate(),
		)
		expect(JSON.parse(ts.text)).toMatchObject({ ok: true, result: 2 })
		const thrown = await runTool(runJs, { code: "throw new Error('nope')" }, isolate())
		expect(thrown.ok).toBe(true)
		expect(JSON.parse(thrown.text)).toMatchObject({
			ok: false,
			result: null,
			error: { name: 'Error', message: 'nope' },
		})
	})

	it("never waits longer than the agent's sandbox timeout, and caps output at its limit", async () => {
		const slow = await runTool(
			runJs,
			{ code: 'while (true) {}', timeoutMs: 60_000 },
			isolate({ timeoutMs: 200 }),
		)
		expect(JSON.parse(slow.text).error).toEqual({
			name: 'TimeoutError',
			message: 'the code did not finish within 200 ms',
		})
		const shorter = await runTool(
			runJs,
			{ code: 'await new Promise((resolve) => setTimeout(resolve, 5_000))', timeoutMs: 150 },
			isolate({ timeoutMs: 30_000 }),
		)
		expect(JSON.parse(shorter.text).error.message).toBe('the code did not finish within 150 ms')
		const loud = await runTool(
			runJs,
			{ code: "console.log('y'.repeat(5000))" },
			isolate({ maxOutputBytes: 1_024 }),
		)
		const body = JSON.parse(loud.text)
		expect(body.truncated).toBe(true)
		expect(body.logs[0].text.length).toBeLessThanOrEqual(1_024)
	})

	it('keeps its limits against code that attacks them, and the gateway keeps answering', async () => {
		const body = async (code: string, timeoutMs: number) =>
			JSON.parse((await runTool(runJs, { code }, isolate({ timeoutMs }))).text)
		// Reported: import the guard, re-arm it for 10 minutes, spin 8 s under a 2 s limit.
		const rearm = await body(
			"const { arm } = await import('./guard.js')\narm(600000)\nconst end = Date.now() + 8000\nwhile (Date.now() < end) {}",
			2_000,
		)
		expect(rearm).toMatchObject({ ok: false, error: { name: 'SyntaxError' } })
		expect(rearm.error.message).toMatch(/import\(\) is not available/)
		// Reported: a catastrophic regular expression ran 10 s under a 1 s limit. 2^40 steps would
		// take hours: an answer within a limit generous for a loaded machine shows the fallback.
		const redos = await body("return /^(a+)+$/.test('a'.repeat(40) + 'b')", 30_000)
		expect(redos).toMatchObject({ ok: true, result: false })
		// Reported: a 1 GiB allocation succeeded.
		const gib = await body('return new ArrayBuffer(2 ** 30).byteLength', 30_000)
		expect(gib).toMatchObject({ ok: false, error: { name: 'RangeError' } })
		expect((await call('/health')).status).toBe(200)
	})

	it('answers invalid arguments with invalid_args', async () => {
		for (const args of [
			{},
			{ code: '' },
			{ code: 'return 1', extra: true },
			{ code: 'return 1', language: 'python' },
			{ code: 'return 1', timeoutMs: 1.5 },
			{ code: 'x'.repeat(100_001) },
		]) {
			const outcome = await runTool(runJs, args, isolate())
			expect(outcome).toMatchObject({ ok: false, code: 'invalid_args' })
		}
	})

	it('answers sandbox_unavailable when the agent has no js sandbox', async () => {
		const outcome = await runTool(runJs, { code: 'return 1' }, toolContext())
		expect(outcome).toMatchObject({ ok: false, code: 'sandbox_unavailable' })
	})

	it('is an exec job that is not retried blindly and outlasts every sandbox timeout', () => {
		expect(runJs).toMatchObject({
			name: 'run_js',
			sideEffect: 'exec',
			groups: ['group:exec'],
			idempotent: false,
			placement: 'job',
		})
		expect(runJs.timeoutMs).toBeGreaterThan(SandboxConfig.shape.timeoutMs.unwrap().maxValue ?? 0)
		expect(RunJsResult.safeParse({ ok: true, logs: [], truncated: false }).success).toBe(false)
	})
})
