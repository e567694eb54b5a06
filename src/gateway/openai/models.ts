// GET /v1/models and /v1/models/{model} (OpenAI-compatible): the tenant's agents, each listed as
// the model `edgeclaw/<agentId>`. The SDK sends that id percent-encoded (`edgeclaw%2Fmain`); the
// unencoded two-segment form, as curl users write it, is served too.
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { type Agent, getAgent, listAgents } from '../../agents/store'
import { database } from '../../db/client'
import { getTenant } from '../../db/tenants'
import { authorizeRule } from '../authz'
import type { GatewayEnv } from '../context'
import { bearerAuth, createRouter, json } from '../openapi'
import { ProblemError } from '../problem'
import { modelNotFound } from './errors'
import { agentIdOf, MODEL_OWNER, modelIdOf } from './names'
import { type Model, ModelList, Model as ModelSchema, openAIErrors } from './schemas'

/** Enough for any tenant's agents in one page (OpenAI's list is not paginated either). */
const MAX_MODELS = 1_000

const modelOf = (agent: Agent): Model => ({
	id: modelIdOf(agent.id),
	object: 'model',
	created: Math.floor(agent.createdAt.getTime() / 1000),
	owned_by: MODEL_OWNER,
})

const unknownModel = (model: string) =>
	modelNotFound(`The model "${model.slice(0, 256)}" does not exist.`)

const list = createRoute({
	method: 'get',
	path: '/v1/models',
	tags: ['openai'],
	security: bearerAuth,
	summary: "List the tenant's agents as models (OpenAI-compatible)",
	responses: { 200: json(ModelList, 'Models'), ...openAIErrors },
})

const ModelParam = z.string().min(1).max(300).openapi({ example: 'edgeclaw/main' })

const read = createRoute({
	method: 'get',
	path: '/v1/models/{model}',
	tags: ['openai'],
	security: bearerAuth,
	summary: 'Read one model (OpenAI-compatible): `edgeclaw%2F<agentId>` or `<agentId>`',
	request: { params: z.object({ model: ModelParam }) },
	responses: { 200: json(ModelSchema, 'Model'), ...openAIErrors },
})

const readQualified = createRoute({
	method: 'get',
	path: '/v1/models/{owner}/{model}',
	tags: ['openai'],
	security: bearerAuth,
	summary: 'Read one model by its unencoded id: `/v1/models/edgeclaw/<agentId>`',
	request: { params: z.object({ owner: z.string().max(64), model: ModelParam }) },
	responses: { 200: json(ModelSchema, 'Model'), ...openAIErrors },
})

async function readModel(c: Context<GatewayEnv>, model: string): Promise<Model> {
	const agentId = agentIdOf(model)
	if (!agentId) throw unknownModel(model)
	// The route's rule saw no agent id (the path holds a model id); a policy on the agent applies.
	await authorizeRule(
		c,
		{ action: 'agents:read', resource: 'agent', param: 'agentId' },
		{ agentId },
	)
	const agent = await getAgent(database(c.env.DB), c.get('principal').tenantId, agentId)
	if (!agent) throw unknownModel(model)
	return modelOf(agent)
}

export const modelRoutes = createRouter()
	.openapi(list, async (c) => {
		const { tenantId } = c.get('principal')
		const db = database(c.env.DB)
		const agents = await listAgents(db, tenantId, MAX_MODELS)
		if (agents.length === 0 && !(await getTenant(db, tenantId))) {
			throw new ProblemError('not_found', `Tenant "${tenantId}" does not exist.`)
		}
		return c.json({ object: 'list' as const, data: agents.map(modelOf) }, 200)
	})
	.openapi(read, async (c) => c.json(await readModel(c, c.req.valid('param').model), 200))
	.openapi(readQualified, async (c) => {
		const { owner, model } = c.req.valid('param')
		return c.json(await readModel(c, `${owner}/${model}`), 200)
	})
