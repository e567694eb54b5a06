// Authentication for /v1: default deny. Credentials come in `Authorization: Bearer <token>` (or,
// for WebSocket upgrades from browsers, the `Sec-WebSocket-Protocol` entry `bearer.<token>`) —
// never in the URL: a query string carrying one is refused, as it would leak into logs. A token is
// an API key (`ek_<id>_<secret>`), a JWT (when a JWKS is configured) or the bootstrap admin token.
// Failed attempts count per client IP; past the limit the IP gets 429 for a minute.
import type { Context, MiddlewareHandler } from 'hono'
import { Slug } from '../../agents/config'
import { database } from '../../db/client'
import { findKey, touchKey } from '../../db/keys'
import { jwtSettings, looksLikeJwt, verifyJwt } from '../../security/jwt'
import { parseKey, secretMatches } from '../../security/keys'
import { bearerToken, secretsEqual } from '../../security/tokens'
import { audit, waitUntil } from '../audit'
import type { GatewayEnv, Principal } from '../context'
import { ProblemError } from '../problem'

export const TENANT_HEADER = 'x-edgeclaw-tenant'
export const DEFAULT_TENANT = 'default'
export const WS_PROTOCOL = 'edgeclaw'
const WS_BEARER = 'bearer.'

/** Query parameters that look like credentials; their presence is refused. */
const URL_CREDENTIALS = [
	'token',
	'access_token',
	'api_key',
	'apikey',
	'key',
	'auth',
	'authorization',
	'jwt',
]

const challenge = { 'www-authenticate': 'Bearer realm="edgeclaw"' }

/** Client IPs whose failed attempts hit the limit, until when (this isolate's memory). */
const blocked = new Map<string, number>()
const BLOCK_MS = 60_000

export const clientIp = (c: Context<GatewayEnv>): string | undefined =>
	c.req.header('cf-connecting-ip') ?? undefined

/**
 * The presented token: Authorization header; else the JWT Cloudflare Access adds to every request
 * it lets through (`Cf-Access-Jwt-Assertion`, only ever taken as a JWT); else a WebSocket
 * subprotocol entry.
 */
