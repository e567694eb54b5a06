// OpenClaw devices at `connect`: device tokens (`ecd_<row id>_<secret>`, only a hash stored, bound
// to the tenant, the device and its approved scopes) and what a verified device gets. A device
// token is a credential of the OpenClaw socket only — HTTP's identity check does not know the
// shape — and only with the signed device block of the device it was issued to.
import { database } from '../../db/client'
import {
	type DeviceRow,
	deviceOf,
	findDevice,
	requestPairing,
	setDeviceToken,
} from '../../db/devices'
import { tenantState } from '../../db/tenants'
import { encodeBase64url, hex } from '../../security/bytes'
import type { Role } from '../../security/keys'
import { hashSecret, secretMatches } from '../../security/keys'
import { actorOf } from '../../security/subject'
import type { Principal } from '../context'
import { TENANT_DISABLED } from '../identity'
import { roleCovers, type Scope } from './scopes'

const TOKEN_SHAPE = /^ecd_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

/** The row id and secret of a device token; undefined for anything else. */
export function parseDeviceToken(token: string): { id: string; secret: string } | undefined {
	const m = TOKEN_SHAPE.exec(token)
	return m ? { id: m[1] as string, secret: m[2] as string } : undefined
}

/** A new device row id (also its pairing request id). */
export const newDeviceRowId = (): string => hex(crypto.getRandomValues(new Uint8Array(8)))

/** What a device verified by its signature is. */
export interface ProvenDevice {
	deviceId: string
	publicKey: string
}

/** A token handed to its device in `hello-ok.auth` or `device.token.rotate`'s answer. */
export interface IssuedToken {
	deviceToken: string
	role: 'operator'
	scopes: Scope[]
	issuedAtMs: number
}

/** Issues (or replaces) the token of a paired device: the old one stops working at once. */
export async function issueDeviceToken(
	env: Env,
	row: DeviceRow,
	now: number,
	scopes?: Scope[],
): Promise<IssuedToken | undefined> {
	const secret = encodeBase64url(crypto.getRandomValues(new Uint8Array(32)))
	const hash = await hashSecret(secret, env.EDGECLAW_KEY_PEPPER)
	const updated = await setDeviceToken(
		database(env.DB),
		row.tenantId,
		row.id,
		{ hash, at: new Date(now) },
		scopes,
	)
	if (!updated) return undefined
	return {
		deviceToken: `ecd_${row.id}_${secret}`,
		role: 'operator',
		scopes: updated.scopes as Scope[],
		issuedAtMs: now,
	}
}

export type DeviceVerdict =
	| { ok: true; principal: Principal; row: DeviceRow }
	| { ok: false; reason: string; tenantId?: string }

/**
 * Who a device token is: the paired device it was issued to, when the signed device block is that
 * device's, its tenant is live and the secret matches the stored hash.
 */
export async function identifyDevice(
	env: Env,
	token: string,
	device: ProvenDevice,
): Promise<DeviceVerdict> {
	const parsed = parseDeviceToken(token)
	if (!parsed) return { ok: false, reason: 'unknown_device_token' }
	const db = database(env.DB)
	const row = await findDevice(db, parsed.id)
	const state = row && (await tenantState(db, row.tenantId))
	if (!row || !state) return { ok: false, reason: 'unknown_device_token' }
	const tenantId = row.tenantId
	if (row.deviceId !== device.deviceId || row.publicKey !== device.publicKey) {
		return { ok: false, reason: 'device_token_other_device', tenantId }
	}
	if (row.status !== 'paired' || !row.tokenHash || !row.tokenIssuedAt || !row.role) {
		return { ok: false, reason: 'device_token_revoked', tenantId }
	}
	if (!(await secretMatches(parsed.secret, row.tokenHash, env.EDGECLAW_KEY_PEPPER))) {
		return { ok: false, reason: 'device_token_mismatch', tenantId }
	}
	if (state.status === 'disabled') return { ok: false, reason: TENANT_DISABLED, tenantId }
	return {
		ok: true,
		row,
		principal: {
			kind: 'device',
			id: row.id,
			role: row.role as Role,
			tenantId,
			scopes: (row.keyScopes as string[]) ?? [],
			issuedAt: row.tokenIssuedAt.getTime(),
		},
	}
}

/** What a credential's holder gets for a verified device it presents. */
export type DeviceAtConnect =
	| { kind: 'paired'; row: DeviceRow; issued?: IssuedToken }
	| { kind: 'pairing-required'; row: DeviceRow; created: boolean }
	| { kind: 'too-many-requests' }

/**
 * A valid credential with a verified device: a device the tenant has paired gets its token (a new
 * one when it has none: first connect after approval, or after a revocation — and only when the
 * credential's role is at least the device's); any other device
 * opens (or finds) a pairing request for the scopes this credential was granted, and is refused
 * until an operator approves it, as OpenClaw refuses a remote device (or, while the tenant has
 * too many open requests, refused without one).
 */
export async function deviceAtConnect(
	env: Env,
	principal: Principal,
	device: ProvenDevice,
	client: { id: string; mode?: string; platform?: string; displayName?: string },
	scopes: Scope[],
	now: number,
): Promise<DeviceAtConnect> {
	const db = database(env.DB)
	const row = await deviceOf(db, principal.tenantId, device.deviceId)
	if (row?.status === 'paired' && row.publicKey === device.publicKey) {
		// A token is issued only to a credential at least as strong as the device's approval, so
		// a lesser key cannot turn a paired device into more access than its own.
		const mayIssue = !row.tokenHash && row.role && roleCovers(principal.role, row.role as Role)
		if (!mayIssue) return { kind: 'paired', row }
		const issued = await issueDeviceToken(env, row, now)
		return { kind: 'paired', row, ...(issued && { issued }) }
	}
	const request = await requestPairing(db, {
		id: newDeviceRowId(),
		tenantId: principal.tenantId,
		deviceId: device.deviceId,
		publicKey: device.publicKey,
		displayName: client.displayName ?? null,
		platform: client.platform ?? null,
		clientId: client.id,
		clientMode: client.mode ?? null,
		scopes,
		requestedBy: actorOf(principal),
		requestedAt: new Date(now),
	})
	if (!request) return { kind: 'too-many-requests' }
	return { kind: 'pairing-required', ...request }
}
