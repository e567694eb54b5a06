// Who a bearer token is: an API key (ek_<id>_<secret>, checked against its hash in D1), a JWT
// (when a JWKS is configured) or the bootstrap admin token. OpenClaw device tokens are not bearer
// tokens: only the OpenClaw `connect` takes them, with the device's signature
// (openclaw/devices.ts). Free of any one transport, so the HTTP middleware and the OpenClaw
// gateway's `connect` frame decide identity the same way. The credentials of a disabled tenant
// are refused; the admin token still acts in it, to repair it.
import { Slug } from '../agents/config'
import { database } from '../db/client'
import { findDevice } from '../db/devices'
import { findKey, touchKey } from '../db/keys'
import { tenantState } from '../db/tenants'
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

/** A credential of a disabled tenant: valid, but refused (403, not a failed authentication). */
export const TENANT_DISABLED = 'tenant_disabled'

/** Why a key row no longer authenticates (revoked or expired), or undefined while it is live. */
function keyDeadReason(
	row: { revokedAt: Date | null; expiresAt: Date | null },
	now: number,
): 'revoked' | 'expired' | undefined {
	if (row.revokedAt) return 'revoked'
	if (row.expiresAt && row.expiresAt.getTime() <= now) return 'expired'
	return undefined
}

/**
 * Whether a principal identified earlier may still act, for connections that outlive one request:
 * its JWT has not expired, its key row is neither revoked nor expired, and its tenant exists and is
 * not disabled. Key rows and tenant states are read through the same 10 s caches as every request,
 * so asking per frame costs no D1 read.
 */
export async function stillValid(env: Env, principal: Principal, now: number): Promise<boolean> {
	if (principal.expiresAt !== undefined && now >= principal.expiresAt) return false
	if (principal.kind === 'platform') return true
	const db = database(env.DB)
	if (principal.kind === 'api-key') {
		const row = await findKey(db, principal.id)
		if (!row || keyDeadReason(row, now)) return false
	}
	if (principal.kind === 'device') {
		// Unpaired, token revoked, or rotated since this connection presented it.
		const row = await findDevice(db, principal.id)
		if (row?.status !== 'paired' || !row.tokenHash) return false
		if (row.tokenIssuedAt?.getTime() !== principal.issuedAt) return false
	}
	const state = await tenantState(db, principal.tenantId)
	return state !== null && state.status !== 'disabled'
}

export async function identifyToken(
	env: Env,
	token: string,
	options: IdentifyOptions,
): Promise<Verdict> {
	const parsed = parseKey(token)
	if (parsed) {
		const db = database(env.DB)
		const row = await findKey(db, parsed.id)
		// A key whose tenant is gone (deleted since this isolate cached the row) is unknown.
		const state = row && (await tenantState(db, row.tenantId))
		if (!row || !state) return { ok: false, reason: 'unknown_key' }
		if (!(await secretMatches(parsed.secret, row.secretHash, env.EDGECLAW_KEY_PEPPER))) {
			return { ok: false, reason: 'bad_secret', tenantId: row.tenantId }
		}
		const dead =
			keyDeadReason(row, Date.now()) ?? (state.status === 'disabled' ? TENANT_DISABLED : undefined)
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
		const settings = jwtSettings(env)
		if (!settings) return { ok: false, reason: 'jwt_not_configured' }
		let id: Awaited<ReturnType<typeof verifyJwt>>
		try {
			id = await verifyJwt(token, settings)
		} catch (error) {
			return { ok: false, reason: `jwt_${(error as { code?: string }).code ?? 'invalid'}` }
		}
		const state = await tenantState(database(env.DB), id.tenantId)
		// A tenant claim naming no tenant is refused (the failure is audited in the platform chain).
		if (!state) return { ok: false, reason: 'jwt_unknown_tenant' }
		if (state.status === 'disabled') {
			return { ok: false, reason: TENANT_DISABLED, tenantId: id.tenantId }
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
