// An agent's heartbeat kept in step with its config, in the request that writes the agent: the
// agent-owned schedule `heartbeat.<agent>` created, changed or removed, and its timer armed or
// disarmed. Checked (and a webhook's signing secret sealed) before the agent is written, applied
// after, so a refused heartbeat leaves nothing half-written. docs/automation.md, "Heartbeat".
import type { Context } from 'hono'
import type { AgentConfig } from '../../agents/config'
import { HEARTBEAT_CHANNEL } from '../../automation/heartbeat/ack'
import { heartbeatDefinition, heartbeatScheduleId } from '../../automation/heartbeat/schedule'
import {
	newSigningSecret,
	sealSigningSecret,
	secretSlot,
} from '../../automation/schedules/delivery'
import { canonical, type ScheduleDefinition } from '../../automation/schedules/spec'
import { scheduleTimer } from '../../automation/schedules/timer'
import { getChannel } from '../../db/channels'
import { database } from '../../db/client'
import {
	deleteSchedule,
	getSchedule,
	insertSchedule,
	type ScheduleInsert,
	type ScheduleRow,
	updateSchedule,
} from '../../db/schedules'
import type { GatewayEnv } from '../context'
import { fieldProblem } from '../errors'
import { subjectOf } from '../lane/client'
import { ProblemError } from '../problem'

/** What the agent write will do to its heartbeat schedule. */
export type HeartbeatPlan =
	| { kind: 'none' }
	| {
			kind: 'upsert'
			definition: ScheduleDefinition
			/** A new webhook signing secret, shown once in the agent's answer. */
			signing?: {
				secret: string
				columns: Pick<ScheduleInsert, 'secretKeyId' | 'secretIv' | 'secretCiphertext'>
			}
	  }

const NO_SECRET = { secretKeyId: null, secretIv: null, secretCiphertext: null }

/** Checks the heartbeat's channel and seals a webhook's new signing secret; 400/503 before any write. */
export async function planHeartbeat(
	c: Context<GatewayEnv>,
	agentId: string,
	config: AgentConfig,
): Promise<HeartbeatPlan> {
	const beat = config.heartbeat
	if (!beat) return { kind: 'none' }
	const tenantId = c.get('principal').tenantId
	const db = database(c.env.DB)
	const definition = heartbeatDefinition(agentId, beat)
	const delivery = beat.delivery
	if (delivery.type === 'channel' && !(await getChannel(db, tenantId, delivery.channelId))) {
		throw fieldProblem(
			[
				{
					path: 'config.heartbeat.delivery.channelId',
					message: `no channel "${delivery.channelId}"`,
				},
			],
			'json',
		)
	}
	if (delivery.type !== 'webhook') return { kind: 'upsert', definition }
	const id = heartbeatScheduleId(agentId)
	const existing = await getSchedule(db, tenantId, id)
	const stored = existing?.definition as ScheduleDefinition | undefined
	if (existing?.secretCiphertext && stored?.delivery.type === 'webhook') {
		return { kind: 'upsert', definition }
	}
	const secret = newSigningSecret()
	const seal = await sealSigningSecret(c.env, secretSlot(tenantId, id), secret)
	if (!seal) {
		throw new ProblemError(
			'secrets_unavailable',
			'This deployment has no usable EDGECLAW_SECRETS_KEY, so it cannot keep a webhook signing secret.',
		)
	}
	const columns = { secretKeyId: seal.keyId, secretIv: seal.iv, secretCiphertext: seal.ciphertext }
	return { kind: 'upsert', definition, signing: { secret, columns } }
}

/** Writes (or removes) the heartbeat schedule after the agent was written, and sets its timer. */
export async function applyHeartbeat(
	c: Context<GatewayEnv>,
	agentId: string,
	plan: HeartbeatPlan,
): Promise<{ signingSecret?: string }> {
	const tenantId = c.get('principal').tenantId
	const id = heartbeatScheduleId(agentId)
	const db = database(c.env.DB)
	if (plan.kind === 'none') {
		if (await deleteSchedule(db, tenantId, id)) await disarmHeartbeat(c, agentId)
		return {}
	}
	const subject = { ...subjectOf(c.get('principal'), HEARTBEAT_CHANNEL) }
	for (let attempt = 0; attempt < 3; attempt++) {
		const existing = await getSchedule(db, tenantId, id)
		if (await writeRow(db, tenantId, id, existing, plan, subject)) break
		if (attempt === 2) {
			throw new ProblemError('conflict', `The heartbeat of "${agentId}" changed meanwhile; retry.`)
		}
	}
	try {
		await scheduleTimer(c.env, tenantId, id).arm({ tenantId, scheduleId: id })
	} catch (cause) {
		c.get('logger').error('heartbeat.arm_failed', { agent: agentId, error: cause })
		throw new ProblemError(
			'not_ready',
			'The agent was saved but its heartbeat timer did not answer; repeat the request.',
			{ headers: { 'retry-after': '1' }, cause },
		)
	}
	return plan.signing ? { signingSecret: plan.signing.secret } : {}
}

/** One attempt at the row; false when another write changed it in between. */
async function writeRow(
	db: ReturnType<typeof database>,
	tenantId: string,
	id: string,
	existing: ScheduleRow | undefined,
	plan: Extract<HeartbeatPlan, { kind: 'upsert' }>,
	subject: Record<string, unknown>,
): Promise<boolean> {
	const { definition, signing } = plan
	const secretColumns = signing
		? signing.columns
		: definition.delivery.type === 'webhook'
			? {}
			: NO_SECRET
	if (!existing) {
		const inserted = await insertSchedule(db, {
			tenantId,
			id,
			agentId: definition.target.agentId,
			definition,
			enabled: true,
			anchorAt: Date.now(),
			subject,
			...NO_SECRET,
			...secretColumns,
		})
		return inserted
	}
	const same = canonical(existing.definition) === canonical(definition)
	if (same && existing.enabled && !signing) return true
	return updateSchedule(
		db,
		{ tenantId, id, version: existing.version },
		{
			definition,
			enabled: true,
			subject,
			...secretColumns,
			// Saving the agent turns a heartbeat the scheduler switched off on again, with a new streak.
			...(!existing.enabled && { consecutiveFailures: 0, disabledReason: null }),
		},
	)
}

/** The agent (or its heartbeat) is gone: the timer's alarm and ledger go too. */
export async function disarmHeartbeat(c: Context<GatewayEnv>, agentId: string): Promise<void> {
	const tenantId = c.get('principal').tenantId
	try {
		await scheduleTimer(c.env, tenantId, heartbeatScheduleId(agentId)).disarm()
	} catch (error) {
		// A timer that misses this finds no row at its next alarm and clears itself.
		c.get('logger').warn('heartbeat.disarm_failed', { agent: agentId, error })
	}
}

/** True when the agent has a heartbeat schedule. */
export async function hasHeartbeat(c: Context<GatewayEnv>, agentId: string): Promise<boolean> {
	const tenantId = c.get('principal').tenantId
	return (
		(await getSchedule(database(c.env.DB), tenantId, heartbeatScheduleId(agentId))) !== undefined
	)
}
