// The fake container's `node`: workerd cannot evaluate code, so it only recognises edgeclaw's
// run_js harness and interprets the body module one line at a time, for a handful of statement
// shapes (console calls, `return`, `throw`, a timer wait). It speaks the harness's stdout
// protocol, reading the line tag from the harness itself; byte caps it leaves to the executor.
import { resolvePath } from './container-fs'
import { type Program, sleep } from './container-shell'

const CONSOLE = /^console\.(log|info|warn|error|debug)\((.*)\)$/
const RETURN = /^return(?:\s+(.+?))?(?:\s+as\s+[A-Za-z_][\w<>[\]]*)?$/
const THROW = /^throw new ([A-Za-z]*Error)\((".*")\)$/
const WAIT = /^await new Promise\(\(?(\w+)\)? => setTimeout\(\1, (\d+)\)\)$/

export const node: Program = async (args, ctx, io) => {
	const main = resolvePath(args[0] ?? '', ctx.cwd)
	const harness = ctx.fs.stat(main)?.type === 'file' ? ctx.fs.read(main) : undefined
	if (harness === undefined) {
		io[2](`node: cannot find module '${main}'\n`)
		return 1
	}
	const tag = /^const TAG = ("(?:[^"\\]|\\.)*")$/m.exec(harness)?.[1]
	const body = /import\('\.\/(body\.m[jt]s)'\)/.exec(harness)?.[1]
	if (!tag || !body || !harness.startsWith('// edgeclaw run_js harness')) {
		io[2]('fake node: only the edgeclaw run_js harness is emulated\n')
		return 70
	}
	const TAG = JSON.parse(tag) as string
	const dir = main.slice(0, main.lastIndexOf('/'))
	const source = ctx.fs.read(`${dir}/${body}`)
	const lines = source.split('\n').slice(1, -2)
	const emit = (line: string) => io[1](`${TAG}${line}\n`)

	let report: object = { ok: true, json: 'null' }
	for (const line of lines.map((l) => l.trim().replace(/;$/, ''))) {
		if (line === '') continue
		const log = CONSOLE.exec(line)
		const ret = RETURN.exec(line)
		const thrown = THROW.exec(line)
		const wait = WAIT.exec(line)
		if (log) {
			const values = JSON.parse(`[${log[2]}]`) as unknown[]
			const text = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ')
			emit(`log ${JSON.stringify({ level: log[1], text })}`)
		} else if (ret) {
			report = { ok: true, json: JSON.stringify(ret[1] === undefined ? null : JSON.parse(ret[1])) }
			break
		} else if (thrown) {
			report = { ok: false, error: { name: thrown[1], message: JSON.parse(thrown[2] as string) } }
			break
		} else if (wait) {
			await sleep(Number(wait[2]), ctx)
		} else {
			io[2](`fake node: cannot interpret \`${line}\`\n`)
			return 70
		}
	}
	ctx.fs.remove(dir, true)
	emit(`result ${JSON.stringify(report)}`)
	return 0
}
