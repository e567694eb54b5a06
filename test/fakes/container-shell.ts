// The fake container's `bash -c`: a deliberately tiny interpreter, enough for tests to observe
// what a command received (cwd, env, arguments) and how it ended (output, exit code, timeout).
// It is a test double, not a shell: anything outside its subset fails loudly (exit 2 or 127).
import { type FakeFs, FsError, resolvePath } from './container-fs'

export interface ShellContext {
	fs: FakeFs
	env: Record<string, string>
	cwd: string
	/** Epoch ms at which the container kills the command (its exec timeout). */
	deadline?: number
	/** Programs beyond the built-in ones (the machine adds `node`). */
	programs?: Record<string, Program>
}

export interface ShellResult {
	exitCode: number
	stdout: string
	stderr: string
	timedOut: boolean
}

/** Thrown when the deadline passes; the machine turns it into the container's timeout answer. */
class Deadline extends Error {}
class Exit extends Error {
	constructor(readonly code: number) {
		super(`exit ${code}`)
	}
}
class Unsupported extends Error {}

type Segment = { lit: string } | { var: string }
type Word = Segment[]
type Redirect = { fd: 1 | 2; append: boolean; file?: Word; dup?: 1 | 2 }
interface Command {
	connector: ';' | '&&' | '||'
	words: Word[]
	redirects: Redirect[]
}

/** Runs `script` as `bash -c script` would, within the fake's subset. */
export async function runShell(script: string, ctx: ShellContext): Promise<ShellResult> {
	const out = { stdout: '', stderr: '' }
	const io: Io = { 1: (text) => (out.stdout += text), 2: (text) => (out.stderr += text) }
	try {
		const exitCode = await runScript(script, { ...ctx, env: { ...ctx.env } }, io)
		return { exitCode, ...out, timedOut: false }
	} catch (error) {
		if (error instanceof Deadline) return { exitCode: 124, ...out, timedOut: true }
		throw error
	}
}

type Io = Record<1 | 2, (text: string) => void>

async function runScript(script: string, ctx: ShellContext, io: Io): Promise<number> {
	let commands: Command[]
	try {
		commands = parse(script)
	} catch (error) {
		if (!(error instanceof Unsupported)) throw error
		io[2](`fake-shell: unsupported syntax: ${error.message}\n`)
		return 2
	}
	let status = 0
	try {
		for (const command of commands) {
			if (command.connector === '&&' && status !== 0) continue
			if (command.connector === '||' && status === 0) continue
			checkDeadline(ctx)
			const expand = (word: Word) =>
				word
					.map((s) =>
						'lit' in s ? s.lit : s.var === '?' ? String(status) : (ctx.env[s.var] ?? ''),
					)
					.join('')
			const fds = redirect(command.redirects, expand, ctx, io)
			status = fds ? await runCommand(command.words.map(expand), ctx, fds) : 1
		}
	} catch (error) {
		if (error instanceof Exit) return error.code
		throw error
	}
	return status
}

/** The command's stdout and stderr after its redirections, or undefined when a file fails. */
function redirect(
	redirects: Redirect[],
	expand: (word: Word) => string,
	ctx: ShellContext,
	io: Io,
): Io | undefined {
	const fds: Io = { ...io }
	for (const { fd, dup, file, append } of redirects) {
		if (dup) fds[fd] = fds[dup]
		else if (file) {
			const path = resolvePath(expand(file), ctx.cwd)
			try {
				ctx.fs.write(path, '', append)
			} catch (error) {
				io[2](`bash: ${expand(file)}: ${describe(error)}\n`)
				return undefined
			}
			fds[fd] = (text) => ctx.fs.write(path, text, true)
		}
	}
	return fds
}

function checkDeadline(ctx: ShellContext): void {
	if (ctx.deadline !== undefined && Date.now() >= ctx.deadline) throw new Deadline()
}

/** Waits `ms`, or until the deadline, whichever comes first. */
export async function sleep(ms: number, ctx: ShellContext): Promise<void> {
	const until = Date.now() + ms
	const stop = ctx.deadline === undefined ? until : Math.min(until, ctx.deadline)
	await new Promise((resolve) => setTimeout(resolve, Math.max(0, stop - Date.now())))
	checkDeadline(ctx)
}

