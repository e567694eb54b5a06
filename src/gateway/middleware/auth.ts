// Authentication for /v1: default deny. Today the only credential is the bootstrap admin token
// (EDGECLAW_ADMIN_TOKEN); API keys and JWTs join here. The tenant a request acts in comes from
// `x-edgeclaw-tenant` (default "default").
import type { MiddlewareHandler } from 'hono'
import { Slug } from '../../agents/config'
import { bearerToken, secretsEqual } from '../../security/tokens'
import type { GatewayEnv } from '../context'
import { ProblemError } from '../problem'

export const TENANT_HEADER = 'x-edgeclaw-tenant'
export const DEFAULT_TENANT = 'default'

const challenge = { 'www-authenticate': 'Bearer realm="edgeclaw"' }

export const authenticate = (): MiddlewareHandler<GatewayEnv> =>
	async function authenticate(c, next) {
		const token = bearerToken(c.req.header('authorization'))
		const expected = c.env.EDGECLAW_ADMIN_TOKEN ?? ''
		const logger = c.get('logger')
		if (token === undefined) {
			throw new ProblemError(
				'unauthorized',
				'Send credentials as "Authorization: Bearer <token>".',
				{
					headers: challenge,
				},
			)
		}
		if (!(await secretsEqual(token, expected))) {
			logger.warn('auth.failed', { reason: expected ? 'token_mismatch' : 'admin_token_unset' })
			throw new ProblemError('unauthorized', 'The credentials are not valid.', {
				headers: challenge,
			})
		}
		const tenant = c.req.header(TENANT_HEADER) ?? DEFAULT_TENANT
		const parsed = Slug.safeParse(tenant)
		if (!parsed.success) {
			throw new ProblemError('bad_request', `The ${TENANT_HEADER} header is not a valid tenant id.`)
		}
		c.set('principal', { kind: 'admin-token', role: 'admin', tenantId: parsed.data })
		c.set('logger', logger.child({ tenant: parsed.data }))
		await next()
	}
