// API keys of the caller's tenant: list, create (the secret is returned once, only its hash is
// stored), revoke, rotate. Every change is audited; revocation reaches all isolates within 10 s.
// A caller only creates or rotates keys within its own role and scopes (src/security/key-grants.ts).
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { database } from '../../db/client'
import { forgetKey, getKey, insertKey, type KeyRow, listKeys, revokeKey } from '../../db/keys'
import { getTenant } from '../../db/tenants'
import { checkGrant, type Grant, type Grantor } from '../../security/key-grants'
import { generateKey, hashSecret, ROLES } from '../../security/keys'
import { audit } from '../audit'
import type { GatewayEnv } from '../context'
import { jsonBody } from '../middleware/body'
import {
	authedErrors,
	bearerAuth,
	createRouter,
	json,
	notFoundResponse,
	ProblemSchema,
} from '../openapi'
import { PROBLEM_CONTENT_TYPE, ProblemError } from '../problem'

const Scope = z
	.string()
	.regex(/^(\*|[a-z*]+:[a-z*]+)$/, 'must be an action pattern like "sessions:*" or "agents:read"')

const KeyView = z
	.object({
		id: z.string(),
		tenantId: z.string(),
		name: z.string(),
		role: z.enum(ROLES),
		scopes: z.array(z.string()),
		expiresAt: z.string().nullable(),
		revokedAt: z.string().nullable(),
		lastUsedAt: z.string().nullable(),
		createdAt: z.string(),
	})
	.openapi('ApiKey')

const CreateKey = z
	.object({
		name: z.string().trim().min(1).max(100),
		role: z.enum(ROLES),
		scopes: z.array(Scope).max(50).default([]),
		expiresInDays: z.number().int().min(1).max(3650).optional(),
	})
	.strict()
	.openapi('CreateApiKey')

const KeyParams = z.object({ keyId: z.string().regex(/^[0-9a-f]{16}$/, 'is not a key id') })

const iso = (d: Date | null) => (d ? d.toISOString() : null)
const view = (k: KeyRow): z.infer<typeof KeyView> => ({
	id: k.id,
	tenantId: k.tenantId,
	name: k.name,
	role: k.role,
	scopes: (k.scopes as string[]) ?? [],
	expiresAt: iso(k.expiresAt),
	revokedAt: iso(k.revokedAt),
	lastUsedAt: iso(k.lastUsedAt),
	createdAt: k.createdAt.toISOString(),
})

const Created = z
	.object({
		key: KeyView,
		secret: z.string().describe('The whole key, `ek_<id>_<secret>`. Shown once; store it now.'),
	})
	.openapi('CreatedApiKey')

/** Create and rotate also refuse a key beyond the caller's own role or scopes. */
const escalationResponse = {
	403: {
		description:
			"Not allowed (forbidden), or the key would exceed the caller's role or scopes (privilege_escalation)",
		content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
	},
} as const

const list = createRoute({
	method: 'get',
	path: '/v1/keys',
	tags: ['keys'],
	security: bearerAuth,
	summary: "The tenant's API keys (never their secrets)",
	responses: { 200: json(z.object({ keys: z.array(KeyView) }), 'Keys'), ...authedErrors },
})

const create = createRoute({
	method: 'post',
	path: '/v1/keys',
	tags: ['keys'],
	security: bearerAuth,
	summary: 'Create an API key; the answer carries its secret, once',
	middleware: [jsonBody({ maxBytes: 4_096 })] as const,
	request: { body: { required: true, content: { 'application/json': { schema: CreateKey } } } },
	responses: {
		201: json(Created, 'Created'),
		...authedErrors,
		...escalationResponse,
		...notFoundResponse,
	},
})

const revoke = createRoute({
	method: 'delete',
	path: '/v1/keys/{keyId}',
	tags: ['keys'],
	security: bearerAuth,
	summary: "Revoke an API key (one whose role is at most the caller's)",
	request: { params: KeyParams },
	responses: {
		204: { description: 'Revoked' },
		...authedErrors,
		...escalationResponse,
		...notFoundResponse,
	},
})

const rotate = createRoute({
	method: 'post',
	path: '/v1/keys/{keyId}/rotate',
	tags: ['keys'],
	security: bearerAuth,
	summary:
		'Replace a key by a new one with the same name, role, scopes and lifetime; the old one is revoked',
	request: { params: KeyParams },
	responses: {
		201: json(Created, 'The new key'),
		...authedErrors,
		...escalationResponse,
		...notFoundResponse,
	},
})

/**
 * Refuses (403 privilege_escalation, audited) a key the caller could not hold itself: a higher
 * role, or — for a scoped caller — no scopes or a scope none of its own covers.
 */