/** A command the shell can run. */
export type Program = (args: string[], ctx: ShellContext, io: Io) => Promise<number> | number

export const programs: Record<string, Program> = {
	true: () => 0,
	false: () => 1,
	echo(args, _ctx, io) {
		const newline = args[0] !== '-n'
		io[1](`${(newline ? args : args.slice(1)).join(' ')}${newline ? '\n' : ''}`)
		return 0
	},
	pwd(_args, ctx, io) {
		io[1](`${ctx.cwd}\n`)
		return 0
	},
	cd(args, ctx, io) {
		const path = resolvePath(args[0] ?? ctx.env.HOME ?? '/', ctx.cwd)
		if (ctx.fs.stat(path)?.type !== 'dir') {
			io[2](`bash: cd: ${args[0]}: No such file or directory\n`)
			return 1
		}
		ctx.cwd = path
		return 0
	},
	env(_args, ctx, io) {
		for (const [name, value] of Object.entries(ctx.env).sort()) io[1](`${name}=${value}\n`)
		return 0
	},
	printenv(args, ctx, io) {
		const value = args[0] === undefined ? undefined : ctx.env[args[0]]
		if (value === undefined) return 1
		io[1](`${value}\n`)
		return 0
	},
	export(args, ctx) {
		for (const arg of args) {
			const eq = arg.indexOf('=')
			if (eq > 0) ctx.env[arg.slice(0, eq)] = arg.slice(eq + 1)
		}
		return 0
	},
	exit(args) {
		throw new Exit(Number(args[0] ?? 0) & 0xff)
	},
	async sleep(args, ctx) {
		await sleep(Number(args[0] ?? 0) * 1000, ctx)
		return 0
	},
	cat(args, ctx, io) {
		let status = 0
		for (const arg of args) {
			try {
				io[1](ctx.fs.read(resolvePath(arg, ctx.cwd)))
			} catch (error) {
				io[2](`cat: ${arg}: ${describe(error)}\n`)
				status = 1
			}
		}
		return status
	},
	ls(args, ctx, io) {
		const all = args.includes('-a')
		const paths = args.filter((arg) => !arg.startsWith('-'))
		let status = 0
		for (const arg of paths.length > 0 ? paths : ['.']) {
			const path = resolvePath(arg, ctx.cwd)
			try {
				const names =
					ctx.fs.stat(path)?.type === 'file'
						? [arg]
						: ctx.fs.list(path, false).map((child) => child.slice(child.lastIndexOf('/') + 1))
				for (const name of names) if (all || !name.startsWith('.')) io[1](`${name}\n`)
			} catch (error) {
				io[2](`ls: cannot access '${arg}': ${describe(error)}\n`)
				status = 2
			}
		}
		return status
	},
	mkdir(args, ctx, io) {
		const recursive = args.includes('-p')
		for (const arg of args.filter((a) => !a.startsWith('-'))) {
			try {
				ctx.fs.mkdir(resolvePath(arg, ctx.cwd), recursive)
			} catch (error) {
				io[2](`mkdir: cannot create directory '${arg}': ${describe(error)}\n`)
				return 1
			}
		}
		return 0
	},
	rm(args, ctx, io) {
		const flags = args.filter((a) => a.startsWith('-') && a !== '--').join('')
		for (const arg of args.filter((a) => !a.startsWith('-'))) {
			try {
				ctx.fs.remove(resolvePath(arg, ctx.cwd), flags.includes('r'))
			} catch (error) {
				if (!flags.includes('f')) {
					io[2](`rm: cannot remove '${arg}': ${describe(error)}\n`)
					return 1
				}
			}
		}
		return 0
	},
	bash: subshell,
	sh: subshell,
}

/** `bash -c script`: a child process, so its cd, export and exit stay inside it. */
async function subshell(args: string[], ctx: ShellContext, io: Io): Promise<number> {
	if (args[0] !== '-c' || args[1] === undefined) {
		io[2]('fake-shell: only `bash -c SCRIPT` is supported\n')
		return 2
	}
	return runScript(args[1], { ...ctx, env: { ...ctx.env } }, io)
}

