// read_file: a text file of the agent's sandbox workspace, cut at the agent's output limit.
import { z } from 'zod'
import type { ToolSpec } from '../registry'
import { FILE_TOOL, MAX_FILE_BYTES, Path } from './workspace'

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
	...FILE_TOOL,
	sideEffect: 'read',
	idempotent: true,
	async execute(args, ctx) {
		const limit = ctx.sandboxConfig.maxOutputBytes
		const file = await ctx.sandbox('shell').readFile(args.path, {
			maxBytes: Math.min(args.maxBytes ?? limit, limit),
			signal: ctx.signal,
		})
		return { path: args.path, ...file }
	},
}
