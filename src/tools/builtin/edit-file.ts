// edit_file: exact text replacement in a file of the agent's sandbox workspace; the text must
// match once (or replaceAll), so the model cannot change a place it did not mean.
import { z } from 'zod'
import { ToolError, type ToolSpec } from '../registry'
import { byteLength, FILE_TOOL, MAX_FILE_BYTES, Path } from './workspace'

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
	...FILE_TOOL,
	sideEffect: 'write',
	// Running it twice may replace text the first run inserted.
	idempotent: false,
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