async function runCommand(argv: string[], ctx: ShellContext, io: Io): Promise<number> {
	const [name, ...args] = argv
	if (name === undefined) return 0
	const program = ctx.programs?.[name] ?? programs[name]
	if (!program) {
		io[2](`bash: ${name}: command not found\n`)
		return 127
	}
	try {
		return await program(args, ctx, io)
	} catch (error) {
		if (!(error instanceof FsError)) throw error
		io[2](`${name}: ${describe(error)}\n`)
		return 1
	}
}

function describe(error: unknown): string {
	if (!(error instanceof FsError)) throw error
	return {
		ENOENT: 'No such file or directory',
		EISDIR: 'Is a directory',
		ENOTDIR: 'Not a directory',
		EEXIST: 'File exists',
		ENOTEMPTY: 'Directory not empty',
	}[error.errno]
}

/** Splits a script into commands joined by `;`, newlines, `&&` and `||`, with redirections. */
function parse(script: string): Command[] {
	const commands: Command[] = []
	let command: Command = { connector: ';', words: [], redirects: [] }
	let word: Word = []
	let inWord = false
	let pending: Redirect | undefined
	let i = 0
	const endWord = () => {
		if (!inWord) return
		if (pending) {
			pending.file = word
			command.redirects.push(pending)
			pending = undefined
		} else command.words.push(word)
		word = []
		inWord = false
	}
	const endCommand = (next: Command['connector']) => {
		endWord()
		if (pending) throw new Unsupported('redirection without a target')
		if (command.words.length > 0 || command.redirects.length > 0) commands.push(command)
		else if (next !== ';') throw new Unsupported(`"${next}" without a command`)
		command = { connector: next, words: [], redirects: [] }
	}
	const lit = (text: string) => {
		word.push({ lit: text })
		inWord = true
	}
	const variable = (): void => {
		const rest = script.slice(i + 1)
		const braced = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(rest)
		const plain = /^([A-Za-z_][A-Za-z0-9_]*|\?)/.exec(rest)
		if (rest.startsWith('(')) throw new Unsupported('$(...)')
		const match = braced ?? plain
		if (!match?.[1]) {
			lit('$')
			i++
			return
		}
		word.push({ var: match[1] })
		inWord = true
		i += 1 + match[0].length
	}
	while (i < script.length) {
		const c = script[i] as string
		const two = script.slice(i, i + 2)
		if (c === ' ' || c === '\t') {
			endWord()
			i++
		} else if (c === '\n' || c === ';') {
			endCommand(';')
			i++
		} else if (two === '&&' || two === '||') {
			endCommand(two)
			i += 2
		} else if (c === '#' && !inWord) {
			while (i < script.length && script[i] !== '\n') i++
		} else if (c === '>') {
			// A lone unquoted 1 or 2 right before `>` names the descriptor (`2>`, `1>&2`).
			const only = word.length === 1 ? word[0] : undefined
			const fd =
				only && 'lit' in only && /^[12]$/.test(only.lit) ? (Number(only.lit) as 1 | 2) : undefined
			const redirect: Redirect = { fd: fd ?? 1, append: false }
			if (fd) {
				word = []
				inWord = false
			} else endWord()
			i++
			if (script[i] === '>') {
				redirect.append = true
				i++
			}
			const dup = /^&([12])/.exec(script.slice(i))
			if (dup) {
				redirect.dup = Number(dup[1]) as 1 | 2
				command.redirects.push(redirect)
				i += 2
			} else pending = redirect
		} else if ('|&<()`'.includes(c)) {
			throw new Unsupported(c)
		} else if (c === "'") {
			const end = script.indexOf("'", i + 1)
			if (end < 0) throw new Unsupported('unterminated quote')
			lit(script.slice(i + 1, end))
			i = end + 1
		} else if (c === '"') {
			lit('')
			i++
			while (script[i] !== '"') {
				if (i >= script.length) throw new Unsupported('unterminated quote')
				const q = script[i] as string
				if (q === '\\' && '"\\$`'.includes(script[i + 1] ?? '')) {
					lit(script[i + 1] as string)
					i += 2
				} else if (q === '$') variable()
				else if (q === '`') throw new Unsupported('`')
				else {
					lit(q)
					i++
				}
			}
			i++
		} else if (c === '\\') {
			if (script[i + 1] !== '\n') lit(script[i + 1] ?? '')
			i += 2
		} else if (c === '$') {
			variable()
		} else {
			lit(c)
			i++
		}
	}
	endCommand(';')
	return commands
}
