// An agent's memory over HTTP: list (newest first, or searched with `q`), read, add and forget
// memories, the agent's shared ones and each user's. The same service as the memory tools
// (src/automation/memory/); writes are audited without their text, like other config writes.
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { Slug } from '../../agents/config'
import { getAgent } from '../../agents/store'
import { memoryChanged } from '../../automation/memory/access'
import { MEMORY_LIMITS, type Memory, MemoryError, MemoryInput } from '../../automation/memory/model'
import { MemoryService } from '../../automation/memory/service'
import { database } from '../../db/client'
import { actorOf } from '../../security/subject'
import { audit, waitUntil } from '../audit'
import type { GatewayEnv } from '../context'
import { decodeCursor, encodeCursor } from '../cursor'
import { jsonBody } from '../middleware/body'
import { authedErrors, bearerAuth, createRouter, json, notFoundResponse, problem } from '../openapi'
import { ProblemError } from '../problem'

/** A memory user as the audit log names an actor: `channel:telegram:42`, `jwt:alice`, `key:…`. */
const MemoryUser = z
	.string()
	.min(1)
	.max(300)
	.regex(
		/^(admin-token|anonymous|[a-z-]+:\S+)$/,
		'must be an actor like "channel:telegram:42", "jwt:alice" or "key:<id>"',
	)

const MemoryView = z
	.object({
		id: z.string(),
		text: z.string(),
		tags: z.array(z.string()),
		pinned: z.boolean(),
		scope: z.enum(['agent', 'user']),
		user: z.string().nullable().openapi({ description: 'The user a `user` memory belongs to' }),
		createdBy: z.string(),
		sourceSession: z.string().nullable(),
		sourceRun: z.string().nullable(),
		createdAt: z.string(),
		updatedAt: z.string(),
		score: z.number().optional().openapi({ description: 'Search results only; higher is better' }),
	})
	.openapi('Memory')

const CreateMemory = MemoryInput.extend({
	user: MemoryUser.optional().openapi({
		description: "Whose memory: absent = the agent's shared memory",
	}),
}).openapi('CreateMemory')

const AgentParams = z.object({ agentId: Slug })
const MemoryParams = AgentParams.extend({ memoryId: z.string().min(1).max(64) })

const ListQuery = z
	.object({
		q: z.string().trim().min(1).max(MEMORY_LIMITS.queryChars).optional().openapi({
			description: 'Search instead of listing: best matches first, no cursor',
		}),
		scope: z.enum(['agent', 'user']).optional().openapi({
			description: '`agent`: only the shared memories; `user`: only those of `user`',
		}),
		user: MemoryUser.optional(),
		cursor: z.string().max(200).optional(),
		limit: z.coerce.number().int().min(1).max(MEMORY_LIMITS.maxResults).default(20),
	})
	.refine((q) => q.scope !== 'user' || q.user !== undefined, {
		path: ['user'],
		message: 'scope "user" needs a user',
	})
	.refine((q) => q.scope !== 'agent' || q.user === undefined, {
		path: ['user'],
		message: 'scope "agent" takes no user',
	})

const iso = (ms: number) => new Date(ms).toISOString()
const view = (m: Memory & { score?: number }): z.infer<typeof MemoryView> => ({
	...m,
	createdAt: iso(m.createdAt),
	updatedAt: iso(m.updatedAt),
})

const list = createRoute({
	method: 'get',
	path: '/v1/agents/{agentId}/memory',
	tags: ['memory'],
	security: bearerAuth,
	summary: "The agent's memories, newest first, or the best matches of `q`",
	request: { params: AgentParams, query: ListQuery },
	responses: {
		200: json(
			z.object({
				memories: z.array(MemoryView),
				nextCursor: z.string().nullable(),
				mode: z
					.enum(['fulltext', 'semantic', 'hybrid'])
					.optional()
					.openapi({ description: 'Which index answered a search (with `q`)' }),
			}),
			'Memories',
		),
		...authedErrors,
		...notFoundResponse,
	},
})

const read = createRoute({
	method: 'get',
	path: '/v1/agents/{agentId}/memory/{memoryId}',
	tags: ['memory'],
	security: bearerAuth,
	summary: 'One memory of the agent',
	request: { params: MemoryParams },
	responses: { 200: json(MemoryView, 'The memory'), ...authedErrors, ...notFoundResponse },
})

