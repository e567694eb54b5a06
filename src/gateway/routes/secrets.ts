// The tenant's secrets (provider keys, MCP and channel credentials): write-only. PUT stores a value
// sealed under the deployment's data key, GET lists names and timestamps, DELETE removes one; no
// route ever returns a value. Every change is audited by name. The platform admin re-seals every
// row under the current key after a key rotation (POST /v1/admin/secrets/rotate).
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { database } from '../../db/client'
import { forgetTenantSecret } from '../../db/credentials'
import { isForeignKeyViolation } from '../../db/errors'
import {
	deleteTenantSecret,
	getTenantSecretInfo,
	listTenantSecrets,
	MAX_SECRETS_PER_TENANT,
	putSealedSecret,
	resealSecret,
	rowsNotUnderKey,
	type TenantSecretInfo,
	tenantSecretNames,
} from '../../db/secrets'
import { getTenant } from '../../db/tenants'
import { PLATFORM_CHAIN } from '../../security/audit'
import { keyRing } from '../../security/credentials'
import {
	decryptSecret,
	encryptSecret,
	isReservedName,
	MAX_SECRET_BYTES,
	RESERVED_PREFIX,
	SECRET_NAME_PATTERN,
	type SecretsKey,
} from '../../security/secrets'
import { actorOf } from '../../security/subject'
import { audit } from '../audit'
import type { GatewayEnv } from '../context'
import { jsonBody } from '../middleware/body'
import {
	authedErrors,
	bearerAuth,
	conflictResponse,
	createRouter,
	json,
	notFoundResponse,
	ProblemSchema,
} from '../openapi'
import { PROBLEM_CONTENT_TYPE, ProblemError } from '../problem'

const SecretName = z
	.string()
	.regex(SECRET_NAME_PATTERN, 'must be 1-128 chars of A-Z, 0-9 and "_", starting with a letter')
	.refine((name) => !isReservedName(name), `names starting with ${RESERVED_PREFIX} are reserved`)
	.openapi({ param: { name: 'name', in: 'path' }, example: 'ANTHROPIC_API_KEY' })

const SecretParams = z.object({ name: SecretName })

const SecretValue = z
	.object({
		value: z
			.string()
			.min(1, 'must not be empty')
			.refine(
				(v) => new TextEncoder().encode(v).length <= MAX_SECRET_BYTES,
				`must be at most ${MAX_SECRET_BYTES} bytes`,
			),
	})
	.strict()
	.openapi('SecretValue')

const SecretView = z
	.object({
		name: z.string(),
		keyId: z.string().describe('Id of the data key the value is sealed under'),
		createdAt: z.string(),
		updatedAt: z.string(),
		updatedBy: z.string(),
	})
	.openapi('Secret')

const view = (s: TenantSecretInfo): z.infer<typeof SecretView> => ({
	name: s.name,
	keyId: s.keyId,
	createdAt: s.createdAt.toISOString(),
	updatedAt: s.updatedAt.toISOString(),
	updatedBy: s.updatedBy,
})

const unavailable = {
	503: {
		description: 'No usable EDGECLAW_SECRETS_KEY (secrets_unavailable)',
		content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
	},
} as const

const list = createRoute({
	method: 'get',
	path: '/v1/secrets',
	tags: ['secrets'],
	security: bearerAuth,
	summary: "The tenant's secrets: names and timestamps, never values",
	responses: {
		200: json(z.object({ secrets: z.array(SecretView) }), 'Secrets'),
		...authedErrors,
		...notFoundResponse,
	},
})

const put = createRoute({
	method: 'put',
	path: '/v1/secrets/{name}',
	tags: ['secrets'],
	security: bearerAuth,
	summary: 'Store a secret (201 created, 200 replaced); the value is never returned',
	// Room for an 8 KiB value written with JSON escapes; the value itself is checked in bytes.
	middleware: [jsonBody({ maxBytes: 65_536 })] as const,
	request: {
		params: SecretParams,
		body: { required: true, content: { 'application/json': { schema: SecretValue } } },
	},
	responses: {
		200: json(SecretView, 'Replaced'),
		201: json(SecretView, 'Created'),
		...authedErrors,
		...notFoundResponse,
		...conflictResponse,
		...unavailable,
	},
})

const remove = createRoute({
	method: 'delete',
	path: '/v1/secrets/{name}',
	tags: ['secrets'],
	security: bearerAuth,
	summary: 'Delete a secret (agents that name it fail to call until it is stored again)',
	request: { params: SecretParams },
	responses: { 204: { description: 'Deleted' }, ...authedErrors, ...notFoundResponse },
})

const rotate = createRoute({
	method: 'post',
	path: '/v1/admin/secrets/rotate',
	tags: ['secrets'],
	security: bearerAuth,
	summary:
		'Re-seal up to 200 secrets (every tenant) not under the current EDGECLAW_SECRETS_KEY; repeat while `more`',
	responses: {
		200: json(
			z
				.object({
					keyId: z.string(),
					rotated: z.number().int(),
					failed: z.array(z.object({ tenantId: z.string(), name: z.string(), reason: z.string() })),
					more: z.boolean(),
				})
				.openapi('SecretsRotation'),
			'Rotation step',
		),
		...authedErrors,
		...unavailable,
	},
})

