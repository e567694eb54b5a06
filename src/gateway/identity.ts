// Who a bearer token is: an API key (ek_<id>_<secret>, checked against its hash in D1), a JWT
// (when a JWKS is configured) or the bootstrap admin token. Free of any one transport, so the
// HTTP middleware and the OpenClaw gateway's `connect` frame decide identity the same way.
import { Slug } from '../agents/config'
import { database } from '../db/client'
import { findKey, touchKey } from '../db/keys'
import { tenantLimits } from '../db/tenants'
import { jwtSettings, looksLikeJwt, verifyJwt } from '../security/jwt'
import { parseKey, secretMatches } from '../security/keys'
import { secretsEqual } from '../security/tokens'
import type { Principal } from './context'

export type Verdict =
	| { ok: true; principal: Principal }
	| { ok: false; reason: string; tenantId?: string }

export interface IdentifyOptions {
	/** The tenant the admin token acts in (it may act in any); other tokens carry their own. */
	adminTenant: string
	/** Runs the key's last-used update after the answer. */
	waitUntil(promise: Promise<unknown>): void
}

/** Why a key row no longer authenticates (revoked, expired), or undefined while it is live. */
export function keyDeadReason(
	row: { revokedAt: Date | null; expiresAt: Date | null },
	now: number,
): 'revoked' | 'expired' | undefined {
	if (row.revokedAt) return 'revoked'
	if (row.expiresAt && row.expiresAt.getTime() <= now) return 'expired'
	return undefined
}

export async function identifyToken(
	env: Env,
	token: string,
	options: IdentifyOptions,
): Promise<Verdict> {
	const vars = env as unknown as Record<string, unknown>
	const parsed = parseKey(token)
	if (parsed) {
		const db = database(env.DB)
		const row = await findKey(db, parsed.id)
		if (!row) return { ok: false, reason: 'unknown_key' }
		const pepper =
			typeof vars.EDGECLAW_KEY_PEPPER === 'string' ? vars.EDGECLAW_KEY_PEPPER : undefined
		if (!(await secretMatches(parsed.secret, row.secretHash, pepper))) {
			return { ok: false, reason: 'bad_secret', tenantId: row.tenantId }
		}
		const dead = keyDeadReason(row, Date.now())
		if (dead) return { ok: false, reason: dead, tenantId: row.tenantId }
		const touched = touchKey(db, row.id)
		if (touched) options.waitUntil(touched.catch(() => {}))
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
		const settings = jwtSettings(vars)
		if (!settings) return { ok: false, reason: 'jwt_not_configured' }
		let id: Awaited<ReturnType<typeof verifyJwt>>
		try {
			id = await verifyJwt(token, settings)
		} catch (error) {
			return { ok: false, reason: `jwt_${(error as { code?: string }).code ?? 'invalid'}` }
		}
		// A tenant claim naming no tenant is refused (the failure is audited in the platform chain).
		if (!(await tenantLimits(database(env.DB), id.tenantId))) {
			return { ok: false, reason: 'jwt_unknown_tenant' }
		}
		return {
			ok: true,
			principal: {
				kind: 'jwt',
				id: id.subject,
				role: id.role,
				tenantId: id.tenantId,
				scopes: [],
				expiresAt: id.expiresAt,
			},
		}
	}
	if (await secretsEqual(token, env.EDGECLAW_ADMIN_TOKEN ?? '')) {
		if (!Slug.safeParse(options.adminTenant).success) return { ok: false, reason: 'bad_tenant' }
		return {
			ok: true,
			principal: {
				kind: 'platform',
				id: 'admin-token',
				role: 'admin',
				tenantId: options.adminTenant,
				scopes: [],
			},
		}
	}
	return { ok: false, reason: env.EDGECLAW_ADMIN_TOKEN ? 'unknown_token' : 'admin_token_unset' }
}
