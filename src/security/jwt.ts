// JWTs (e.g. Cloudflare Access): verified against a JWKS — inline (EDGECLAW_JWT_JWKS, JSON) or
// fetched and cached (EDGECLAW_JWT_JWKS_URL, e.g. https://<team>.cloudflareaccess.com/cdn-cgi/access/certs)
// — with issuer, audience, expiry and a clock skew; `alg: none` and HMAC algorithms are refused.
// Claims map to the tenant and role of the principal.
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose'
import { secret } from './env'
import { remoteJwks } from './jwks'
import { ROLES, type Role } from './keys'

export interface JwtSettings {
	jwks: Parameters<typeof jwtVerify>[1]
	issuer: string | undefined
	audience: string | undefined
	tenantClaim: string
	roleClaim: string
	defaultRole: Role
	clockSkewSeconds: number
}

export interface JwtIdentity {
	subject: string
	tenantId: string
	role: Role
	/** `exp`, in milliseconds: long-lived connections close when it passes. */
	expiresAt: number
}

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA']

/** Key sets by their source (the inline JSON or the URL): built once per isolate, not per request. */
const keySets = new Map<string, JwtSettings['jwks']>()
const keySet = (source: string, build: () => JwtSettings['jwks']): JwtSettings['jwks'] => {
	let set = keySets.get(source)
	if (!set) {
		if (keySets.size >= 8) keySets.clear()
		set = build()
		keySets.set(source, set)
	}
	return set
}

/** Settings from the environment; undefined when JWTs are not configured (then none is accepted). */
export function jwtSettings(env: object): JwtSettings | undefined {
	const str = (k: string) => secret(env, k)
	const inline = str('EDGECLAW_JWT_JWKS')
	const url = str('EDGECLAW_JWT_JWKS_URL')
	let jwks: JwtSettings['jwks'] | undefined
	if (inline)
		jwks = keySet(`inline:${inline}`, () => createLocalJWKSet(JSON.parse(inline) as JSONWebKeySet))
	else if (url) jwks = keySet(`url:${url}`, () => remoteJwks(new URL(url).href))
	if (!jwks) return undefined
	const role = str('EDGECLAW_JWT_DEFAULT_ROLE')
	return {
		jwks,
		issuer: str('EDGECLAW_JWT_ISSUER'),
		audience: str('EDGECLAW_JWT_AUDIENCE'),
		tenantClaim: str('EDGECLAW_JWT_TENANT_CLAIM') ?? 'tenant',
		roleClaim: str('EDGECLAW_JWT_ROLE_CLAIM') ?? 'role',
		defaultRole: (ROLES as readonly string[]).includes(role ?? '') ? (role as Role) : 'viewer',
		clockSkewSeconds: Number(str('EDGECLAW_JWT_CLOCK_SKEW_SECONDS') ?? 60),
	}
}

export const looksLikeJwt = (token: string): boolean =>
	/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/

/** Verifies a token; throws on any failure (signature, alg, issuer, audience, time, claims). */
export async function verifyJwt(token: string, settings: JwtSettings): Promise<JwtIdentity> {
	const { payload } = await jwtVerify(token, settings.jwks, {
		algorithms: ALGORITHMS,
		...(settings.issuer ? { issuer: settings.issuer } : {}),
		...(settings.audience ? { audience: settings.audience } : {}),
		clockTolerance: settings.clockSkewSeconds,
		requiredClaims: ['exp', 'sub'],
	})
	const tenantId = claim(payload, settings.tenantClaim)
	if (!tenantId || !SLUG.test(tenantId))
		throw new Error(`missing or invalid "${settings.tenantClaim}" claim`)
	const roleClaim = claim(payload, settings.roleClaim)
	const role = (ROLES as readonly string[]).includes(roleClaim ?? '')
		? (roleClaim as Role)
		: settings.defaultRole
	return { subject: String(payload.sub), tenantId, role, expiresAt: Number(payload.exp) * 1000 }
}

function claim(payload: JWTPayload, name: string): string | undefined {
	const value = payload[name]
	return typeof value === 'string' ? value : undefined
}
