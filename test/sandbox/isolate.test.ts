// The isolate backend against the real Worker Loader: results, console capture, errors, time and
// output limits, no network, and the instrumentation that stops synchronous loops.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { type JsRequest, SandboxUnavailable } from '../../src/sandbox/executor'
import { IsolateExecutor } from '../../src/sandbox/isolate'
import { GUARD, insertLoopGuards } from '../../src/sandbox/loop-guard'

const executor = new IsolateExecutor(env.LOADER)

const run = (code: string, over: Partial<JsRequest> = {}) =>
	executor.runJs({
		code,
		language: 'javascript',
		timeoutMs: 5_000,
		maxOutputBytes: 64 * 1024,
		signal: new AbortController().signal,
		...over,
	})

const utf8 = (text: string) => new TextEncoder().encode(text).byteLength

describe('IsolateExecutor.runJs', () => {
	it('returns what the code returns, with top-level await', async () => {
		const out = await run(
			'const base = await Promise.resolve(2)\nreturn { sum: base + 3, list: [1, "x", true] }',
		)
		expect(out).toMatchObject({
			ok: true,
			result: { sum: 5, list: [1, 'x', true] },
			logs: [],
			truncated: false,
		})
		expect(out.error).toBeUndefined()
		expect(out.durationMs).toBeGreaterThanOrEqual(0)
	})

	it('captures every console level in order instead of printing it', async () => {
		const out = await run(
			`console.log('hello', 1, { a: [1] }, undefined)
			console.info('info')
			console.warn('careful')
			console.error(new RangeError('bad'))
			console.debug(10n, null)
			return 'done'`,
		)
		expect(out.result).toBe('done')
		expect(out.logs).toEqual([
			{ level: 'log', text: 'hello 1 {"a":[1]} undefined' },
			{ level: 'info', text: 'info' },
			{ level: 'warn', text: 'careful' },
			{ level: 'error', text: 'RangeError: bad' },
			{ level: 'debug', text: '10n null' },
		])
	})

	it('reports a thrown error with its name and message, keeping earlier logs', async () => {
		const thrown = await run("console.log('before')\nthrow new TypeError('boom')")
		expect(thrown).toMatchObject({
			ok: false,
			result: null,
			error: { name: 'TypeError', message: 'boom' },
			logs: [{ level: 'log', text: 'before' }],
		})
		const rejected = await run("await Promise.reject(new RangeError('late'))")
		expect(rejected.error).toEqual({ name: 'RangeError', message: 'late' })
		const notAnError = await run("throw 'plain text'")
		expect(notAnError.error).toEqual({ name: 'Error', message: 'plain text' })
	})

	it('reports syntax errors with their position, and refuses import declarations', async () => {
		const broken = await run('const a = 1\nreturn a +')
		expect(broken.ok).toBe(false)
		expect(broken.error?.name).toBe('SyntaxError')
		expect(broken.error?.message).toMatch(/Unexpected token \(2:\d+\)/)
		const imports = await run("import fs from 'node:fs'\nreturn fs")
		expect(imports.error?.name).toBe('SyntaxError')
		expect(imports.error?.message).toMatch(/body of an async function/)
	})

	it('strips TypeScript types before running', async () => {
		const code =
			'interface Point { x: number }\nconst p: Point = { x: 2 }\nreturn (p.x as number) * 21'
		expect(await run(code, { language: 'typescript' })).toMatchObject({ ok: true, result: 42 })
		// The same text is not JavaScript: the transpile step is what made it run.
		expect((await run(code)).error?.name).toBe('SyntaxError')
		const broken = await run('const x: = 1', { language: 'typescript' })
		expect(broken.error?.name).toBe('SyntaxError')
	})

	it('stops a synchronous infinite loop at the timeout, and the next run still works', async () => {
		const out = await run('let n = 0\nwhile (true) n++', { timeoutMs: 300 })
		expect(out.error).toEqual({
			name: 'TimeoutError',
			message: 'the code did not finish within 300 ms',
		})
		// The guard reads the clock, so it stops at the timeout, not at an arbitrary count.
		expect(out.durationMs).toBeGreaterThanOrEqual(250)
		expect(out.durationMs).toBeLessThan(3_000)
		expect(await run("return 'alive'")).toMatchObject({ ok: true, result: 'alive' })
	})

	it('keeps a timeout when the code catches it', async () => {
		const swallowed = await run(`for (;;) { try { for (;;) {} } catch {} }`, { timeoutMs: 200 })
		expect(swallowed.error?.name).toBe('TimeoutError')
		const escaped = await run("try { do ; while (true) } catch { return 'escaped' }", {
			timeoutMs: 200,
		})
		expect(escaped).toMatchObject({ ok: false, result: null, error: { name: 'TimeoutError' } })
		const recursion = await run('const f = () => { try { f() } catch { f() } }\nf()', {
			timeoutMs: 200,
		})
		expect(recursion.error?.name).toBe('TimeoutError')
	})

	it('times out code that waits longer than the timeout', async () => {
		const out = await run('await new Promise((resolve) => setTimeout(resolve, 10_000))', {
			timeoutMs: 200,
		})
		expect(out.error).toEqual({
			name: 'TimeoutError',
			message: 'the code did not finish within 200 ms',
		})
		expect(out.durationMs).toBeGreaterThanOrEqual(190)
		expect(out.durationMs).toBeLessThan(2_000)
	})

	it('ends code that awaits what nothing can settle without waiting out the timeout', async () => {
		const out = await run('await new Promise(() => {})', { timeoutMs: 2_000 })
		expect(out.error?.name).toBe('TimeoutError')
		expect(out.error?.message).toMatch(/^the code did not finish within 2000 ms: it awaits/)
		expect(out.durationMs).toBeLessThan(1_500)
		expect(await run('return 2')).toMatchObject({ ok: true, result: 2 })
	})

	it('rejects with the reason when the caller aborts', async () => {
		const controller = new AbortController()
		const reason = new Error('run cancelled')
		const pending = run('await new Promise((resolve) => setTimeout(resolve, 10_000))', {
			signal: controller.signal,
		})
		setTimeout(() => controller.abort(reason), 50)
		await expect(pending).rejects.toBe(reason)
		await expect(run('return 1', { signal: controller.signal })).rejects.toBe(reason)
	})

	it('has no network', async () => {
		const out = await run("const r = await fetch('https://example.com')\nreturn r.status")
		expect(out.ok).toBe(false)
		expect(out.error?.message).toMatch(/not permitted to access the internet/)
	})

	it('cuts console output and the result together at maxOutputBytes', async () => {
		const logs = await run("for (let i = 0; i < 1000; i++) console.log('line ' + i)\nreturn 1", {
			maxOutputBytes: 1_024,
		})
		expect(logs).toMatchObject({ ok: true, result: 1, truncated: true })
		expect(logs.logs[0]).toEqual({ level: 'log', text: 'line 0' })
		const logBytes = logs.logs.reduce((sum, line) => sum + utf8(line.text), 0)
		expect(logBytes + 1).toBeLessThanOrEqual(1_024)
		expect(logBytes).toBeGreaterThan(900)

		const big = await run("console.log('lost')\nreturn '€'.repeat(1000)", { maxOutputBytes: 1_024 })
		expect(big.truncated).toBe(true)
		expect(big.logs).toEqual([])
		expect(typeof big.result).toBe('string')
		const text = big.result as string
		expect(text.startsWith('"€€')).toBe(true)
		expect(text).not.toContain('\uFFFD')
		expect(utf8(text)).toBeLessThanOrEqual(1_024)
		expect(utf8(text)).toBeGreaterThan(1_020)

		const fits = await run("console.log('kept')\nreturn 'x'.repeat(100)", { maxOutputBytes: 1_024 })
		expect(fits).toMatchObject({ truncated: false, logs: [{ text: 'kept' }] })
	})

	it('makes values JSON cannot hold safe', async () => {
		expect((await run('return undefined')).result).toBeNull()
		expect((await run('')).result).toBeNull()
		expect((await run('return 2n ** 70n')).result).toBe('1180591620717411303424n')
		const circular = await run("const a = { name: 'a', gone: undefined }\na.self = a\nreturn a")
		expect(circular.result).toEqual({ name: 'a', self: '[Circular]' })
		const mixed = await run(
			"return [undefined, NaN, () => 1, Symbol('s'), new Map([[1, 2]]), new Set(['x']), new Date(0), new Uint8Array(3), new Error('e')]",
		)
		expect(mixed.result).toEqual([
			null,
			'NaN',
			'[Function anonymous]',
			'Symbol(s)',
			[[1, 2]],
			['x'],
			'1970-01-01T00:00:00.000Z',
			'[Uint8Array(3)]',
			'Error: e',
		])
		const hostile = await run("return { fine: 1, get bad() { throw new Error('no') } }")
		expect(hostile.result).toEqual({ fine: 1, bad: '[Unserialisable: no]' })
	})

	it('runs instrumented loops and functions unchanged', async () => {
		const out = await run(
			`let s = 0
			for (let i = 0; i < 10; i++) s += i
			let j = 0
			while (j < 3) j++
			do j++; while (j < 5)
			for (const k in { ab: 1, c: 2 }) s += k.length
			for (const v of [1, 2]) s += v
			const square = (x) => x * x
			outer: for (;;) for (;;) break outer
			class Box { constructor(v) { this.v = v } get double() { return this.v * 2 } }
			return [s, j, square(4), new Box(4).double, [1, 2].map((x) => ({ x }))]`,
		)
		expect(out.result).toEqual([51, 5, 16, 8, [{ x: 1 }, { x: 2 }]])
	})
})

