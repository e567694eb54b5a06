// The workspace tools: a shell command and text files in the agent's sandbox container
// (/workspace). They run as tool jobs; the agent's sandbox settings bound every call.
import { z } from 'zod'
import type { ExecResult, FileEntry } from '../../sandbox/executor'
import { type AnyToolSpec, ToolError, type ToolSpec } from '../registry'

/** Largest file write_file writes and edit_file edits, in bytes. */
const MAX_FILE_BYTES = 1024 * 1024

/**
 * Backstops above the sandbox's own limits: the longest configurable exec (600 s) plus a cold
 * container start (the SDK waits up to ~150 s for one) plus margin. File calls need only the start.
 */
const EXEC_TOOL_TIMEOUT_MS = 600_000 + 150_000 + 30_000
const FILE_TOOL_TIMEOUT_MS = 150_000 + 30_000

const encoder = new TextEncoder()
const byteLength = (text: string) => encoder.encode(text).byteLength

const Path = z
	.string()
	.min(1)
	.max(4_096)
	.describe(
		'A path inside /workspace, absolute ("/workspace/src/a.ts") or relative to it ("src/a.ts").',
	)

const EnvName = z
	.string()
	.regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name')

const ExecArgs = z
	.object({
		command: z
			.string()
			.min(1)
			.max(20_000)
			.describe(
				'A bash command line, e.g. "npm test 2>&1 | tail -n 50". Each call is a fresh shell.',
			),
		cwd: Path.optional().describe('Working directory inside /workspace (default /workspace).'),
		env: z
			.record(EnvName, z.string().max(32_768))
			.refine((env) => Object.keys(env).length <= 100, 'at most 100 variables')
			.optional()
			.describe('Environment variables for this command; only names the agent allows.'),
		timeoutMs: z
			.number()
			.int()
			.min(100)
			.max(600_000)
			.optional()
			.describe("Time limit in ms; capped at the agent's sandbox timeout (its default)."),
	})
	.strict()

const ExecOutput = z.object({
	exitCode: z.number().int(),
	stdout: z.string(),
	stderr: z.string(),
	truncated: z.boolean(),
	timedOut: z.boolean(),
	durationMs: z.number().nonnegative(),
})

export const execTool: ToolSpec<z.infer<typeof ExecArgs>, ExecResult> = {
	name: 'exec',
	description:
		'Run a shell command (bash) in the sandbox container, in /workspace unless cwd says otherwise. ' +
		'Returns the exit code, stdout and stderr (each cut at the output limit: `truncated`) and whether ' +
		'the time limit killed it (`timedOut`). No state carries over between calls except files.',
	parameters: ExecArgs,
	result: ExecOutput,
	sideEffect: 'exec',
	groups: ['group:exec'],
	timeoutMs: EXEC_TOOL_TIMEOUT_MS,
	idempotent: false,
	placement: 'job',
	async execute(args, ctx) {
		const config = ctx.sandboxConfig
		const refused = Object.keys(args.env ?? {}).filter((name) => !config.envAllow.includes(name))
		if (refused.length > 0) {
			throw new ToolError(
				'invalid_args',
				`Environment variables not allowed for this agent: ${refused.join(', ')}. ` +
					(config.envAllow.length > 0
						? `Allowed: ${config.envAllow.join(', ')}.`
						: 'The agent allows none (sandbox.envAllow).'),
			)
		}
		return ctx.sandbox('shell').exec({
			command: args.command,
			cwd: args.cwd,
			env: args.env,
			timeoutMs: Math.min(args.timeoutMs ?? config.timeoutMs, config.timeoutMs),
			maxOutputBytes: config.maxOutputBytes,
			signal: ctx.signal,
		})
	},
}

const ReadArgs = z
	.object({
		path: Path,
		maxBytes: z
			.number()
			.int()
			.min(1)
			.max(MAX_FILE_BYTES)
			.optional()
			.describe("Read at most this many bytes (default and cap: the agent's output limit)."),
	})
	.strict()

const ReadOutput = z.object({
	path: z.string(),
	content: z.string(),
	size: z.number().int().nonnegative(),
	truncated: z.boolean(),
})

export const readFileTool: ToolSpec<z.infer<typeof ReadArgs>, z.infer<typeof ReadOutput>> = {
	name: 'read_file',
	description:
		'Read a text file from the sandbox workspace. Returns its content (cut at maxBytes: `truncated`) ' +
		'and its full size in bytes.',
	parameters: ReadArgs,
	result: ReadOutput,
	sideEffect: 'read',
	groups: ['group:fs'],
	timeoutMs: FILE_TOOL_TIMEOUT_MS,
	idempotent: true,
	placement: 'job',
	async execute(args, ctx) {
		const limit = ctx.sandboxConfig.maxOutputBytes
		const file = await ctx.sandbox('shell').readFile(args.path, {
			maxBytes: Math.min(args.maxBytes ?? limit, limit),
			signal: ctx.signal,
		})
		return { path: args.path, ...file }
	},
}

const WriteArgs = z
	.object({
		path: Path,
		content: z
			.string()
			.max(MAX_FILE_BYTES)
			.refine((text) => byteLength(text) <= MAX_FILE_BYTES, 'must be at most 1 MiB of UTF-8')
			.describe('The whole new content of the file (UTF-8 text, at most 1 MiB).'),
	})
	.strict()

