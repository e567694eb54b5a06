// memory_write, memory_search, memory_get, memory_forget (OpenClaw's names): the agent's memory
// across sessions, through the memory capability the host binds to the run's tenant, agent and
// user (src/automation/memory/access.ts). Lane tools: a D1 query needs no sandbox and no queue.
import { z } from 'zod'
import type { MemoryAccess } from '../../automation/memory/access'
import {
	type Memory,
	MemoryError,
	MemoryInput,
	type MemoryInput as MemoryInputType,
} from '../../automation/memory/model'
import { type ToolContext, ToolError, type ToolSpec } from '../registry'

const GROUP = ['group:memory'] as const
const MemoryId = z.string().trim().min(1).max(64)

function memoryOf(ctx: ToolContext): MemoryAccess {
	if (!ctx.memory) throw new ToolError('memory_unavailable', 'Memory is not available here.')
	return ctx.memory
}

/** The refusals of the memory service as tool errors; anything else fails the call as usual. */
async function refused<T>(work: () => Promise<T>): Promise<T> {
	try {
		return await work()
	} catch (error) {
		if (error instanceof MemoryError) throw new ToolError(error.code, error.message)
		throw error
	}
}

const view = (m: Memory) => ({
	id: m.id,
	text: m.text,
	tags: m.tags,
	pinned: m.pinned,
	scope: m.scope,
	updatedAt: new Date(m.updatedAt).toISOString(),
})

export const memoryWrite: ToolSpec<MemoryInputType & { id?: string | undefined }> = {
	name: 'memory_write',
	description:
		'Remember a fact, preference or decision across sessions. `pinned: true` keeps it in your instructions from the next turn on (use sparingly). Give `id` to replace an existing memory instead of adding one.',
	parameters: MemoryInput.extend({ id: MemoryId.optional() }),
	sideEffect: 'write',
	groups: GROUP,
	timeoutMs: 10_000,
	idempotent: false,
	placement: 'lane',
	async execute(args, ctx) {
		const memory = await refused(() => memoryOf(ctx).write(args))
		return { ...view(memory), written: args.id === undefined ? 'added' : 'replaced' }
	},
}

export const memorySearch: ToolSpec<{ query: string; limit: number }> = {
	name: 'memory_search',
	description:
		'Search your memory by words (and by meaning where semantic search is set up). The answer says which `mode` answered.',
	parameters: z
		.object({
			query: z.string().trim().min(1).max(500),
			limit: z.number().int().min(1).max(20).default(5),
		})
		.strict(),
	sideEffect: 'read',
	groups: GROUP,
	timeoutMs: 10_000,
	idempotent: true,
	placement: 'lane',
	async execute({ query, limit }, ctx) {
		const answer = await memoryOf(ctx).search(query, limit)
		return {
			mode: answer.mode,
			results: answer.results.map((m) => ({ ...view(m), score: m.score })),
		}
	},
}

export const memoryGet: ToolSpec<{ id: string }> = {
	name: 'memory_get',
	description: 'Read one memory by its id.',
	parameters: z.object({ id: MemoryId }).strict(),
	sideEffect: 'read',
	groups: GROUP,
	timeoutMs: 5_000,
	idempotent: true,
	placement: 'lane',
	async execute({ id }, ctx) {
		const memory = await memoryOf(ctx).get(id)
		if (!memory) throw new ToolError('memory_not_found', `No memory "${id}".`)
		return view(memory)
	},
}

export const memoryForget: ToolSpec<{ id: string }> = {
	name: 'memory_forget',
	description: 'Forget (delete) one memory by its id.',
	parameters: z.object({ id: MemoryId }).strict(),
	sideEffect: 'write',
	groups: GROUP,
	timeoutMs: 10_000,
	idempotent: true,
	placement: 'lane',
	async execute({ id }, ctx) {
		if (!(await memoryOf(ctx).forget(id))) {
			throw new ToolError('memory_not_found', `No memory "${id}" to forget.`)
		}
		return { id, forgotten: true }
	},
}

export const MEMORY_TOOLS = [memoryWrite, memorySearch, memoryGet, memoryForget] as const