const create = createRoute({
	method: 'post',
	path: '/v1/agents/{agentId}/memory',
	tags: ['memory'],
	security: bearerAuth,
	summary:
		"Add a memory (the agent's shared memory or a user's); pinned ones go into the system prompt",
	middleware: [jsonBody({ maxBytes: 32_768 })] as const,
	request: {
		params: AgentParams,
		body: { required: true, content: { 'application/json': { schema: CreateMemory } } },
	},
	responses: {
		201: json(MemoryView, 'Created'),
		...authedErrors,
		...notFoundResponse,
		409: problem(`The agent already holds ${MEMORY_LIMITS.perAgent} memories (memory_full)`),
	},
})

const remove = createRoute({
	method: 'delete',
	path: '/v1/agents/{agentId}/memory/{memoryId}',
	tags: ['memory'],
	security: bearerAuth,
	summary: 'Forget one memory',
	request: { params: MemoryParams },
	responses: { 204: { description: 'Forgotten' }, ...authedErrors, ...notFoundResponse },
})

const service = (c: Context<GatewayEnv>) =>
	new MemoryService(c.env, { logger: c.get('logger'), waitUntil: (p) => waitUntil(c, p) })

/** The agent must exist in the caller's tenant (a foreign tenant's is simply not found). */
async function agentOf(c: Context<GatewayEnv>, agentId: string) {
	const { tenantId } = c.get('principal')
	if (!(await getAgent(database(c.env.DB), tenantId, agentId))) {
		throw new ProblemError('not_found', `Agent "${agentId}" does not exist.`)
	}
	return { tenantId, agentId }
}

export const memoryRoutes = createRouter()
	.openapi(list, async (c) => {
		const agent = await agentOf(c, c.req.valid('param').agentId)
		const { q, scope, user, cursor, limit } = c.req.valid('query')
		const users = scope === 'agent' ? [''] : user !== undefined ? [user] : null
		const memory = service(c)
		if (q !== undefined) {
			const answer = await memory.search({ ...agent, users }, q, limit)
			return c.json(
				{ memories: answer.results.map(view), nextCursor: null, mode: answer.mode },
				200,
			)
		}
		const before =
			cursor === undefined ? undefined : (decodeCursor(cursor, ['number'])[0] as number)
		const page = await memory.list({ ...agent, users }, { limit, before })
		return c.json(
			{
				memories: page.memories.map(view),
				nextCursor: page.next === null ? null : encodeCursor([page.next]),
			},
			200,
		)
	})
	.openapi(read, async (c) => {
		const { agentId, memoryId } = c.req.valid('param')
		const agent = await agentOf(c, agentId)
		const memory = await service(c).get({ ...agent, users: null }, memoryId)
		if (!memory) throw new ProblemError('not_found', `No memory "${memoryId}".`)
		return c.json(view(memory), 200)
	})
	.openapi(create, async (c) => {
		const agent = await agentOf(c, c.req.valid('param').agentId)
		const { user, ...input } = c.req.valid('json')
		const principal = c.get('principal')
		let memory: Memory
		try {
			memory = await service(c).write(
				{ ...agent, user: user ?? '' },
				{ ...input, createdBy: actorOf(principal) },
			)
		} catch (error) {
			if (error instanceof MemoryError && error.code === 'memory_full') {
				throw new ProblemError('memory_full', error.message)
			}
			throw error
		}
		memoryChanged(agent)
		await audit(c, {
			action: 'memory.created',
			target: `agent:${agent.agentId}/memory:${memory.id}`,
			outcome: 'success',
			data: { pinned: memory.pinned, scope: memory.scope, chars: memory.text.length },
		})
		return c.json(view(memory), 201)
	})
	.openapi(remove, async (c) => {
		const { agentId, memoryId } = c.req.valid('param')
		const agent = await agentOf(c, agentId)
		if (!(await service(c).forget({ ...agent, users: null }, memoryId))) {
			throw new ProblemError('not_found', `No memory "${memoryId}".`)
		}
		memoryChanged(agent)
		await audit(c, {
			action: 'memory.deleted',
			target: `agent:${agent.agentId}/memory:${memoryId}`,
			outcome: 'success',
		})
		return c.body(null, 204)
	})
