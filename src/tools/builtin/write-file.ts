// write_file: creates or overwrites a text file of the agent's sandbox workspace (parents
// created); partial changes are edit_file's.
import { z } from 'zod'
import type { ToolSpec } from '../registry'
import { byteLength, FILE_TOOL, MAX_FILE_BYTES, Path } from './workspace'

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
	...FILE_TOOL,
	sideEffect: 'write',
	idempotent: true,
	async execute(args, ctx) {
		const written = await ctx
			.sandbox('shell')
			.writeFile(args.path, args.content, { signal: ctx.signal })
		return { path: args.path, ...written }
	},
}
