// OpenClaw device pairing: the tenant's pairing requests and paired devices (`device.pair.*`) and
// their tokens (`device.token.*`). Each method needs `operator.pairing` and an edgeclaw action
// (`devices:list`, `devices:approve`, `devices:revoke`); every decision is audited. An approved
// device holds at most what its approver holds (scopes.ts: deviceGrant). A rotated token is only
// handed to the device itself; anyone else rotating it gets `tokenDelivery: "withheld-cross-device"`.
import { z } from 'zod'
import { database } from '../../../db/client'
import {
	type DeviceRow,
	decidePairing,
	deviceOf,
	isPending,
	listDevices,
	pendingRequest,
	renameDevice,
	setDeviceToken,
	unpairDevice,
} from '../../../db/devices'
import { actorOf } from '../../../security/subject'
import { ProblemError } from '../../problem'
import { issueDeviceToken } from '../devices'
import { pairingResolved } from '../pairing-events'
import { deviceGrant, holds, isScope, type Scope } from '../scopes'
import { allow, type Method, type MethodContext, method } from './context'

const Id = z.string().trim().min(1).max(128)

const unknown = (what: string, id: string) =>
	new ProblemError('bad_request', `unknown ${what}: ${id}`, {
		extensions: { reason: `unknown_${what === 'requestId' ? 'request' : 'device'}` },
	})

/** A refusal of this method on that device, audited as the denied decision. */
function denied(ctx: MethodContext, action: string, target: string, reason: string) {
	ctx.audit(action, target, { reason }, 'deny')
	return new ProblemError('forbidden', `not allowed: ${reason.replaceAll('_', ' ')}`, {
		extensions: { reason },
	})
}

const ms = (d: Date | null) => (d ? d.getTime() : undefined)

/** What a pending request and a paired device both show of a device. */
const deviceFields = (r: DeviceRow) => ({
	deviceId: r.deviceId,
	publicKey: r.publicKey,
	...(r.displayName && { displayName: r.displayName }),
	...(r.platform && { platform: r.platform }),
	...(r.clientId && { clientId: r.clientId }),
	...(r.clientMode && { clientMode: r.clientMode }),
	role: 'operator',
	roles: ['operator'],
	scopes: r.scopes as string[],
})

const pendingView = (r: DeviceRow) => ({
	requestId: r.id,
	...deviceFields(r),
	ts: r.requestedAt.getTime(),
})

/** A paired device as OpenClaw lists it: never a token, only whether one is live and since when. */
const pairedView = (r: DeviceRow) => ({
	...deviceFields(r),
	createdAtMs: r.requestedAt.getTime(),
	approvedAtMs: ms(r.decidedAt),
	...(r.tokenIssuedAt && {
		tokens: [
			{ role: 'operator', scopes: r.scopes as string[], createdAtMs: r.tokenIssuedAt.getTime() },
		],
	}),
})

/** A device connection without `operator.admin` manages only itself, as in OpenClaw. */
const ownOnly = (ctx: MethodContext) =>
	ctx.principal.kind === 'device' && !holds(ctx.scopes, 'operator.admin')

/** A paired device of the tenant that this connection may manage (`action` names the decision). */
async function pairedDevice(
	ctx: MethodContext,
	deviceId: string,
	action: string,
): Promise<DeviceRow> {
	const row = await deviceOf(database(ctx.env.DB), ctx.principal.tenantId, deviceId)
	if (row?.status !== 'paired') throw unknown('deviceId', deviceId)
	if (ownOnly(ctx) && ctx.device?.id !== row.deviceId) {
		throw denied(ctx, action, `device:${row.deviceId}`, 'device_ownership_mismatch')
	}
	return row
}

const operatorRole = (role: string) => {
	if (role.trim() !== 'operator') {
		throw new ProblemError('bad_request', `role "${role}" is not served here`, {
			extensions: { reason: 'role_unsupported' },
		})
	}
}

const list = method({
	scope: 'operator.pairing',
	params: z.object({}).strict(),
	async handle(ctx) {
		await allow(ctx, 'devices:list', 'device')
		let rows = await listDevices(database(ctx.env.DB), ctx.principal.tenantId)
		if (ownOnly(ctx)) rows = rows.filter((r) => r.deviceId === ctx.device?.id)
		const now = ctx.now()
		return {
			pending: rows.filter((r) => isPending(r, now)).map(pendingView),
			paired: rows.filter((r) => r.status === 'paired').map(pairedView),
		}
	},
})

const approve = method({
	scope: 'operator.pairing',
	params: z.object({ requestId: Id }).strict(),
	async handle(ctx, p) {
		await allow(ctx, 'devices:approve', 'device', p.requestId)
		if (ownOnly(ctx))
			throw denied(ctx, 'device.pair.approved', `pairing:${p.requestId}`, 'device_caller')
		const db = database(ctx.env.DB)
		const pending = await pendingRequest(db, ctx.principal.tenantId, p.requestId, ctx.now())
		if (!pending) throw unknown('requestId', p.requestId)
		const grant = deviceGrant(pending.scopes as string[], ctx.scopes)
		if (grant.scopes.length === 0) {
			throw denied(ctx, 'device.pair.approved', `pairing:${p.requestId}`, 'nothing_to_grant')
		}
		const row = await decidePairing(
			db,
			ctx.principal.tenantId,
			p.requestId,
			{ status: 'paired', ...grant, keyScopes: ctx.principal.scopes },
			actorOf(ctx.principal),
			new Date(ctx.now()),
		)
		if (!row) throw unknown('requestId', p.requestId)
		pairingResolved(ctx, row, 'approved', ctx.now())
		ctx.audit('device.pair.approved', `device:${row.deviceId}`, {
			requestId: row.id,
			role: grant.role,
			scopes: grant.scopes,
		})
		return { requestId: row.id, device: pairedView(row) }
	},
})

