// Authentication for /v1: default deny. Credentials come in `Authorization: Bearer <token>` (or,
// for WebSocket upgrades from browsers, the `Sec-WebSocket-Protocol` entry `bearer.<token>`, the
// admin's tenant as `tenant.<id>`) — never in the URL: a query string carrying one is refused, as
// it would leak into logs. A token is an API key (`ek_<id>_<secret>`), a JWT (when a JWKS is
// configured) or the bootstrap admin token.
// Failed attempts count per client IP; past the limit the IP gets 429 for a minute — here from this
// isolate's memory, and on the OpenClaw socket from the lockout every isolate shares (../lockout.ts).
import type { Context, MiddlewareHandler } from 'hono'
import { Slug } from '../../agents/config'
import { laneName, SessionKey } from '../../lanes/name'
import { PLATFORM_CHAIN } from '../../security/audit'
import { looksLikeJwt } from '../../security/jwt'
import { bearerToken } from '../../security/tokens'
import { audit, waitUntil } from '../audit'
import type { CredentialSource, GatewayEnv, Principal } from '../context'
import { identifyToken, stillValid, TENANT_DISABLED } from '../identity'
import { LOCKOUT_MS, lockOut, overFailureLimit } from '../lockout'
import { ProblemError } from '../problem'
import { parseTicket, ticketHash } from '../tickets'

export const TENANT_HEADER = 'x-edgeclaw-tenant'
export const DEFAULT_TENANT = 'default'
export const WS_PROTOCOL = 'edgeclaw'
const WS_BEARER = 'bearer.'
const WS_TENANT = 'tenant.'

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

export const clientIp = (c: Context<GatewayEnv>): string | undefined =>
	c.req.header('cf-connecting-ip') ?? undefined