/** The key new values are sealed under; 503 when the deployment has none. */
async function currentKey(
	c: Context<GatewayEnv>,
): Promise<{ current: SecretsKey; all: SecretsKey[] }> {
	const ring = await keyRing(c.env)
	if (typeof ring.current === 'string') {
		throw new ProblemError(
			'secrets_unavailable',
			ring.current === 'unset'
				? 'This deployment has no EDGECLAW_SECRETS_KEY, so it cannot store tenant secrets; the platform admin must set one (32 random bytes, base64).'
				: "This deployment's EDGECLAW_SECRETS_KEY is not 32 bytes of base64; the platform admin must fix it.",
		)
	}
	return { current: ring.current, all: ring.all }
}

async function requireTenant(c: Context<GatewayEnv>, tenantId: string): Promise<void> {
	if (!(await getTenant(database(c.env.DB), tenantId))) {
		throw new ProblemError('not_found', `Tenant "${tenantId}" does not exist.`)
	}
}

/** Rows re-sealed per rotation request: well inside one invocation's D1 budget. */
const ROTATION_BATCH = 200

export const secretRoutes = createRouter()
	.openapi(list, async (c) => {
		const { tenantId } = c.get('principal')
		const rows = await listTenantSecrets(database(c.env.DB), tenantId)
		if (rows.length === 0) await requireTenant(c, tenantId)
		return c.json({ secrets: rows.map(view) }, 200)
	})
	.openapi(put, async (c) => {
		const principal = c.get('principal')
		const { tenantId } = principal
		const { name } = c.req.valid('param')
		const { value } = c.req.valid('json')
		const { current } = await currentKey(c)
		await requireTenant(c, tenantId)
		const db = database(c.env.DB)
		const names = await tenantSecretNames(db, tenantId)
		if (!names.has(name) && names.size >= MAX_SECRETS_PER_TENANT) {
			throw new ProblemError(
				'conflict',
				`The tenant already has ${MAX_SECRETS_PER_TENANT} secrets; delete one first.`,
			)
		}
		const sealed = await encryptSecret(current, { tenantId, name }, value)
		const outcome = await putSealedSecret(db, { tenantId, name }, sealed, actorOf(principal)).catch(
			(error: unknown) => {
				// The tenant was deleted between the check above and the write.
				if (isForeignKeyViolation(error)) {
					throw new ProblemError('not_found', `Tenant "${tenantId}" does not exist.`)
				}
				throw error
			},
		)
		forgetTenantSecret(tenantId, name)
		await audit(c, {
			action: outcome === 'created' ? 'secret.created' : 'secret.replaced',
			target: `secret:${name}`,
			outcome: 'success',
			data: { name, keyId: current.id },
		})
		const row = await getTenantSecretInfo(db, tenantId, name)
		if (!row) throw new ProblemError('conflict', `Secret ${name} was deleted while it was stored.`)
		if (outcome === 'created') {
			c.header('location', `/v1/secrets/${name}`)
			return c.json(view(row), 201)
		}
		return c.json(view(row), 200)
	})
	.openapi(remove, async (c) => {
		const { tenantId } = c.get('principal')
		const { name } = c.req.valid('param')
		const deleted = await deleteTenantSecret(database(c.env.DB), tenantId, name)
		forgetTenantSecret(tenantId, name)
		if (!deleted) throw new ProblemError('not_found', `Secret ${name} does not exist.`)
		await audit(c, {
			action: 'secret.deleted',
			target: `secret:${name}`,
			outcome: 'success',
			data: { name },
		})
		return c.body(null, 204)
	})
	.openapi(rotate, async (c) => {
		const { current, all } = await currentKey(c)
		const db = database(c.env.DB)
		let rotated = 0
		const failed: { tenantId: string; name: string; reason: string }[] = []
		let after: { tenantId: string; name: string } | undefined
		let more = false
		// Rows that cannot be opened stay as they are (and are named); the cursor moves past them.
		for (let seen = 0; seen < ROTATION_BATCH; ) {
			const page = await rowsNotUnderKey(db, current.id, Math.min(50, ROTATION_BATCH - seen), after)
			if (page.length === 0) break
			for (const row of page) {
				seen++
				const slot = { tenantId: row.tenantId, name: row.name }
				after = slot
				const opened = await decryptSecret(all, slot, row)
				if (!opened.ok) {
					failed.push({ ...slot, reason: opened.reason })
					continue
				}
				const sealed = await encryptSecret(current, slot, opened.value)
				if (await resealSecret(db, slot, row.keyId, sealed)) rotated++
				forgetTenantSecret(row.tenantId, row.name)
			}
			if (seen >= ROTATION_BATCH) {
				more = (await rowsNotUnderKey(db, current.id, 1, after)).length > 0
			}
		}
		await audit(c, {
			tenantId: PLATFORM_CHAIN,
			action: 'secrets.rotated',
			target: 'secrets:*',
			outcome: failed.length > 0 ? 'failure' : 'success',
			data: { keyId: current.id, rotated, failed: failed.length, more },
		})
		return c.json({ keyId: current.id, rotated, failed, more }, 200)
	})
