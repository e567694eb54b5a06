// Shared by the heartbeat tests: agents written through the API with a heartbeat, and the
// heartbeat's schedule row and timer looked at directly.
import { env } from 'cloudflare:test'
import { heartbeatScheduleId } from '../../src/automation/heartbeat/schedule'
import { admin } from '../helpers'

export const MIN = 60_000

const headers = (tenantId: string) => ({
	'content-type': 'application/json',
	'x-edgeclaw-tenant': tenantId,
})

export const agentBody = (id: string, heartbeat?: Record<string, unknown>) => ({
	id,
	name: id,
	config: { model: { primary: 'offline:echo' }, ...(heartbeat && { heartbeat }) },
})

export function postAgent(tenantId: string, body: unknown): Promise<Response> {
	return admin('/v1/agents', {
		method: 'POST',
		headers: headers(tenantId),
		body: JSON.stringify(body),
	})
}

export function putAgent(tenantId: string, id: string, heartbeat?: Record<string, unknown>) {
	const { config } = agentBody(id, heartbeat)
	return admin(`/v1/agents/${id}`, {
		method: 'PUT',
		headers: headers(tenantId),
		body: JSON.stringify({ name: id, config }),
	})
}

/** Creates an agent with a heartbeat; the created agent's JSON. */
export async function beatingAgent(
	tenantId: string,
	id: string,
	heartbeat: Record<string, unknown>,
): Promise<Record<string, unknown>> {
	const res = await postAgent(tenantId, agentBody(id, heartbeat))
	if (res.status !== 201) throw new Error(`agent create failed: ${res.status} ${await res.text()}`)
	return (await res.json()) as Record<string, unknown>
}

/** The heartbeat schedule's row (anchor, enabled), or null. */
export async function heartbeatRow(tenantId: string, agentId: string) {
	return env.DB.prepare(
		'SELECT id, anchor_at, enabled, version, definition FROM schedules WHERE tenant_id = ? AND id = ?',
	)
		.bind(tenantId, heartbeatScheduleId(agentId))
		.first<{
			id: string
			anchor_at: number
			enabled: number
			version: number
			definition: string
		}>()
}

export function scheduleCall(tenantId: string, path: string, init: RequestInit = {}) {
	return admin(path, { ...init, headers: { ...headers(tenantId), ...init.headers } })
}
