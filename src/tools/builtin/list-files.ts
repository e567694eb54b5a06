// list_files: a directory of the agent's sandbox workspace, optionally recursive, capped.
import { z } from 'zod'
import type { FileEntry } from '../../sandbox/executor'
import type { ToolSpec } from '../registry'
import { FILE_TOOL, Path } from './workspace'

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
	...FILE_TOOL,
	sideEffect: 'read',
	idempotent: true,
	async execute(args, ctx) {
		const listing = await ctx.sandbox('shell').listFiles(args.path, {
			recursive: args.recursive ?? false,
			limit: args.limit ?? 1_000,
			signal: ctx.signal,
		})
		return { path: args.path, ...listing }
	},
}
