// Agents of the caller's tenant (read-only here; the agents API adds create/update/delete).
import { createRoute, z } from '@hono/zod-openapi'
import { type Agent, getAgent, listAgents } from '../../agents/catalog'
import { AgentConfig, Slug } from '../../agents/config'
import { database } from '../../db/client'
import { getTenant } from '../../db/tenants'
import { authedErrors, bearerAuth, createRouter, json, notFoundResponse } from '../openapi'
import { ProblemError } from '../problem'

const AgentView = z
	.object({
		id: z.string(),
		tenantId: z.string(),
		name: z.string(),
		version: z.number().int(),
		config: AgentConfig,
		createdAt: z.string(),
		updatedAt: z.string(),
	})
	.openapi('Agent')

const AgentParams = z.object({ agentId: Slug })

const view = (a: Agent): z.infer<typeof AgentView> => ({
	id: a.id,
	tenantId: a.tenantId,
	name: a.name,
	version: a.version,
	config: a.config,
	createdAt: a.createdAt.toISOString(),
	updatedAt: a.updatedAt.toISOString(),
})

const list = createRoute({
	method: 'get',
	path: '/v1/agents',
	tags: ['agents'],
	security: bearerAuth,
	summary: "List the tenant's agents",
	responses: {
		200: json(z.object({ agents: z.array(AgentView) }), 'Agents'),
		...authedErrors,
		...notFoundResponse,
	},
})

const read = createRoute({
	method: 'get',
	path: '/v1/agents/{agentId}',
	tags: ['agents'],
	security: bearerAuth,
	summary: 'Read an agent',
	request: { params: AgentParams },
	responses: { 200: json(AgentView, 'Agent'), ...authedErrors, ...notFoundResponse },
})

export const agentRoutes = createRouter()
	.openapi(list, async (c) => {
		const { tenantId } = c.get('principal')
		const db = database(c.env.DB)
		const agents = await listAgents(db, tenantId)
		// An empty list is ambiguous; tell a missing tenant apart from one without agents.
		if (agents.length === 0 && !(await getTenant(db, tenantId))) {
			throw new ProblemError('not_found', `Tenant "${tenantId}" does not exist.`)
		}
		return c.json({ agents: agents.map(view) }, 200)
	})
	.openapi(read, async (c) => {
		const { tenantId } = c.get('principal')
		const { agentId } = c.req.valid('param')
		const agent = await getAgent(database(c.env.DB), tenantId, agentId)
		if (!agent) throw new ProblemError('not_found', `Agent "${agentId}" does not exist.`)
		return c.json(view(agent), 200)
	})