describe('insertLoopGuards', () => {
	it('guards every loop body and function body, bracing single statements', () => {
		expect(insertLoopGuards('while (a) b()')).toBe(`while (a) {${GUARD}();b()}`)
		expect(insertLoopGuards('for (;;) for (;;) x++')).toBe(
			`for (;;) {${GUARD}();for (;;) {${GUARD}();x++}}`,
		)
		expect(insertLoopGuards('do x(); while (y)')).toBe(`do {${GUARD}();x();} while (y)`)
		expect(insertLoopGuards('const f = (x) => x + 1')).toBe(`const f = (x) => (${GUARD}(), x + 1)`)
		expect(insertLoopGuards('function f() { return 1 }')).toBe(
			`function f() {${GUARD}(); return 1 }`,
		)
		expect(insertLoopGuards('return 1')).toBe('return 1')
	})

	it('refuses the guard name itself', () => {
		expect(() => insertLoopGuards(`${GUARD} = () => {}`)).toThrow(SyntaxError)
	})
})

describe('IsolateExecutor without a container', () => {
	it('refuses exec and file operations, naming the container backend', async () => {
		const signal = new AbortController().signal
		const calls = [
			executor.exec({ command: 'ls', timeoutMs: 1_000, maxOutputBytes: 1_024, signal }),
			executor.readFile('a.txt', { maxBytes: 10, signal }),
			executor.writeFile('a.txt', 'x', { signal }),
			executor.listFiles('.', { recursive: false, limit: 10, signal }),
		]
		for (const call of calls) {
			const error = await call.then(
				() => undefined,
				(e: unknown) => e,
			)
			expect(error).toBeInstanceOf(SandboxUnavailable)
			expect(error).toMatchObject({ code: 'sandbox_unavailable', backend: 'isolate' })
			expect((error as Error).message).toMatch(/container backend/)
		}
		expect(executor.backend).toBe('isolate')
		await expect(executor.destroy()).resolves.toBeUndefined()
	})
})