const WriteOutput = z.object({ path: z.string(), bytes: z.number().int().nonnegative() })

export const writeFileTool: ToolSpec<z.infer<typeof WriteArgs>, z.infer<typeof WriteOutput>> = {
	name: 'write_file',
	description:
		'Create or overwrite a text file in the sandbox workspace with the given content; missing ' +
		'parent directories are created. To change part of a file, use edit_file.',
	parameters: WriteArgs,
	result: WriteOutput,
	sideEffect: 'write',
	groups: ['group:fs'],
	timeoutMs: FILE_TOOL_TIMEOUT_MS,
	idempotent: true,
	placement: 'job',
	async execute(args, ctx) {
		const written = await ctx
			.sandbox('shell')
			.writeFile(args.path, args.content, { signal: ctx.signal })
		return { path: args.path, ...written }
	},
}

const EditArgs = z
	.object({
		path: Path,
		oldText: z
			.string()
			.min(1)
			.max(MAX_FILE_BYTES)
			.describe('The exact text to replace, whitespace and indentation included.'),
		newText: z.string().max(MAX_FILE_BYTES).describe('The text that replaces it.'),
		replaceAll: z
			.boolean()
			.optional()
			.describe('Replace every occurrence; without it oldText must occur exactly once.'),
	})
	.strict()

const EditOutput = z.object({
	path: z.string(),
	replacements: z.number().int().positive(),
	bytes: z.number().int().nonnegative(),
})

export const editFileTool: ToolSpec<z.infer<typeof EditArgs>, z.infer<typeof EditOutput>> = {
	name: 'edit_file',
	description:
		'Replace exact text in a text file of the sandbox workspace. oldText must match the file exactly ' +
		'and, unless replaceAll is true, occur exactly once; add surrounding lines to make it unique.',
	parameters: EditArgs,
	result: EditOutput,
	sideEffect: 'write',
	groups: ['group:fs'],
	timeoutMs: FILE_TOOL_TIMEOUT_MS,
	// Running it twice may replace text the first run inserted.
	idempotent: false,
	placement: 'job',
	async execute(args, ctx) {
		const sandbox = ctx.sandbox('shell')
		const file = await sandbox.readFile(args.path, { maxBytes: MAX_FILE_BYTES, signal: ctx.signal })
		if (file.truncated) {
			throw new ToolError(
				'file_too_large',
				`${args.path} is ${file.size} bytes; edit_file edits files up to 1 MiB (use exec for larger ones).`,
			)
		}
		const pieces = file.content.split(args.oldText)
		const count = pieces.length - 1
		if (count === 0) {
			throw new ToolError(
				'no_match',
				`oldText does not occur in ${args.path}. Read the file again and copy the exact text, whitespace included.`,
			)
		}
		if (count > 1 && !args.replaceAll) {
			throw new ToolError(
				'ambiguous_match',
				`oldText occurs ${count} times in ${args.path}. Include more surrounding text to make it unique, or set replaceAll.`,
			)
		}
		// split/join, not String.replace: `$&` and friends in newText stay literal.
		const content = pieces.join(args.newText)
		if (byteLength(content) > MAX_FILE_BYTES) {
			throw new ToolError('file_too_large', `The edited ${args.path} would exceed 1 MiB.`)
		}
		const written = await sandbox.writeFile(args.path, content, { signal: ctx.signal })
		return { path: args.path, replacements: count, bytes: written.bytes }
	},
}

const ListArgs = z
	.object({
		path: Path.default('.'),
		recursive: z
			.boolean()
			.optional()
			.describe('Include everything below, not only direct entries.'),
		limit: z
			.number()
			.int()
			.min(1)
			.max(10_000)
			.optional()
			.describe('At most this many entries (default 1000).'),
	})
	.strict()

const ListOutput = z.object({
	path: z.string(),
	entries: z.array(
		z.object({
			path: z.string(),
			type: z.enum(['file', 'directory', 'symlink', 'other']),
			size: z.number().nonnegative(),
		}),
	),
	truncated: z.boolean(),
})

export const listFilesTool: ToolSpec<
	z.infer<typeof ListArgs>,
	{ path: string; entries: FileEntry[]; truncated: boolean }
> = {
	name: 'list_files',
	description:
		'List a directory of the sandbox workspace (default /workspace): absolute paths, types and sizes, ' +
		'sorted by path; `truncated` when there were more than limit entries.',
	parameters: ListArgs,
	result: ListOutput,
	sideEffect: 'read',
	groups: ['group:fs'],
	timeoutMs: FILE_TOOL_TIMEOUT_MS,
	idempotent: true,
	placement: 'job',
	async execute(args, ctx) {
		const listing = await ctx.sandbox('shell').listFiles(args.path, {
			recursive: args.recursive ?? false,
			limit: args.limit ?? 1_000,
			signal: ctx.signal,
		})
		return { path: args.path, ...listing }
	},
}

export const WORKSPACE_TOOLS: readonly AnyToolSpec[] = [
	execTool,
	readFileTool,
	writeFileTool,
	editFileTool,
	listFilesTool,
]
