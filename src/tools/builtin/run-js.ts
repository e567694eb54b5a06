// run_js: the model runs JavaScript or TypeScript in its agent's sandbox (a fresh Worker Loader
// isolate, or the container when the agent chose it) and gets back the result and the console.
import { z } from 'zod'
import type { ToolSpec } from '../registry'

/** Above the longest sandbox timeout an agent can configure (600 s), so the sandbox times out first. */
const BACKSTOP_MS = 600_000 + 30_000

const RunJsArgs = z
	.object({
		code: z
			.string()
			.min(1)
			.max(100_000)
			.describe('The body of an async function: use `return` for the result; `await` works.'),
		language: z.enum(['javascript', 'typescript']).default('javascript'),
		timeoutMs: z
			.number()
			.int()
			.positive()
			.optional()
			.describe("Wall-clock limit in milliseconds; never more than the agent's sandbox limit."),
	})
	.strict()
type RunJsArgs = z.output<typeof RunJsArgs>

export const RunJsResult = z.object({
	ok: z.boolean(),
	/** The returned value as JSON data (undefined → null); when cut, the start of its JSON text. */
	result: z.unknown(),
	error: z.object({ name: z.string(), message: z.string() }).optional(),
	logs: z.array(
		z.object({ level: z.enum(['log', 'info', 'warn', 'error', 'debug']), text: z.string() }),
	),
	truncated: z.boolean(),
	durationMs: z.number().nonnegative(),
})
export type RunJsResult = z.infer<typeof RunJsResult>

export const runJs: ToolSpec<RunJsArgs, RunJsResult> = {
	name: 'run_js',
	description: [
		'Run JavaScript (or TypeScript, types are stripped) in a sandbox and get its result.',
		'The code is the body of an async function: `return` a value to get it back as JSON (undefined becomes null, values JSON cannot hold become descriptive strings); top-level `await` works; import/export statements and import() do not.',
		'console.log/info/warn/error/debug output is captured and returned as `logs`.',
		'There is no network (fetch fails) and no filesystem; each call starts fresh, nothing persists between calls.',
		'The run stops with a TimeoutError after the time limit; output (result plus logs) is cut at a size limit and then `truncated` is true.',
		'A thrown error comes back as ok:false with its name and message.',
	].join(' '),
	parameters: RunJsArgs,
	result: RunJsResult,
	sideEffect: 'exec',
	groups: ['group:exec'],
	timeoutMs: BACKSTOP_MS,
	// In the container backend the code can change files: running it twice is not the same.
	idempotent: false,
	placement: 'job',
	needs: 'js',
	async execute({ code, language, timeoutMs }, ctx) {
		const limits = ctx.sandboxConfig
		const run = await ctx.sandbox('js').runJs({
			code,
			language,
			timeoutMs: Math.min(timeoutMs ?? limits.timeoutMs, limits.timeoutMs),
			maxOutputBytes: limits.maxOutputBytes,
			signal: ctx.signal,
		})
		return {
			ok: run.ok,
			result: run.result ?? null,
			...(run.error && { error: { name: run.error.name, message: run.error.message } }),
			logs: run.logs,
			truncated: run.truncated,
			durationMs: run.durationMs,
		}
	},
}
