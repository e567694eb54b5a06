// Changes to a tenant (platform admin only; `tenants:*` is denied to everyone else): its name and
// settings, disabling and enabling it, deleting it. Each change is audited in the tenant's own
// chain, which outlives the tenant. What a change reaches and how soon: docs/operations.md.
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { database } from '../../db/client'
import type { Tenant } from '../../db/schema'
import { tenantSecretNames } from '../../db/secrets'
import { readSettings, TenantSettingsPatch } from '../../db/tenant-settings'
import {
	deleteTenant,
	getTenant,
	setTenantStatus,
	TENANT_DELETED,
	type TenantStatus,
	updateTenant,
} from '../../db/tenants'
import type { AlertWebhook } from '../../observability/alert-settings'
import { checkUrl, tenantUrlRules } from '../../security/ssrf'
import { audit } from '../audit'
import type { GatewayEnv } from '../context'
import { type FieldError, fieldProblem } from '../errors'
import { DEFAULT_TENANT } from '../middleware/auth'
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
import { TenantName, TenantParams, TenantView, view as tenantView } from './tenants'

const UpdateTenant = z
	.object({
		name: TenantName.optional(),
		/** Merged into the stored settings: a key sets its value, `null` restores its default. */
		settings: TenantSettingsPatch.optional(),
	})
	.strict()
	.refine((body) => body.name !== undefined || body.settings !== undefined, {
		message: 'name or settings is required',
	})
	.openapi('UpdateTenant')

const update = createRoute({
	method: 'patch',
	path: '/v1/tenants/{tenantId}',
	tags: ['tenants'],
	security: bearerAuth,
	summary: "Change a tenant's name or settings (settings merge: null restores a default)",
	middleware: [jsonBody({ maxBytes: 4_096 })] as const,
	request: {
		params: TenantParams,
		body: { required: true, content: { 'application/json': { schema: UpdateTenant } } },
	},
	responses: { 200: json(TenantView, 'The changed tenant'), ...authedErrors, ...notFoundResponse },
})

const statusRoute = (to: 'disable' | 'enable', summary: string) =>
	createRoute({
		method: 'post',
		path: `/v1/tenants/{tenantId}/${to}`,
		tags: ['tenants'],
		security: bearerAuth,
		summary,
		request: { params: TenantParams },
		responses: { 200: json(TenantView, 'The tenant'), ...authedErrors, ...notFoundResponse },
	})

const disable = statusRoute(
	'disable',
	'Disable a tenant: its API keys and JWTs are refused (403 tenant_disabled); its data is kept',
)
const enable = statusRoute('enable', 'Enable a disabled tenant: its credentials work again')

const remove = createRoute({
	method: 'delete',
	path: '/v1/tenants/{tenantId}',
	tags: ['tenants'],
	security: bearerAuth,
	summary:
		'Delete a tenant and its configuration; its audit log is kept and its id is never reused',
	request: { params: TenantParams },
	responses: {
		204: { description: 'Deleted' },
		...authedErrors,
		...notFoundResponse,
		...conflictResponse,
	},
})

const notFound = (id: string) => new ProblemError('not_found', `Tenant "${id}" does not exist.`)

/** Flat `{field: {from, to}}` of what differs, for the audit row (settings are not secret). */
function changes(before: Tenant, after: Tenant): Record<string, { from: unknown; to: unknown }> {
	const out: Record<string, { from: unknown; to: unknown }> = {}
	if (before.name !== after.name) out.name = { from: before.name, to: after.name }
	const [was, now] = [readSettings(before.settings), readSettings(after.settings)]
	for (const key of new Set([...Object.keys(was), ...Object.keys(now)])) {
		const from = was[key as keyof typeof was] ?? null
		const to = now[key as keyof typeof now] ?? null
		// Compared as JSON: `alerts` is an object, read afresh on each side.
		if (JSON.stringify(from) !== JSON.stringify(to)) out[`settings.${key}`] = { from, to }
	}
	return out
}

export const tenantChangeRoutes = createRouter()
	.openapi(update, async (c) => {
		const { tenantId } = c.req.valid('param')
		const db = database(c.env.DB)
		const before = await getTenant(db, tenantId)
		if (!before) throw notFound(tenantId)
		const webhook = c.req.valid('json').settings?.alerts?.webhook
		if (webhook) await checkAlertWebhook(c, tenantId, webhook)
		const after = await updateTenant(db, tenantId, c.req.valid('json'))
		if (!after) throw notFound(tenantId)
		await audit(c, {
			tenantId,
			action: 'tenant.updated',
			target: `tenant:${tenantId}`,
			outcome: 'success',
			data: { changed: changes(before, after) },
		})
		return c.json(tenantView(after), 200)
	})
	.openapi(disable, async (c) => {
		const tenant = await setStatus(c, c.req.valid('param').tenantId, 'disabled')
		return c.json(tenantView(tenant), 200)
	})
	.openapi(enable, async (c) => {
		const tenant = await setStatus(c, c.req.valid('param').tenantId, 'active')
		return c.json(tenantView(tenant), 200)
	})
	.openapi(remove, async (c) => {
		const { tenantId } = c.req.valid('param')
		if (tenantId === DEFAULT_TENANT) {
			throw new ProblemError(
				'conflict',
				`The "${DEFAULT_TENANT}" tenant is where the admin token acts without a tenant header and cannot be deleted; disable it instead.`,
			)
		}
		const db = database(c.env.DB)
		const tenant = await getTenant(db, tenantId)
		if (!tenant || !(await deleteTenant(db, tenantId))) throw notFound(tenantId)
		await audit(c, {
			tenantId,
			action: TENANT_DELETED,
			target: `tenant:${tenantId}`,
			outcome: 'success',
			data: { name: tenant.name, status: tenant.status, settings: readSettings(tenant.settings) },
		})
		return c.body(null, 204)
	})

/** An alert webhook must pass the SSRF guard and sign with a secret the tenant has. */
async function checkAlertWebhook(
	c: Context<GatewayEnv>,
	tenantId: string,
	webhook: AlertWebhook,
): Promise<void> {
	const issues: FieldError[] = []
	const checked = checkUrl(webhook.url, undefined, tenantUrlRules(c.env))
	if (!checked.ok) issues.push({ path: 'url', message: `refused: ${checked.message}` })
	if (!(await tenantSecretNames(database(c.env.DB), tenantId)).has(webhook.secret)) {
		const message = `no tenant secret ${webhook.secret}; store it with PUT /v1/secrets/${webhook.secret} first`
		issues.push({ path: 'secret', message })
	}
	const at = 'settings.alerts.webhook'
	if (issues.length > 0)
		throw fieldProblem(
			issues.map((i) => ({ ...i, path: `${at}.${i.path}` })),
			'json',
		)
}

/**
 * Disables or enables the tenant. In this isolate its cached status and keys are dropped at once,
 * so its next request is refused here; other isolates follow within their 10 s caches.
 */
async function setStatus(
	c: Context<GatewayEnv>,
	tenantId: string,
	status: TenantStatus,
): Promise<Tenant> {
	const db = database(c.env.DB)
	const before = await getTenant(db, tenantId)
	if (!before) throw notFound(tenantId)
	const after = await setTenantStatus(db, tenantId, status)
	if (!after) throw notFound(tenantId)
	// Repeating a disable or enable changes nothing and records nothing.
	if (before.status !== status) {
		await audit(c, {
			tenantId,
			action: status === 'disabled' ? 'tenant.disabled' : 'tenant.enabled',
			target: `tenant:${tenantId}`,
			outcome: 'success',
		})
	}
	return after
}
