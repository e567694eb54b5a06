// Tenants (bootstrap admin only): list, create, read. Changes, disable and delete: tenant-changes.ts.
import { createRoute, z } from '@hono/zod-openapi'
import { Slug } from '../../agents/config'
import { database } from '../../db/client'
import type { Tenant } from '../../db/schema'
import { readSettings, TenantSettings } from '../../db/tenant-settings'
import { createTenant, getTenant, listTenants, wasDeleted } from '../../db/tenants'
import { PLATFORM_CHAIN } from '../../security/audit'
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

export const TenantView = z
	.object({
		id: z.string(),
		name: z.string(),
		/** `disabled`: every credential of the tenant is refused (403 tenant_disabled). */
		status: z.enum(['active', 'disabled']),
		/** What is set; a missing key has its default (docs/configuration.md). */
		settings: TenantSettings,
		createdAt: z.string(),
		updatedAt: z.string(),
	})
	.openapi('Tenant')

export const TenantName = z.string().trim().min(1).max(200)

const CreateTenant = z
	.object({
		id: Slug,
		name: TenantName,
	})
	.strict()
	.openapi('CreateTenant')

export const TenantParams = z.object({ tenantId: Slug })

/** A tenant as the API shows it. */
export const view = (t: Tenant): z.infer<typeof TenantView> => ({
	id: t.id,
	name: t.name,
	status: t.status,
	settings: readSettings(t.settings),
	createdAt: t.createdAt.toISOString(),
	updatedAt: t.updatedAt.toISOString(),
})

const list = createRoute({
	method: 'get',
	path: '/v1/tenants',
	tags: ['tenants'],
	security: bearerAuth,
	summary: 'List tenants',
	responses: { 200: json(z.object({ tenants: z.array(TenantView) }), 'Tenants'), ...authedErrors },
})

const create = createRoute({
	method: 'post',
	path: '/v1/tenants',
	tags: ['tenants'],
	security: bearerAuth,
	summary: 'Create a tenant',
	middleware: [jsonBody({ maxBytes: 4_096 })] as const,
	request: { body: { required: true, content: { 'application/json': { schema: CreateTenant } } } },
	responses: { 201: json(TenantView, 'Created'), ...authedErrors, ...conflictResponse },
})

const read = createRoute({
	method: 'get',
	path: '/v1/tenants/{tenantId}',
	tags: ['tenants'],
	security: bearerAuth,
	summary: 'Read a tenant',
	request: { params: TenantParams },
	responses: { 200: json(TenantView, 'Tenant'), ...authedErrors, ...notFoundResponse },
})

export const tenantRoutes = createRouter()
	.openapi(list, async (c) => {
		const tenants = await listTenants(database(c.env.DB))
		return c.json({ tenants: tenants.map(view) }, 200)
	})
	.openapi(create, async (c) => {
		const input = c.req.valid('json')
		if (await wasDeleted(database(c.env.DB), input.id)) {
			throw new ProblemError(
				'conflict',
				`Tenant id "${input.id}" belonged to a deleted tenant; its audit log and session objects keep the name, so choose another id.`,
			)
		}
		const created = await createTenant(database(c.env.DB), input)
		if (!created) throw new ProblemError('conflict', `Tenant "${input.id}" already exists.`)
		c.get('logger').info('tenant.created', { tenantId: created.id })
		// In the new tenant's chain (its first row) and in the platform's, which lists every tenant.
		const event = {
			action: 'tenant.created',
			target: `tenant:${created.id}`,
			outcome: 'success',
			data: { name: created.name },
		} as const
		await Promise.all([
			audit(c, { ...event, tenantId: created.id }),
			audit(c, { ...event, tenantId: PLATFORM_CHAIN }),
		])
		return c.json(view(created), 201)
	})
	.openapi(read, async (c) => {
		const { tenantId } = c.req.valid('param')
		const tenant = await getTenant(database(c.env.DB), tenantId)
		if (!tenant) throw new ProblemError('not_found', `Tenant "${tenantId}" does not exist.`)
		return c.json(view(tenant), 200)
	})
