// What the end-to-end channel tests set up through the real admin API (a tenant's secrets, its
// channels, an agent whose tool needs approval) and read back (session lanes, audit actions).
import { env } from 'cloudflare:test'
import { expect } from 'vitest'
import { laneName } from '../../src/lanes/name'
import type { ApprovalView } from '../../src/lanes/tool-store'
import type { LaneResult } from '../../src/lanes/types'
import { admin, createAgent, eventually } from '../helpers'
import { tenant } from '../security/helpers'

const tenantHeaders = (tenantId: string) => ({
	'content-type': 'application/json',
	'x-edgeclaw-tenant': tenantId,
})

/** Stores each `NAME: value` as a tenant secret through `PUT /v1/secrets/{name}`. */
export async function storeSecrets(
	tenantId: string,
	secrets: Record<string, string>,
): Promise<void> {
	for (const [name, value] of Object.entries(secrets)) {
		const res = await admin(`/v1/secrets/${name}`, {
			method: 'PUT',
			headers: tenantHeaders(tenantId),
			body: JSON.stringify({ value }),
		})
		expect(res.status, await res.clone().text()).toBe(201)
	}
}

/** A tenant with the agents `main` and `guarded` and these secrets. */
export async function prepareTenant(
	tenantId: string,
	secrets: Record<string, string> = {},
): Promise<void> {
	await tenant(tenantId)
	await createGuardedAgent(tenantId)
	await storeSecrets(tenantId, secrets)
}

/** Creates a channel through `POST /v1/channels`; fails the test unless it is 201. */
export async function createChannel(
	tenantId: string,
	channel: { id: string; kind: string; agent?: string; config: Record<string, unknown> },
): Promise<void> {
	const res = await admin('/v1/channels', {
		method: 'POST',
		headers: tenantHeaders(tenantId),
		body: JSON.stringify({ agent: 'main', ...channel }),
	})
	expect(res.status, await res.clone().text()).toBe(201)
}

/** The agent `guarded`: the offline model with `time_now`, whose every call waits for approval. */
export function createGuardedAgent(tenantId: string): Promise<void> {
	return createAgent(
		env.DB,
		'guarded',
		{
			tools: {
				profile: 'minimal',
				allow: ['time_now'],
				elevated: ['time_now'],
				approvalTimeoutMs: 60_000,
			},
		},
		tenantId,
	)
}

export const laneOf = (tenantId: string, agentId: string, sessionKey: string) =>
	env.SESSION_LANE.getByName(laneName({ tenantId, agentId, sessionKey }))

type Lane = ReturnType<typeof laneOf>

/** The runs of a lane once every one of them has finished. */
export const finishedRuns = (lane: Lane) =>
	eventually(async () => {
		const runs = await lane.listRuns(0, 50)
		if (!runs.ok || runs.value.runs.length === 0) return undefined
		const done = runs.value.runs.every((r) =>
			['succeeded', 'failed', 'cancelled'].includes(r.status),
		)
		return done ? runs.value.runs : undefined
	})

/**
 * The lane's approvals, pending first. (The RPC stub's type drops the success branch, because an
 * approval's `args` is `unknown`; the value itself comes through whole.)
 */
export async function approvalsOf(lane: Lane): Promise<ApprovalView[]> {
	const list = (await lane.listApprovals(10)) as unknown as LaneResult<{
		approvals: ApprovalView[]
	}>
	if (!list.ok) throw new Error(`approvals: ${list.error.message}`)
	return list.value.approvals
}

/** The lane's one pending approval, once the run asked for it. */
export const pendingApproval = (lane: Lane) =>
	eventually(async () => (await approvalsOf(lane)).find((a) => a.status === 'pending'))

/** Audit actions on `target` in the tenant's chain, in order. */
export async function auditActions(tenantId: string, target: string): Promise<string[]> {
	const rows = await env.DB.prepare(
		'SELECT action FROM audit_log WHERE tenant_id = ? AND target = ? ORDER BY seq',
	)
		.bind(tenantId, target)
		.all<{ action: string }>()
	return rows.results.map((r) => r.action)
}
