// The isolate backend against the real Worker Loader: results, console capture, errors, time and
// output limits, no network, the instrumentation that stops synchronous loops and the guard out of
// the code's reach, the regular-expression engine, the CPU limit and the allocation caps.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { MAX_ALLOCATION_BYTES } from '../../src/sandbox/allocation-cap'
import { type JsRequest, SandboxUnavailable } from '../../src/sandbox/executor'
import { IsolateExecutor } from '../../src/sandbox/isolate'
import { GUARD, insertLoopGuards } from '../../src/sandbox/loop-guard'

const executor = new IsolateExecutor(env.LOADER)

const run = (code: string, over: Partial<JsRequest> = {}) =>
	executor.runJs({
		code,
		language: 'javascript',
		// Tests of the timeout pass their own; the rest must not hit it, however slow the machine.
		timeoutMs: 30_000,
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
		expect(out.durationMs).toBeLessThan(10_000)
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
		expect(out.durationMs).toBeLessThan(9_000)
	})

	it('ends code that awaits what nothing can settle without waiting out the timeout', async () => {
		const out = await run('await new Promise(() => {})', { timeoutMs: 20_000 })
		expect(out.error?.name).toBe('TimeoutError')
		expect(out.error?.message).toMatch(/^the code did not finish within 20000 ms: it awaits/)
		expect(out.durationMs).toBeLessThan(10_000)
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

/** A loader that swaps in a hand-written user.js: code that found a way past the instrumentation. */
const bypassing = (userModule: string): WorkerLoader => ({
	load: (code) => env.LOADER.load({ ...code, modules: { ...code.modules, 'user.js': userModule } }),
	get: (name, getCode) => env.LOADER.get(name, getCode),
})

/** user.js with the guard imported as the instrumentation imports it, around `body`. */
const userModule = (body: string) =>
	`import { ${GUARD} } from './guard.js'\nexport default async function () {\n${body}\n}`

describe("the loop guard is out of the code's reach", () => {
	it('refuses the reported attack (import the guard, re-arm it, spin) before it runs', async () => {
		const out = await run(
			"const { arm } = await import('./guard.js')\narm(600000)\nconst end = Date.now() + 8000\nwhile (Date.now() < end) {}",
			{ timeoutMs: 2_000 },
		)
		expect(out).toMatchObject({ ok: false, error: { name: 'SyntaxError' } })
		expect(out.error?.message).toMatch(/import\(\) is not available/)
		const shadow = await run('{ let \\u005f_sandboxGuard = () => {}\nwhile (true) {} }', {
			timeoutMs: 200,
		})
		expect(shadow.error?.message).toMatch(/reserved by the sandbox/)
	})

	it('keeps the first arming even for code that reaches guard.js: re-arming throws', async () => {
		const out = await new IsolateExecutor(
			bypassing(
				userModule(`const guard = await import('./guard.js')
				try { guard.arm(600000) } catch (error) { console.log(error.message) ; for (;;) ${GUARD}() }
				return 're-armed'`),
			),
		).runJs({
			code: 'return 1',
			language: 'javascript',
			timeoutMs: 200,
			maxOutputBytes: 1_024,
			signal: new AbortController().signal,
		})
		// Stopped by its own limit, not the one it asked for.
		expect(out).toMatchObject({
			ok: false,
			error: { name: 'TimeoutError', message: 'the code did not finish within 200 ms' },
		})
	})

	it('refuses a second call of the harness: the code cannot run itself under a new limit', async () => {
		const out = await new IsolateExecutor(
			bypassing(
				userModule(`const harness = await import('./harness.js')
				const request = new Request('https://sandbox.invalid/run', {
					method: 'POST',
					body: JSON.stringify({ timeoutMs: 600000, maxOutputBytes: 1000 }),
				})
				try { await harness.default.fetch(request) } catch (error) { return error.message }
				return 'ran again'`),
			),
		).runJs({
			code: 'return 1',
			language: 'javascript',
			timeoutMs: 30_000,
			maxOutputBytes: 1_024,
			signal: new AbortController().signal,
		})
		expect(out).toMatchObject({ ok: true, result: 'the sandbox harness runs one call' })
	})

	it('reports a run that ended past its deadline as a timeout, whatever it returned', async () => {
		// No guard call in this loop: it stands for a built-in nothing can interrupt.
		const out = await new IsolateExecutor(
			bypassing(
				userModule("const end = Date.now() + 300\nwhile (Date.now() < end);\nreturn 'late'"),
			),
		).runJs({
			code: 'return 1',
			language: 'javascript',
			timeoutMs: 100,
			maxOutputBytes: 1_024,
			signal: new AbortController().signal,
		})
		expect(out).toMatchObject({ ok: false, result: null, error: { name: 'TimeoutError' } })
	})

	it('asks the runtime for a CPU limit of the timeout, at most the platform maximum', async () => {
		const limits: unknown[] = []
		const recording: WorkerLoader = {
			load: (code) => {
				limits.push(code.limits)
				return env.LOADER.load(code)
			},
			get: (name, getCode) => env.LOADER.get(name, getCode),
		}
		const executor = new IsolateExecutor(recording)
		const request = { language: 'javascript' as const, maxOutputBytes: 1_024 }
		const signal = new AbortController().signal
		await executor.runJs({ ...request, code: 'return 1', timeoutMs: 1_500, signal })
		await executor.runJs({ ...request, code: 'return 1', timeoutMs: 900_000, signal })
		expect(limits).toEqual([{ cpuMs: 1_500 }, { cpuMs: 300_000 }])
	})
})

describe('regular expressions', () => {
	it('ends catastrophic backtracking: V8 falls back to its linear engine', async () => {
		// 2^40 backtracking steps: hours without the fallback, so an ok result within the timeout
		// shows it.
		const out = await run("return /^(a+)+$/.test('a'.repeat(40) + 'b')")
		expect(out).toMatchObject({ ok: true, result: false })
	})
})

describe('allocation caps', () => {
	const GiB = 2 ** 30

	it('refuses a single allocation larger than a production isolate, in every built-in form', async () => {
		const attempts = [
			`new ArrayBuffer(${GiB})`,
			`new ArrayBuffer(8, { maxByteLength: ${GiB} })`,
			`new ArrayBuffer(8).transfer(${GiB})`,
			`new SharedArrayBuffer(${GiB})`,
			`new Uint8Array(${GiB})`,
			`new Float64Array(${GiB / 8})`,
			`new Float64Array(new Uint8Array(${MAX_ALLOCATION_BYTES / 8 + 1}))`,
			`new Uint8Array({ length: ${GiB} })`,
			`Uint8Array.from({ length: ${GiB} })`,
			`new (class extends Uint32Array {})(${GiB / 4})`,
			`new (new Uint8Array(1).constructor)(${GiB})`,
			`new (new Uint8Array(1).buffer.constructor)(${GiB})`,
			`new WebAssembly.Memory({ initial: ${GiB / 65_536} })`,
			'new WebAssembly.Memory({ initial: 1 }).grow(16383)',
			`Buffer.alloc(${GiB})`,
			`Buffer.allocUnsafe(${GiB})`,
			`Buffer(${GiB})`,
			`Buffer.from({ length: ${GiB} })`,
			`Buffer.concat([], ${GiB})`,
			`'€'.repeat(${GiB / 4})`,
			`''.padEnd(${GiB / 2})`,
			// A size that answers the check and the allocation differently.
			`new Uint8Array({ n: 0, get length() { return this.n++ ? ${GiB} : 1 } })`,
			// A proxy trap taken from Object.prototype would be handed the original constructor.
			`(() => {
				Object.prototype.get = function (target, key) { Object.prototype.leak = target; return Reflect.get(target, key) }
				try { Uint8Array.BYTES_PER_ELEMENT } finally { delete Object.prototype.get }
				return new (Object.prototype.leak ?? Uint8Array)(${GiB})
			})()`,
		]
		const outcomes = await run(tryEach(attempts))
		expect(outcomes.ok).toBe(true)
		expect(outcomes.result).toHaveLength(attempts.length)
		for (const [i, attempt] of attempts.entries()) {
			expect((outcomes.result as string[])[i], attempt).toMatch(/^RangeError: /)
		}
		expect((outcomes.result as string[])[0]).toBe(
			`RangeError: the sandbox refuses to allocate ${GiB} bytes at once (at most ${MAX_ALLOCATION_BYTES})`,
		)
	})

	it('leaves allocations within the cap, and the built-ins, working as before', async () => {
		const out = await run(`class Bytes extends Uint8Array {}
			const resizable = new ArrayBuffer(8, { maxByteLength: 16 })
			resizable.resize(16)
			const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 })
			memory.grow(1)
			return [
				new ArrayBuffer(${2 ** 20}).byteLength,
				[...new Uint8Array([1, 2, 300])],
				[...new Float64Array(new Uint8Array([1, 2]))],
				[...Uint8Array.from(new Set([4, 5]))],
				[...new Int16Array({ length: 2, 0: -1, 1: 7 })],
				[...new Uint8Array(new Uint16Array([1, 2]).buffer)],
				new Bytes(3) instanceof Uint8Array && new Bytes(3) instanceof Bytes,
				new Uint8Array(1).constructor === Uint8Array,
				new Uint8Array(1).buffer.constructor === ArrayBuffer,
				resizable.byteLength,
				memory.buffer.byteLength,
				Buffer.from('aGk=', 'base64').toString(),
				Buffer.from([104, 105]).toString(),
				Buffer.alloc(3, 1).length,
				'ab'.repeat(3),
				'x'.padStart(3, '-') + 'x'.padEnd(2),
				new ArrayBuffer(4).transfer(8).byteLength,
			]`)
		expect(out.error).toBeUndefined()
		expect(out.result).toEqual([
			2 ** 20,
			[1, 2, 44],
			[1, 2],
			[4, 5],
			[-1, 7],
			[1, 0, 2, 0],
			true,
			true,
			true,
			16,
			2 * 65_536,
			'hi',
			'hi',
			3,
			'ababab',
			'--xx ',
			8,
		])
	})
})

/** A body that runs each expression and returns what became of it: 'allocated' or the error. */
const tryEach = (expressions: string[]) =>
	`const outcome = (make) => { try { make(); return 'allocated' } catch (error) { return error.name + ': ' + error.message } }
	return [${expressions.map((expression) => `outcome(() => ${expression})`).join(',\n')}]`

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

	it('refuses the guard name itself, in any spelling', () => {
		expect(() => insertLoopGuards(`${GUARD} = () => {}`)).toThrow(SyntaxError)
		// Escapes spell the same name: a block-scoped binding of it would shadow the guard.
		const escaped = `\\u005f${GUARD.slice(1)}`
		for (const code of [
			`{ let ${escaped} = () => {}; while (true) {} }`,
			`var ${escaped} = () => {}`,
			`function f(${escaped}) { for (;;) {} }`,
			`const o = { ${escaped}: 1 }`,
		]) {
			expect(() => insertLoopGuards(code), code).toThrow(/reserved by the sandbox/)
		}
	})

	it('refuses import() and import.meta, the ways to the modules of the isolate', () => {
		expect(() => insertLoopGuards("const g = await import('./guard.js')")).toThrow(
			/import\(\) is not available/,
		)
		expect(() => insertLoopGuards("const f = () => import('./harness.js')")).toThrow(SyntaxError)
		expect(() => insertLoopGuards('return import.meta.url')).toThrow(
			/import\.meta is not available/,
		)
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
