// The tenant's own policies: evaluated with the built-in ones (tenant isolation, roles) — deny
// wins, default deny — so they can narrow what roles may do (or open more within the tenant),
// never cross a tenant. Writes are audited and reach the engine of every isolate within 10 s.
import { createRoute, z } from '@hono/zod-openapi'
import { database } from '../../db/client'
import { deletePolicy, insertPolicy, listPolicies, type PolicyRow } from '../../db/policies'
import { OPERATORS } from '../../security/policy'
import { audit } from '../audit'
import { jsonBody } from '../middleware/body'
import {
	authedErrors,
	bearerAuth,
	conflictResponse,
	createRouter,
	json,
	notFoundResponse,
} from '../openapi'
import { ProblemError } from '../problem'

const Pattern = z.string().min(1).max(200)
const PolicyId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lowercase slug')

const PolicyBody = z
	.object({
		id: PolicyId,
		description: z.string().max(500).default(''),
		effect: z.enum(['allow', 'deny']),
		resources: z.array(Pattern).min(1).max(50),
		actions: z.array(Pattern).min(1).max(50),
		conditions: z
			.array(
				z
					.object({
						key: z.string().regex(/^(subject|resource|context|action)(\.[A-Za-z0-9_]+)*$/),
						operator: z.enum(OPERATORS),
						value: z.union([
							z.string().max(500),
							z.number(),
							z.boolean(),
							z.array(z.union([z.string().max(500), z.number()])).max(100),
							z.object({ ref: z.string().max(100) }).strict(),
						]),
					})
					.strict(),
			)
			.max(20)
			.default([]),
		priority: z.number().int().min(-1_000).max(999).default(0),
		enabled: z.boolean().default(true),
	})
	.strict()
	.openapi('Policy')

const view = (p: PolicyRow) => ({
	id: p.id,
	description: p.description,
	effect: p.effect,
	resources: p.resources as string[],
	actions: p.actions as string[],
	conditions: p.conditions as z.infer<typeof PolicyBody>['conditions'],
	priority: p.priority,
	enabled: p.enabled,
})

const list = createRoute({
	method: 'get',
	path: '/v1/policies',
	tags: ['policies'],
	security: bearerAuth,
	summary: "The tenant's policies",
	responses: {
		200: json(z.object({ policies: z.array(PolicyBody) }), 'Policies'),
		...authedErrors,
	},
})

const create = createRoute({
	method: 'post',
	path: '/v1/policies',
	tags: ['policies'],
	security: bearerAuth,
	summary: 'Add a policy (ids are unique per tenant)',
	middleware: [jsonBody({ maxBytes: 32_768 })] as const,
	request: { body: { required: true, content: { 'application/json': { schema: PolicyBody } } } },
	responses: { 201: json(PolicyBody, 'Created'), ...authedErrors, ...conflictResponse },
})

const remove = createRoute({
	method: 'delete',
	path: '/v1/policies/{policyId}',
	tags: ['policies'],
	security: bearerAuth,
	summary: 'Delete a policy',
	request: { params: z.object({ policyId: PolicyId }) },
	responses: { 204: { description: 'Deleted' }, ...authedErrors, ...notFoundResponse },
})

export const policyRoutes = createRouter()
	.openapi(list, async (c) => {
		const rows = await listPolicies(database(c.env.DB), c.get('principal').tenantId)
		return c.json({ policies: rows.map(view) }, 200)
	})
	.openapi(create, async (c) => {
		const { tenantId } = c.get('principal')
		const body = c.req.valid('json')
		const row = await insertPolicy(database(c.env.DB), { tenantId, ...body })
		if (!row) throw new ProblemError('conflict', `Policy "${body.id}" already exists.`)
		await audit(c, {
			action: 'policy.created',
			target: `policy:${body.id}`,
			outcome: 'success',
			data: { effect: body.effect, actions: body.actions, resources: body.resources },
		})
		return c.json(view(row), 201)
	})
	.openapi(remove, async (c) => {
		const { tenantId } = c.get('principal')
		const { policyId } = c.req.valid('param')
		if (!(await deletePolicy(database(c.env.DB), tenantId, policyId))) {
			throw new ProblemError('not_found', `Policy "${policyId}" does not exist.`)
		}
		await audit(c, { action: 'policy.deleted', target: `policy:${policyId}`, outcome: 'success' })
		return c.body(null, 204)
	})
