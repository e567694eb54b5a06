// The tenant's device pairing events (`device.pair.requested`, `device.pair.resolved`), published
// through its TenantPairing object to every connection that registered with `operator.pairing`.
// Best effort, after the answer: a decision never waits for, nor fails with, its event.
import type { DeviceRow } from '../../db/devices'
import type { Connected, ConnectionHost } from './host'
import { holds } from './scopes'

export interface Publisher {
	env: Env
	waitUntil(promise: Promise<unknown>): void
	logger: { warn(event: string, data: Record<string, unknown>): void }
}

function publish(p: Publisher, tenantId: string, event: string, payload: Record<string, unknown>) {
	p.waitUntil(
		p.env.TENANT_PAIRING.getByName(tenantId)
			.publish(event, payload)
			.catch((error: unknown) => p.logger.warn('pairing.publish_failed', { event, error })),
	)
}

/** `device.pair.requested`, in OpenClaw's DevicePairRequestedEvent shape. */
export function pairingRequested(p: Publisher, row: DeviceRow, remoteIp: string | undefined) {
	publish(p, row.tenantId, 'device.pair.requested', {
		requestId: row.id,
		deviceId: row.deviceId,
		publicKey: row.publicKey,
		...(row.displayName && { displayName: row.displayName }),
		...(row.platform && { platform: row.platform }),
		...(row.clientId && { clientId: row.clientId }),
		...(row.clientMode && { clientMode: row.clientMode }),
		role: 'operator',
		roles: ['operator'],
		scopes: row.scopes as string[],
		...(remoteIp && { remoteIp }),
		ts: row.requestedAt.getTime(),
	})
}

/** `device.pair.resolved`: the request was approved or rejected. */
export function pairingResolved(
	p: Publisher,
	row: DeviceRow,
	decision: 'approved' | 'rejected',
	ts: number,
) {
	publish(p, row.tenantId, 'device.pair.resolved', {
		requestId: row.id,
		deviceId: row.deviceId,
		decision,
		ts,
	})
}

/** Registers a connection holding `operator.pairing` for its tenant's pairing events (or not). */
export async function watchPairing(h: ConnectionHost, s: Connected, on: boolean): Promise<void> {
	if (!holds(s.scopes, 'operator.pairing')) return
	const room = h.env.TENANT_PAIRING.getByName(s.principal.tenantId)
	await (on ? room.watch(h.connId) : room.unwatch(h.connId)).catch((error: unknown) =>
		h.logger.warn('pairing.watch_failed', { error }),
	)
}
