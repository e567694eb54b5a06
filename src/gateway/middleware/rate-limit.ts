// Request rate limits with the Workers Rate Limiting bindings (counters per Cloudflare location):
// per client IP before authentication, per API key / JWT subject and per tenant after it (the
// bootstrap admin token is exempt from the last two). A tenant's `settings.rateLimitTier` (low,
// standard, high) picks its tenant counter. Over a
// limit → 429 with Retry-After (the bindings count per 60 s window). Failed authentication has its
// own strict limit (see auth.ts). Requests without `cf-connecting-ip` (only possible off
// Cloudflare, e.g. in tests) skip the IP limit.
import type { MiddlewareHandler } from 'hono'
import { database } from '../../db/client'
import { tenantLimits } from '../../db/tenants'
import type { GatewayEnv } from '../context'
import { ProblemError } from '../problem'
import { clientIp } from './auth'

/** The bindings count per 60 s window. */
export const RATE_WINDOW_SECONDS = 60

/** The 429 of a counter past its limit; `what` names the counter. */
export const limited = (what: string) =>
	new ProblemError('rate_limited', `Too many requests for this ${what}; retry after the window.`, {
		headers: { 'retry-after': String(RATE_WINDOW_SECONDS) },
		extensions: { limit: what },
	})

/** `EDGECLAW_RATE_LIMITS=disabled` turns request limits off (benchmarks only; the security report flags it). */
const disabled = (env: Env) => env.EDGECLAW_RATE_LIMITS === 'disabled'

export const limitByIp = (): MiddlewareHandler<GatewayEnv> =>
	async function limitByIp(c, next) {
		if (disabled(c.env)) return next()
		const ip = clientIp(c)
		if (ip && !(await c.env.RATE_LIMIT_IP.limit({ key: `ip:${ip}` })).success)
			throw limited('client IP')
		await next()
	}

export const limitByPrincipal = (): MiddlewareHandler<GatewayEnv> =>
	async function limitByPrincipal(c, next) {
		const p = c.get('principal')
		// The bootstrap admin token is the operator's break-glass credential: not limited.
		if (p.kind === 'platform' || disabled(c.env)) return next()
		const tier = (await tenantLimits(database(c.env.DB), p.tenantId))?.rateLimitTier ?? 'standard'
		const counter =
			tier === 'low'
				? c.env.RATE_LIMIT_TENANT_LOW
				: tier === 'high'
					? c.env.RATE_LIMIT_TENANT_HIGH
					: c.env.RATE_LIMIT_TENANT
		const [key, tenant] = await Promise.all([
			c.env.RATE_LIMIT_KEY.limit({ key: `${p.kind}:${p.id}` }),
			counter.limit({ key: `tenant:${p.tenantId}` }),
		])
		if (!key.success) throw limited(p.kind === 'jwt' ? 'user' : 'API key')
		if (!tenant.success) throw limited('tenant')
		await next()
	}
