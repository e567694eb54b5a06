// exec: a shell command (bash) in the agent's sandbox container, as a tool job; the agent's
// sandbox settings bound its time, output and environment.
import { z } from 'zod'
import type { ExecResult } from '../../sandbox/executor'
import { ToolError, type ToolSpec } from '../registry'
import { FILE_TOOL_TIMEOUT_MS, Path } from './workspace'

/**
 * The longest configurable command (600 s) plus what a file call allows for a cold container
 * start: the sandbox's own limit always fires first.
 */
const EXEC_TOOL_TIMEOUT_MS = 600_000 + FILE_TOOL_TIMEOUT_MS

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
	needs: 'shell',
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