const reject = method({
	scope: 'operator.pairing',
	params: z.object({ requestId: Id }).strict(),
	async handle(ctx, p) {
		await allow(ctx, 'devices:approve', 'device', p.requestId)
		if (ownOnly(ctx))
			throw denied(ctx, 'device.pair.rejected', `pairing:${p.requestId}`, 'device_caller')
		const row = await decidePairing(
			database(ctx.env.DB),
			ctx.principal.tenantId,
			p.requestId,
			{ status: 'rejected' },
			actorOf(ctx.principal),
			new Date(ctx.now()),
		)
		if (!row) throw unknown('requestId', p.requestId)
		pairingResolved(ctx, row, 'rejected', ctx.now())
		ctx.audit('device.pair.rejected', `device:${row.deviceId}`, { requestId: row.id })
		return { requestId: row.id, deviceId: row.deviceId }
	},
})

const remove = method({
	scope: 'operator.pairing',
	params: z.object({ deviceId: Id }).strict(),
	async handle(ctx, p) {
		await allow(ctx, 'devices:revoke', 'device', p.deviceId)
		const row = await pairedDevice(ctx, p.deviceId, 'device.pair.removed')
		const at = ctx.now()
		const removed = await unpairDevice(
			database(ctx.env.DB),
			ctx.principal.tenantId,
			row.id,
			actorOf(ctx.principal),
			new Date(at),
		)
		if (!removed) throw unknown('deviceId', p.deviceId)
		ctx.audit('device.pair.removed', `device:${row.deviceId}`, {})
		return { deviceId: row.deviceId, removedAtMs: at }
	},
})

const rename = method({
	scope: 'operator.pairing',
	params: z.object({ deviceId: Id, label: z.string().trim().min(1).max(64) }).strict(),
	async handle(ctx, p) {
		await allow(ctx, 'devices:approve', 'device', p.deviceId)
		const row = await pairedDevice(ctx, p.deviceId, 'device.pair.renamed')
		await renameDevice(database(ctx.env.DB), ctx.principal.tenantId, row.id, p.label)
		ctx.audit('device.pair.renamed', `device:${row.deviceId}`, { label: p.label })
		return { deviceId: row.deviceId, label: p.label }
	},
})

const rotate = method({
	scope: 'operator.pairing',
	params: z
		.object({
			deviceId: Id,
			role: z.string().min(1).max(50),
			scopes: z.array(z.string().min(1).max(100)).max(50).optional(),
		})
		.strict(),
	async handle(ctx, p) {
		await allow(ctx, 'devices:revoke', 'device', p.deviceId)
		operatorRole(p.role)
		const row = await pairedDevice(ctx, p.deviceId, 'device.token.rotated')
		const current = row.scopes as Scope[]
		// Narrower or equal only: neither beyond the device's approval nor beyond the caller's (an
		// empty list changes nothing: a device without scopes could do nothing).
		const scopes = p.scopes?.length ? p.scopes : undefined
		const beyond = scopes?.find((s) => !isScope(s) || !current.includes(s) || !holds(ctx.scopes, s))
		if (beyond !== undefined) {
			throw denied(ctx, 'device.token.rotated', `device:${row.deviceId}`, 'scope_outside_approval')
		}
		// Only the device itself is handed its new token. Rotated by anyone else, the old token dies
		// and none is kept that nobody holds: the device gets a new one at its next connect with a
		// valid key (as after a revocation).
		const inBand = ctx.device?.rowId === row.id
		const at = ctx.now()
		const issued = inBand
			? await issueDeviceToken(ctx.env, row, at, scopes as Scope[] | undefined)
			: undefined
		const updated = inBand
			? issued
			: await setDeviceToken(database(ctx.env.DB), ctx.principal.tenantId, row.id, null, scopes)
		if (!updated) throw unknown('deviceId', p.deviceId)
		const granted = issued?.scopes ?? (scopes as Scope[] | undefined) ?? current
		ctx.audit('device.token.rotated', `device:${row.deviceId}`, {
			scopes: granted,
			delivery: inBand ? 'in-band' : 'withheld-cross-device',
		})
		return {
			deviceId: row.deviceId,
			role: 'operator',
			...(issued && { token: issued.deviceToken }),
			scopes: granted,
			rotatedAtMs: at,
			tokenDelivery: inBand ? 'in-band' : 'withheld-cross-device',
		}
	},
})

const revoke = method({
	scope: 'operator.pairing',
	params: z.object({ deviceId: Id, role: z.string().min(1).max(50) }).strict(),
	async handle(ctx, p) {
		await allow(ctx, 'devices:revoke', 'device', p.deviceId)
		operatorRole(p.role)
		const row = await pairedDevice(ctx, p.deviceId, 'device.token.revoked')
		await setDeviceToken(database(ctx.env.DB), ctx.principal.tenantId, row.id, null)
		const at = ctx.now()
		ctx.audit('device.token.revoked', `device:${row.deviceId}`, {})
		return { deviceId: row.deviceId, role: 'operator', revokedAtMs: at }
	},
})

export const deviceMethods: Record<string, Method> = {
	'device.pair.list': list,
	'device.pair.approve': approve,
	'device.pair.reject': reject,
	'device.pair.remove': remove,
	'device.pair.rename': rename,
	'device.token.rotate': rotate,
	'device.token.revoke': revoke,
}