/** The value of the upgrade's `Sec-WebSocket-Protocol` entry `<prefix><value>` (upgrades only). */
function subprotocolEntry(c: Context<GatewayEnv>, prefix: string): string | undefined {
	if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return undefined
	const protocols = (c.req.header('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim())
	return protocols.find((p) => p.startsWith(prefix))?.slice(prefix.length)
}

/**
 * The presented token and where it came from: Authorization header; else the JWT Cloudflare
 * Access adds to every request it lets through (`Cf-Access-Jwt-Assertion`, only ever taken as a
 * JWT); else a WebSocket subprotocol entry.
 */
export function presentedToken(
	c: Context<GatewayEnv>,
): { token: string; source: CredentialSource } | undefined {
	const header = bearerToken(c.req.header('authorization'))
	if (header) return { token: header, source: 'token' }
	const access = c.req.header('cf-access-jwt-assertion')
	if (access && looksLikeJwt(access)) return { token: access, source: 'access' }
	const entry = subprotocolEntry(c, WS_BEARER)
	return entry ? { token: entry, source: 'token' } : undefined
}

/**
 * The tenant a request asks to act in: the `x-edgeclaw-tenant` header; else, on a WebSocket
 * upgrade (browsers cannot set headers on one), the subprotocol entry `tenant.<id>`.
 */
function requestedTenant(c: Context<GatewayEnv>): string | undefined {
	return c.req.header(TENANT_HEADER) ?? subprotocolEntry(c, WS_TENANT)
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
			tenantId: tenantId ?? PLATFORM_CHAIN,
			actor: 'anonymous',
			action: 'auth.failed',
			outcome: 'failure',
			data: { reason, ...(ip ? { ip } : {}) },
		},
		{ wait: false },
	)
	if (await overFailureLimit(c.env, ip)) {
		if (ip) {
			const until = Date.now() + LOCKOUT_MS
			blocked.set(ip, until)
			await lockOut(c.env, ip, until).catch((error: unknown) =>
				c.get('logger').error('auth.lockout_failed', { error }),
			)
		}
		throw tooMany(LOCKOUT_MS / 1000)
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

/**
 * The Access session rides on a cookie the browser sends with every request to this host — also
 * one another site's page makes. A change (any method but GET/HEAD/OPTIONS) or a WebSocket it
 * authenticates must come from this origin: the browser says where a request came from in
 * `Sec-Fetch-Site` (or, older ones, `Origin`). A client that is not a browser sends neither, and
 * no other site can make it send anything.
 */
function crossSiteWrite(c: Context<GatewayEnv>): boolean {
	const safe = ['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)
	if (safe && c.req.header('upgrade')?.toLowerCase() !== 'websocket') return false
	const site = c.req.header('sec-fetch-site')
	if (site !== undefined) return site !== 'same-origin' && site !== 'none'
	const origin = c.req.header('origin')
	return origin !== undefined && origin !== new URL(c.req.url).origin
}

/** The query parameter a stream ticket comes in (`GET /v1/sessions/{key}/events` only). */
export const TICKET_PARAM = 'ticket'
const TICKETED_STREAM = /^\/v1\/sessions\/([^/]+)\/events$/

/**
 * The principal a stream ticket was issued to, redeemed once at the session's lane: only on the
 * event stream of the session (and agent) it names, while it lives, and while the credential it
 * was issued for still may act (a revoked key's tickets die with it).
 */
async function redeemTicket(
	c: Context<GatewayEnv>,
	query: Pick<URLSearchParams, 'get' | 'has'>,
): Promise<Principal | undefined> {
	const stream = c.req.method === 'GET' ? TICKETED_STREAM.exec(c.req.path) : null
	const parsed = parseTicket(query.get(TICKET_PARAM) ?? '')
	if (!stream?.[1] || !parsed) return undefined
	let sessionKey: string
	try {
		sessionKey = decodeURIComponent(stream[1])
	} catch {
		return undefined
	}
	const agentId = query.get('agent') ?? 'main'
	if (!SessionKey.safeParse(sessionKey).success || !Slug.safeParse(agentId).success)
		return undefined
	const lane = c.env.SESSION_LANE.getByName(
		laneName({ tenantId: parsed.tenantId, agentId, sessionKey }),
	)
	const stored = await lane.redeemStreamTicket(await ticketHash(parsed.ticket))
	if (!stored) return undefined
	const principal = JSON.parse(stored) as Principal
	if (principal.tenantId !== parsed.tenantId) return undefined
	return (await stillValid(c.env, principal, Date.now())) ? principal : undefined
}

const NO_QUERY: Pick<URLSearchParams, 'get' | 'has'> = new URLSearchParams()

/** A request URL's query (read only); most have none, and parsing the whole URL is not free. */
function queryOf(url: string): Pick<URLSearchParams, 'get' | 'has'> {
	const at = url.indexOf('?')
	return at < 0 ? NO_QUERY : new URL(url).searchParams
}

export const authenticate = (): MiddlewareHandler<GatewayEnv> =>
	async function authenticate(c, next) {
		const query = queryOf(c.req.url)
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
		const presented = presentedToken(c)
		if (presented === undefined && query.has(TICKET_PARAM)) {
			// A browser's EventSource, with the single-use ticket it was given for this stream.
			const principal = await redeemTicket(c, query)
			if (!principal) return failed(c, 'bad_ticket', undefined)
			c.set('principal', principal)
			c.set('credentialSource', 'token')
			c.set('logger', c.get('logger').child({ tenant: principal.tenantId }))
			return next()
		}
		if (presented === undefined) {
			throw new ProblemError(
				'unauthorized',
				'Send credentials as "Authorization: Bearer <token>".',
				{
					headers: challenge,
				},
			)
		}
		const asked = requestedTenant(c)
		const verdict = await identifyToken(c.env, presented.token, {
			adminTenant: asked ?? DEFAULT_TENANT,
			waitUntil: (p) => waitUntil(c, p),
		})
		if (!verdict.ok && verdict.reason === 'bad_tenant') {
			const where =
				c.req.header(TENANT_HEADER) === undefined
					? `"${WS_TENANT}<id>" WebSocket subprotocol entry`
					: `${TENANT_HEADER} header`
			throw new ProblemError('bad_request', `The ${where} is not a valid tenant id.`)
		}
		if (!verdict.ok && verdict.reason === TENANT_DISABLED) {
			// A valid credential, not a guess: refused without counting as a failed attempt.
			c.get('logger').warn('auth.tenant_disabled', { tenant: verdict.tenantId })
			throw new ProblemError(
				'tenant_disabled',
				`Tenant "${verdict.tenantId}" is disabled; its credentials are refused until a platform admin enables it.`,
			)
		}
		if (!verdict.ok) return failed(c, verdict.reason, verdict.tenantId)
		const { principal } = verdict
		if (principal.kind !== 'platform' && asked !== undefined && asked !== principal.tenantId) {
			throw new ProblemError(
				'forbidden',
				`These credentials belong to tenant "${principal.tenantId}", not "${asked}".`,
			)
		}
		if (presented.source === 'access' && crossSiteWrite(c)) {
			throw new ProblemError(
				'forbidden',
				'A request from another site cannot act with the Cloudflare Access session; send it from this origin or with a bearer token.',
			)
		}
		c.set('principal', principal)
		c.set('credentialSource', presented.source)
		c.set('logger', c.get('logger').child({ tenant: principal.tenantId }))
		auditSuccess(c, principal)
		await next()
	}
