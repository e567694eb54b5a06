// What the `cold` figures are made of: the bundle by package (raw and gzip, from the source map of
// what `wrangler deploy` would upload), our largest modules (esbuild's metafile), and startup by
// code — the self time of `wrangler check startup`'s CPU profile of that same bundle, and each
// module's top-level evaluation timed in Node (an unminified build, every module bracketed).
// Usage: npx node bench/cold-breakdown.mjs [--top=15] [--runs=5]   (prints Markdown tables)
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { runCommand } from './lib.mjs'

const arg = (/** @type {string} */ name, /** @type {number} */ fallback) =>
	Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
const TOP = arg('top', 15)
const RUNS = arg('runs', 5)
const root = join(import.meta.dirname, '..')
const dir = mkdtempSync(join(tmpdir(), 'edgeclaw-cold-'))
const deploy = ['deploy', '--dry-run', '--containers-rollout=none']
const wrangler = join(root, 'node_modules', '.bin', 'wrangler')

/** A package (or "our code") from a source path, as the map or the metafile names it. */
function owner(/** @type {string | undefined} */ path) {
	if (!path) return '(bundler runtime)'
	const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path)
	if (!m) return /(^|\/)(src|durable-objects)\//.test(path) ? 'our code' : path
	// drizzle-orm's own source maps name its files `src/…` right under node_modules.
	if (m[1] === 'src') return 'drizzle-orm'
	return m[1] === 'zod' ? `zod/${m[2].split('/').slice(0, 2).join('/')}` : m[1]
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
/** Source-map segments per generated line: [column, source index][], columns ascending. */
function decodeMappings(/** @type {string} */ mappings) {
	/** @type {[number, number][][]} */
	const lines = []
	let source = 0
	for (const line of mappings.split(';')) {
		/** @type {[number, number][]} */
		const segs = []
		let col = 0
		for (const seg of line.split(',')) {
			if (!seg) continue
			const fields = []
			let value = 0
			let shift = 0
			for (const ch of seg) {
				const digit = B64.indexOf(ch)
				value += (digit & 31) << shift
				if (digit & 32) shift += 5
				else {
					fields.push(value & 1 ? -(value >>> 1) : value >>> 1)
					value = 0
					shift = 0
				}
			}
			col += fields[0] ?? 0
			if (fields.length > 1) {
				source += fields[1] ?? 0
				segs.push([col, source])
			}
		}
		lines.push(segs)
	}
	return lines
}

/** @param {Map<string, number>} m @param {string[]} header @param {(v: number) => string} fmt */
const table = (m, header, fmt) =>
	[
		`| ${header.join(' | ')} |`,
		`| ${header.map(() => '---').join(' | ')} |`,
		...[...m]
			.sort((a, b) => b[1] - a[1])
			.slice(0, TOP)
			.map(([k, v]) => `| ${k} | ${fmt(v)} |`),
	].join('\n')

// 1. The bundle `wrangler deploy` would upload, its map and metafile.
runCommand(
	wrangler,
	[...deploy, '--outdir', join(dir, 'min'), '--metafile', join(dir, 'meta.json')],
	root,
)
const code = readFileSync(join(dir, 'min', 'index.js'), 'utf8')
const map = JSON.parse(readFileSync(join(dir, 'min', 'index.js.map'), 'utf8'))
const lines = decodeMappings(map.mappings)
const codeLines = code.split('\n')
/** @type {Map<string, string[]>} */
const text = new Map()
lines.forEach((segs, i) => {
	segs.forEach(([col, src], j) => {
		const k = owner(map.sources[src])
		const piece = (codeLines[i] ?? '').slice(col, segs[j + 1]?.[0])
		const parts = text.get(k)
		if (parts) parts.push(piece)
		else text.set(k, [piece])
	})
})
const raw = new Map([...text].map(([k, parts]) => [k, Buffer.byteLength(parts.join(''))]))
const gz = new Map([...text].map(([k, parts]) => [k, gzipSync(parts.join('')).length]))
console.log(
	`## Bundle: ${(Buffer.byteLength(code) / 1024).toFixed(0)} KiB, gzip ${(gzipSync(code).length / 1024).toFixed(0)} KiB\n`,
)
const bySize = [...gz].sort((a, b) => b[1] - a[1]).slice(0, TOP)
console.log(
	[
		'| package | gzip KiB (alone) | raw KiB |',
		'| --- | --- | --- |',
		...bySize.map(
			([k, v]) => `| ${k} | ${(v / 1024).toFixed(0)} | ${((raw.get(k) ?? 0) / 1024).toFixed(0)} |`,
		),
	].join('\n'),
)
const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'))
const output = /** @type {{ inputs: Record<string, { bytesInOutput: number }> }} */ (
	Object.values(meta.outputs).find((o) => o.entryPoint)
)
const ours = new Map(
	Object.entries(output.inputs)
		.filter(([p]) => owner(p) === 'our code')
		.map(([p, v]) => [p.replace(/^.*?((src|durable-objects)\/)/, '$1'), v.bytesInOutput]),
)
console.log(
	`\n### Our largest modules (minified bytes)\n\n${table(ours, ['module', 'KiB'], (v) => (v / 1024).toFixed(1))}`,
)

// 2. Startup in workerd: self time of the profile, by the code the sampled frame belongs to.
// `check startup` builds the same bundle again (esbuild is deterministic): its size must match.
const checked = runCommand(
	wrangler,
	[
		'check',
		'startup',
		'--outfile',
		join(dir, 'startup.cpuprofile'),
		'--args=--containers-rollout=none',
	],
	root,
)
const profiled = Number(/Bundle: ([\d.]+) KiB/.exec(checked)?.[1])
if (Math.abs(profiled - Buffer.byteLength(code) / 1024) > 0.1)
	throw new Error(`check startup profiled another bundle (${profiled} KiB) than the one mapped`)
