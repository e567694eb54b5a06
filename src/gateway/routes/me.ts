// Who is calling: the principal behind the request's credential, how it authenticated, and every
// route action the policy engine allows it on the tenant's resources — so a client (the web app)
// shows only what the caller may do. The routes still decide every request on their own.
import { createRoute, z } from '@hono/zod-openapi'
import { database } from '../../db/client'
import { findKey } from '../../db/keys'
import { ROLES } from '../../security/keys'
import { PRINCIPAL_KINDS } from '../../security/subject'
import { allowedActions } from '../authz'
import type { Principal } from '../context'
import { authedErrors, bearerAuth, createRouter, json } from '../openapi'

const MeSchema = z
	.object({
		principal: z.object({
			kind: z.enum(PRINCIPAL_KINDS),
			id: z
				.string()
				.openapi({ description: 'Key id, JWT subject or `admin-token`; never a secret' }),
			role: z.enum(ROLES),
			tenantId: z.string(),
			scopes: z.array(z.string()).openapi({
				description: 'Action patterns a key is limited to; empty = what its role allows',
			}),
			expiresAt: z.number().int().optional().openapi({
				description:
					"When the credential stops being valid (epoch ms): a JWT's `exp`, a key's expiry",
			}),
		}),
		via: z.enum(['token', 'access']).openapi({
			description:
				"`access` when the credential was Cloudflare Access's JWT (`Cf-Access-Jwt-Assertion`), else `token`",
		}),
		allowed: z.array(z.string()).openapi({
			description:
				"Every route action (`sessions:send`, `keys:create`, …) the caller may perform on the tenant's resources, sorted",
		}),
	})
	.openapi('Me')

const read = createRoute({
	method: 'get',
	path: '/v1/me',
	tags: ['identity'],
	security: bearerAuth,
	summary: 'Who is calling, how it authenticated, and which actions it may perform',
	responses: { 200: json(MeSchema, 'The caller'), ...authedErrors },
})

/** A key's expiry lives on its row (read through the same cache as authentication). */
async function expiresAt(env: Env, p: Principal): Promise<number | undefined> {
	if (p.expiresAt !== undefined || p.kind !== 'api-key') return p.expiresAt
	return (await findKey(database(env.DB), p.id))?.expiresAt?.getTime()
}

export const meRoutes = createRouter().openapi(read, async (c) => {
	const p = c.get('principal')
	const [allowed, expiry] = await Promise.all([allowedActions(c.env, p), expiresAt(c.env, p)])
	return c.json(
		{
			principal: {
				kind: p.kind,
				id: p.id,
				role: p.role,
				tenantId: p.tenantId,
				scopes: [...p.scopes],
				...(expiry !== undefined && { expiresAt: expiry }),
			},
			via: c.get('credentialSource'),
			allowed,
		},
		200,
	)
})
