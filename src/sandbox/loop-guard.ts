// Instruments sandbox code so that a runaway loop or recursion stops itself: locally a synchronous
// loop in a Worker Loader isolate blocks the whole workerd thread, so no outside timer can end it.
import { type AnyNode, type Node, parse, tokTypes } from 'acorn'
import { simple } from 'acorn-walk'

/** The identifier the instrumented code calls; the harness binds it to the budget check. */
export const GUARD = '__sandboxGuard'

interface Insertion {
	at: number
	text: string
	closing: boolean
	/** Order of discovery: the walk visits inner nodes before the nodes that hold them. */
	seq: number
}

/** At one offset: closings first, inner before outer; then openings, outer before inner. */
const byOffset = (a: Insertion, b: Insertion) =>
	a.at - b.at ||
	Number(b.closing) - Number(a.closing) ||
	(a.closing ? a.seq - b.seq : b.seq - a.seq)

/**
 * Parses `body` (the body of an async function: top-level `return` and `await` allowed) and inserts
 * a `GUARD()` call at the start of every loop body and every function body, wrapping single-statement
 * bodies in braces. Throws the parser's SyntaxError (message with line:column) for invalid code,
 * and a SyntaxError for what would reach past the guard: `import`/`export` declarations, `import()`
 * and `import.meta` (the isolate's module registry holds the guard and the harness; with code from
 * strings refused by the runtime, `import()` is the only way to it) and the guard's name spelled any
 * way, escapes included (a binding of that name would shadow the guard).
 */
export function insertLoopGuards(body: string): string {
	const program = parse(body, {
		ecmaVersion: 'latest',
		sourceType: 'module',
		allowReturnOutsideFunction: true,
		allowAwaitOutsideFunction: true,
		onToken(token) {
			// A name token's value (untyped in acorn's .d.ts) has its escapes decoded, so
			// `\u005f_sandboxGuard` is caught here.
			if (token.type === tokTypes.name && (token as { value?: unknown }).value === GUARD) {
				throw new SyntaxError(`the name ${GUARD} is reserved by the sandbox`)
			}
		},
	})
	for (const statement of program.body) {
		if (statement.type.startsWith('Import') || statement.type.startsWith('Export')) {
			throw new SyntaxError(
				'import and export declarations are not available: the code is the body of an async function',
			)
		}
	}
	const noModules = (what: string) => () => {
		throw new SyntaxError(`${what} is not available: the sandbox has no modules to load`)
	}
	const insertions: Insertion[] = []
	const insert = (at: number, text: string, closing: boolean) =>
		insertions.push({ at, text, closing, seq: insertions.length })
	const call = `${GUARD}();`
	const guardStatement = (node: Node) => {
		if (node.type === 'BlockStatement') {
			insert(node.start + 1, call, false)
		} else {
			insert(node.start, `{${call}`, false)
			insert(node.end, '}', true)
		}
	}
	const loop = (node: { body: AnyNode }) => guardStatement(node.body)
	const fn = (node: { body: AnyNode }) => {
		if (node.body.type === 'BlockStatement') guardStatement(node.body)
		else {
			// An expression-bodied arrow: `x => (GUARD(), x + 1)`.
			insert(node.body.start, `(${GUARD}(), `, false)
			insert(node.body.end, ')', true)
		}
	}
	simple(program, {
		ForStatement: loop,
		ForInStatement: loop,
		ForOfStatement: loop,
		WhileStatement: loop,
		DoWhileStatement: loop,
		FunctionDeclaration: fn,
		FunctionExpression: fn,
		ArrowFunctionExpression: fn,
		ImportExpression: noModules('import()'),
		MetaProperty(node) {
			if (node.meta.name === 'import') noModules('import.meta')()
		},
	})
	insertions.sort(byOffset)
	let out = ''
	let from = 0
	for (const insertion of insertions) {
		out += body.slice(from, insertion.at) + insertion.text
		from = insertion.at
	}
	return out + body.slice(from)
}

/**
 * Guard calls allowed per millisecond of the timeout before the guard trips without looking at the
 * clock: one per nanosecond, more than a tight loop manages, so it never ends a run the clock would
 * have let finish. It matters where the clock stands still during synchronous code (Cloudflare's
 * edge, where the isolate's `cpuMs` limit applies as well).
 */
const GUARD_CALLS_PER_MS = 1_000_000

/**
 * Source of `guard.js` inside the sandbox isolate. Locally workerd's clock advances during
 * synchronous code, so the guard trips at the deadline; it reads the clock every 128 calls (a read
 * costs ~70 ns: on every call a tight loop runs ten times slower, every 128 calls about 30%). Once
 * tripped it throws on every later call, so a `catch` around a loop only delays the stop, and the
 * harness reports a timeout whatever the code returned. Imported bindings are read-only: the code
 * cannot reassign the guard. `arm` runs inside the request (at startup workerd's clock reads 0)
 * and only once: the harness arms it before the code runs, so a later call — from code that found
 * a way to this module — throws and changes nothing. `overdue` tells the harness that the code
 * ended past its deadline (a built-in such as a regular expression ran long without a guard call).
 */
export const GUARD_MODULE = `const clock = Date.now
let deadline = Infinity
let maxCalls = Infinity
let calls = 0
let message = ''
let armed = false
let tripped = false
class TimeoutError extends Error {}
TimeoutError.prototype.name = 'TimeoutError'
export function arm(timeoutMs) {
	if (armed) throw new Error('the sandbox guard is armed once, before the code runs')
	armed = true
	deadline = clock() + timeoutMs
	maxCalls = timeoutMs * ${GUARD_CALLS_PER_MS}
	message = 'the code did not finish within ' + timeoutMs + ' ms'
}
export const overdue = () => tripped || clock() > deadline
export function ${GUARD}() {
	if (!tripped && (++calls & 127) === 0 && (calls > maxCalls || clock() > deadline)) tripped = true
	if (tripped) throw new TimeoutError(message)
}
`