const profile = JSON.parse(readFileSync(join(dir, 'startup.cpuprofile'), 'utf8'))
const nodes = new Map(profile.nodes.map((/** @type {any} */ n) => [n.id, n]))
/** @type {Map<string, number>} */
const self = new Map()
profile.samples.forEach((/** @type {number} */ id, /** @type {number} */ i) => {
	const frame = nodes.get(id).callFrame
	if (frame.functionName === '(idle)') return
	let k = frame.functionName || '(top level)'
	if (frame.lineNumber >= 0) {
		const segs = lines[frame.lineNumber] ?? []
		let lo = 0
		for (let hi = segs.length - 1; lo < hi; ) {
			const mid = (lo + hi + 1) >> 1
			if ((segs[mid]?.[0] ?? 0) <= frame.columnNumber) lo = mid
			else hi = mid - 1
		}
		const src = segs[lo]?.[1]
		k = src === undefined ? '(unmapped: bundler runtime, compiling)' : owner(map.sources[src])
	}
	self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
})
const total = [...self.values()].reduce((a, b) => a + b, 0)
console.log(
	`\n## Startup in workerd: ${total.toFixed(1)} ms CPU (one profile)\n\n${table(self, ['code', 'self ms'], (v) => v.toFixed(1))}`,
)

// 3. Each module's top-level evaluation, in Node: an unminified build where every module's
// statements are bracketed (esbuild's lazy `__esm`/`__commonJS` wrappers timed inclusive of what
// they call, the rest by segment), `cloudflare:workers` replaced by a stand-in.
runCommand(wrangler, [...deploy, '--outdir', join(dir, 'plain'), '--minify=false'], root)
writeFileSync(
	join(dir, 'cloudflare-workers.mjs'),
	'export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env } }\nexport class WorkerEntrypoint extends DurableObject {}\nexport class RpcTarget {}\nexport const tracing = {}\nexport const env = {}\nexport const waitUntil = () => {}\n',
)
let plain = readFileSync(join(dir, 'plain', 'index.js'), 'utf8')
plain = plain.replaceAll(
	'"cloudflare:workers"',
	JSON.stringify(join(dir, 'cloudflare-workers.mjs')),
)
/** Times a lazy module wrapper's first call (the module's evaluation) on the module's own account. */
const timed =
	(/** @type {string} */ names, /** @type {string} */ first) => (/** @type {string} */ m) =>
		`${m}\n  if (${first}) { __charge(); __P.stack.push(__getOwnPropNames(${names})[0]); try { return __real(); } finally { __charge(); __P.stack.pop() } }\n  return __real();\n  function __real() {`
plain = plain
	.replace(/var __esm = \(fn, res2?, err\) => function __init\(\) \{/, timed('fn', 'fn'))
	.replace(/(var __esm = [\s\S]*?\n\};)/, (m) => m.replace(/\n\};$/, '\n}};'))
	.replace(/var __commonJS = \(cb, mod\) => function __require\(\) \{/, timed('cb', '!mod'))
	.replace(/(var __commonJS = [\s\S]*?\n\};)/, (m) => m.replace(/\n\};$/, '\n}};'))
	.replace(
		/^\/\/ ((?:\.\.\/)*(?:[\w.-]+\/)*?(?:src|durable-objects|node_modules)\/\S+)$/gm,
		(m, p) => `${m}\n__seg(${JSON.stringify(p)});`,
	)
const prelude = `const __cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 };
const __P = (globalThis.__P = { stack: ['(prelude)'], last: __cpu(), acc: new Map() });
const __charge = () => { const t = __cpu(); const k = __P.stack[__P.stack.length - 1]; __P.acc.set(k, (__P.acc.get(k) ?? 0) + t - __P.last); __P.last = t };
const __seg = (n) => { __charge(); __P.stack[0] = n };
`
writeFileSync(join(dir, 'timed.mjs'), `${prelude}${plain}\n__seg('(end)');\n`)
/** @type {Map<string, number[]>} */
const evals = new Map()
for (let i = 0; i < RUNS; i++) {
	const out = execFileSync(
		process.execPath,
		[
			'--input-type=module',
			'-e',
			`await import(${JSON.stringify(join(dir, 'timed.mjs'))}); console.log(JSON.stringify([...globalThis.__P.acc]))`,
		],
		{ encoding: 'utf8' },
	)
	for (const [k, ms] of /** @type {[string, number][]} */ (JSON.parse(out))) {
		if (k === '(end)' || k === '(prelude)') continue
		const name =
			owner(k) === 'our code' ? k.replace(/^.*?((src|durable-objects)\/)/, '$1') : owner(k)
		const runs = evals.get(name) ?? Array(RUNS).fill(0)
		runs[i] += ms
		evals.set(name, runs)
	}
}
const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0
const evalMs = new Map([...evals].map(([k, xs]) => [k, median(xs)]))
const evalTotal = [...evalMs.values()].reduce((a, b) => a + b, 0)
console.log(
	`\n## Top-level evaluation in Node: ${evalTotal.toFixed(1)} ms CPU (median of ${RUNS}; parsing not included)\n\n${table(evalMs, ['module or package', 'ms'], (v) => v.toFixed(1))}`,
)
rmSync(dir, { recursive: true, force: true })