export function presentedToken(c: Context<GatewayEnv>): string | undefined {
	const header = bearerToken(c.req.header('authorization'))
	if (header) return header
	const access = c.req.header('cf-access-jwt-assertion')
	if (access && looksLikeJwt(access)) return access
	if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return undefined
	const protocols = (c.req.header('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim())
	const entry = protocols.find((p) => p.startsWith(WS_BEARER))
	return entry?.slice(WS_BEARER.length) || undefined
}

type Verdict = { ok: true; principal: Principal } | { ok: false; reason: string; tenantId?: string }

async function identify(c: Context<GatewayEnv>, token: string): Promise<Verdict> {
	const env = c.env as unknown as Record<string, unknown>
	const parsed = parseKey(token)
	if (parsed) {
		const db = database(c.env.DB)
		const row = await findKey(db, parsed.id)
		if (!row) return { ok: false, reason: 'unknown_key' }
		const pepper = typeof env.EDGECLAW_KEY_PEPPER === 'string' ? env.EDGECLAW_KEY_PEPPER : undefined
		if (!(await secretMatches(parsed.secret, row.secretHash, pepper))) {
			return { ok: false, reason: 'bad_secret', tenantId: row.tenantId }
		}
		if (row.revokedAt) return { ok: false, reason: 'revoked', tenantId: row.tenantId }
		if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
			return { ok: false, reason: 'expired', tenantId: row.tenantId }
		}
		const touched = touchKey(db, row.id)
		if (touched)
			waitUntil(
				c,
				touched.catch(() => {}),
			)
		return {
			ok: true,
			principal: {
				kind: 'api-key',
				id: row.id,
				role: row.role,
				tenantId: row.tenantId,
				scopes: (row.scopes as string[]) ?? [],
			},
		}
	}
	if (looksLikeJwt(token)) {
		const settings = jwtSettings(env)
		if (!settings) return { ok: false, reason: 'jwt_not_configured' }
		try {
			const id = await verifyJwt(token, settings)
			return {
				ok: true,
				principal: {
					kind: 'jwt',
					id: id.subject,
					role: id.role,
					tenantId: id.tenantId,
					scopes: [],
				},
			}
		} catch (error) {
			return { ok: false, reason: `jwt_${(error as { code?: string }).code ?? 'invalid'}` }
		}
	}
	if (await secretsEqual(token, c.env.EDGECLAW_ADMIN_TOKEN ?? '')) {
		const tenant = c.req.header(TENANT_HEADER) ?? DEFAULT_TENANT
		if (!Slug.safeParse(tenant).success) {
			throw new ProblemError('bad_request', `The ${TENANT_HEADER} header is not a valid tenant id.`)
		}
		return {
			ok: true,
			principal: {
				kind: 'platform',
				id: 'admin-token',
				role: 'admin',
				tenantId: tenant,
				scopes: [],
			},
		}
	}
	return { ok: false, reason: c.env.EDGECLAW_ADMIN_TOKEN ? 'unknown_token' : 'admin_token_unset' }
}

async function failed(
	c: Context<GatewayEnv>,
	reason: string,
	tenantId: string | undefined,
): Promise<never> {
	const ip = clientIp(c)
	c.get('logger').warn('auth.failed', { reason })
	await audit(
		c,
		{
			tenantId: tenantId ?? '_platform',
			actor: 'anonymous',
			action: 'auth.failed',
			outcome: 'failure',
			data: { reason, ...(ip ? { ip } : {}) },
		},
		{ wait: false },
	)
	const limiter = c.env.RATE_LIMIT_AUTH_FAIL
	const { success } = await limiter.limit({ key: `auth-fail:${ip ?? 'unknown'}` })
	if (!success) {
		if (ip) blocked.set(ip, Date.now() + BLOCK_MS)
		throw tooMany(BLOCK_MS / 1000)
	}
	throw new ProblemError('unauthorized', 'The credentials are not valid.', { headers: challenge })
}

/** Successful authentications are audited once per credential and isolate every 10 minutes:
 * a trail of which keys are in use, without a write per request. */
const AUDIT_SUCCESS_EVERY_MS = 10 * 60_000
const lastSuccess = new Map<string, number>()

function auditSuccess(c: Context<GatewayEnv>, p: Principal): void {
	const id = `${p.kind}:${p.id}:${p.tenantId}`
	const now = Date.now()
	const last = lastSuccess.get(id)
	if (last !== undefined && now - last < AUDIT_SUCCESS_EVERY_MS) return
	if (lastSuccess.size > 10_000) lastSuccess.clear()
	lastSuccess.set(id, now)
	const ip = clientIp(c)
	void audit(
		c,
		{ action: 'auth.succeeded', outcome: 'success', data: { kind: p.kind, ...(ip ? { ip } : {}) } },
		{ wait: false },
	)
}

const tooMany = (seconds: number) =>
	new ProblemError('rate_limited', 'Too many failed authentication attempts; wait and retry.', {
		headers: { 'retry-after': String(Math.max(1, Math.ceil(seconds))) },
	})

export const authenticate = (): MiddlewareHandler<GatewayEnv> =>
	async function authenticate(c, next) {
		const query = new URL(c.req.url).searchParams
		const leaked = URL_CREDENTIALS.find((name) => query.has(name))
		if (leaked) {
			throw new ProblemError(
				'credentials_in_url',
				`Credentials do not belong in the URL ("${leaked}"): they end up in logs. Send "Authorization: Bearer <token>".`,
			)
		}
		const ip = clientIp(c)
		const until = ip ? blocked.get(ip) : undefined
		if (until !== undefined) {
			if (until > Date.now()) throw tooMany((until - Date.now()) / 1000)
			blocked.delete(ip as string)
		}
		const token = presentedToken(c)
		if (token === undefined) {
			throw new ProblemError(
				'unauthorized',
				'Send credentials as "Authorization: Bearer <token>".',
				{
					headers: challenge,
				},
			)
		}
		const verdict = await identify(c, token)
		if (!verdict.ok) return failed(c, verdict.reason, verdict.tenantId)
		const { principal } = verdict
		const asked = c.req.header(TENANT_HEADER)
		if (principal.kind !== 'platform' && asked !== undefined && asked !== principal.tenantId) {
			throw new ProblemError(
				'forbidden',
				`These credentials belong to tenant "${principal.tenantId}", not "${asked}".`,
			)
		}
		c.set('principal', principal)
		c.set('logger', c.get('logger').child({ tenant: principal.tenantId }))
		auditSuccess(c, principal)
		await next()
	}