async function assertWithinCaller(
	c: Context<GatewayEnv>,
	action: 'key.created' | 'key.rotated' | 'key.revoked',
	grant: Grant,
	target?: string,
	by: Grantor = c.get('principal'),
): Promise<void> {
	const check = checkGrant(by, grant)
	if (check.ok) return
	const exceeded =
		check.reason === 'role'
			? { exceeded: 'role', role: check.role, ceiling: check.ceiling }
			: {
					exceeded: 'scopes',
					scopes: check.reason === 'scopes' ? check.uncovered : [],
					ceiling: [...check.ceiling],
				}
	await audit(
		c,
		{
			action,
			outcome: 'deny',
			...(target !== undefined && { target }),
			data: { ...exceeded, wanted: { role: grant.role, scopes: [...grant.scopes] } },
		},
		{ wait: false },
	)
	const detail =
		check.reason === 'role'
			? `A ${check.ceiling} cannot create a key with role "${check.role}".`
			: check.reason === 'unscoped'
				? `A scoped key cannot create an unscoped key (which may do everything its role allows); name scopes within ${JSON.stringify(check.ceiling)}.`
				: `Scopes ${JSON.stringify(check.uncovered)} are not within the caller's scopes ${JSON.stringify(check.ceiling)}.`
	throw new ProblemError('privilege_escalation', detail, { extensions: exceeded })
}

async function mint(
	env: Env,
	tenantId: string,
	input: { name: string; role: KeyRow['role']; scopes: string[]; expiresAt: Date | null },
) {
	const fresh = generateKey()
	const row = await insertKey(database(env.DB), {
		id: fresh.id,
		tenantId,
		name: input.name,
		secretHash: await hashSecret(fresh.secret, env.EDGECLAW_KEY_PEPPER),
		role: input.role,
		scopes: input.scopes,
		expiresAt: input.expiresAt,
	})
	return { key: view(row), secret: fresh.token }
}

export const keyRoutes = createRouter()
	.openapi(list, async (c) => {
		const rows = await listKeys(database(c.env.DB), c.get('principal').tenantId)
		return c.json({ keys: rows.map(view) }, 200)
	})
	.openapi(create, async (c) => {
		const { tenantId } = c.get('principal')
		const body = c.req.valid('json')
		await assertWithinCaller(c, 'key.created', body)
		if (!(await getTenant(database(c.env.DB), tenantId))) {
			throw new ProblemError('not_found', `Tenant "${tenantId}" does not exist.`)
		}
		const expiresAt = body.expiresInDays
			? new Date(Date.now() + body.expiresInDays * 86_400_000)
			: null
		const created = await mint(c.env, tenantId, { ...body, expiresAt })
		await audit(c, {
			action: 'key.created',
			target: `key:${created.key.id}`,
			outcome: 'success',
			data: { role: body.role, scopes: body.scopes, expiresAt: created.key.expiresAt },
		})
		c.header('cache-control', 'no-store')
		return c.json(created, 201)
	})
	.openapi(revoke, async (c) => {
		const principal = c.get('principal')
		const { tenantId } = principal
		const { keyId } = c.req.valid('param')
		const db = database(c.env.DB)
		const target = await getKey(db, tenantId, keyId)
		// Revoking is not escalation, but a key may not switch off a key above its own role (a
		// tenant policy that grants keys:revoke to operators does not make admins revocable by them).
		if (target && !target.revokedAt) {
			await assertWithinCaller(
				c,
				'key.revoked',
				{ role: target.role, scopes: [] },
				`key:${keyId}`,
				{ ...principal, scopes: [] },
			)
		}
		if (!(await revokeKey(db, tenantId, keyId))) {
			throw new ProblemError('not_found', `No live key "${keyId}".`)
		}
		await audit(c, { action: 'key.revoked', target: `key:${keyId}`, outcome: 'success' })
		return c.body(null, 204)
	})
	.openapi(rotate, async (c) => {
		const { tenantId } = c.get('principal')
		const { keyId } = c.req.valid('param')
		const db = database(c.env.DB)
		const old = await getKey(db, tenantId, keyId)
		if (!old || old.revokedAt) throw new ProblemError('not_found', `No live key "${keyId}".`)
		const scopes = (old.scopes as string[]) ?? []
		await assertWithinCaller(c, 'key.rotated', { role: old.role, scopes }, `key:${keyId}`)
		const lifetime =
			old.expiresAt === null
				? null
				: new Date(Date.now() + (old.expiresAt.getTime() - old.createdAt.getTime()))
		const created = await mint(c.env, tenantId, {
			name: old.name,
			role: old.role,
			scopes,
			expiresAt: lifetime,
		})
		await revokeKey(db, tenantId, keyId)
		forgetKey(keyId)
		await audit(c, {
			action: 'key.rotated',
			target: `key:${keyId}`,
			outcome: 'success',
			data: { replacedBy: created.key.id },
		})
		c.header('cache-control', 'no-store')
		return c.json(created, 201)
	})
