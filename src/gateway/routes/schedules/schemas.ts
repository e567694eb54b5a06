// The schedules API's shapes: the create and change bodies (the automation module's zod fields),
// the schedule as the API shows it (definition, state, next due time) and its runs.
import { z } from '@hono/zod-openapi'
import {
	DELIVERY_STATES,
	RUN_STATUSES,
	type ScheduleRun,
} from '../../../automation/schedules/ledger'
import {
	MisfirePolicy,
	type ScheduleDefinition,
	ScheduleDelivery,
	ScheduleFields,
	ScheduleTarget,
	ScheduleTime,
	StoredDefinition,
} from '../../../automation/schedules/spec'
import type { ScheduleRow } from '../../../db/schedules'
import { AlertWebhook } from '../../../observability/alert-settings'

/** A schedule's id: a slug, or `heartbeat.<agent>` for the schedule an agent's heartbeat owns. */
export const ScheduleId = z
	.string()
	.regex(
		/^(heartbeat\.)?[a-z0-9][a-z0-9-]{0,62}$/,
		'must be 1-63 chars of a-z, 0-9 and "-", not starting with "-" (or heartbeat.<agent>)',
	)

export const ScheduleParams = z.object({ scheduleId: ScheduleId })

export const ScheduleInput = ScheduleFields.extend({
	/** Optional: a create with an `id` that exists is idempotent for the same definition, else 409. */
	id: ScheduleId.optional(),
})
	.strict()
	.openapi('ScheduleInput', {
		description:
			'`schedule`: `{kind: "at", at}` (ISO time), `{kind: "every", everyMs | every ("15m"), anchorAt?}` (at least 60 s) or `{kind: "cron", expr (5 fields), timeZone (IANA, default UTC)}`. `target.session`: `main`, a session key, or `isolated` (a fresh session per run). `delivery`: `{type: "none"}`, `{type: "channel", channelId, target}` or `{type: "webhook", url}` (Standard-Webhooks-signed; the signing secret is in the create response only). See docs/automation.md.',
	})

/** A merge patch: each field given replaces the stored one; `name`/`alertWebhook` null remove it. */
export const SchedulePatch = z
	.object({
		name: z.string().max(200).nullable().optional(),
		enabled: z.boolean().optional(),
		schedule: ScheduleTime.optional(),
		target: ScheduleTarget.optional(),
		delivery: ScheduleDelivery.optional(),
		misfire: MisfirePolicy.optional(),
		alertWebhook: AlertWebhook.nullable().optional(),
	})
	.strict()
	.openapi('SchedulePatch')

const ScheduleTimeView = z.union([
	z.object({ kind: z.literal('at'), at: z.string() }),
	z.object({ kind: z.literal('every'), everyMs: z.number(), anchorAt: z.string() }),
	z.object({ kind: z.literal('cron'), expr: z.string(), timeZone: z.string() }),
])

export const ScheduleView = z
	.object({
		id: z.string(),
		name: z.string().optional(),
		enabled: z.boolean(),
		schedule: ScheduleTimeView,
		target: z.object({ agentId: z.string(), session: z.string(), message: z.string() }),
		delivery: z.record(z.string(), z.unknown()),
		misfire: z.object({ policy: z.enum(['skip', 'runOnce']), maxLatenessMs: z.number() }),
		alertWebhook: z.object({ url: z.string(), secret: z.string() }).optional(),
		nextDueAt: z.string().nullable(),
		lastRunAt: z.string().nullable(),
		lastStatus: z.string().nullable(),
		consecutiveFailures: z.number().int(),
		/** Why the scheduler turned the schedule off (after 10 failures in a row); null otherwise. */
		disabledReason: z.string().nullable(),
		version: z.number().int(),
		/** Set on an agent's heartbeat: the agent whose config owns it (change it there). */
		heartbeatOf: z.string().optional(),
		createdAt: z.string(),
		updatedAt: z.string(),
		/** The webhook delivery's signing secret (`whsec_…`): only in the answer that generated it. */
		signingSecret: z.string().optional(),
	})
	.openapi('Schedule')

export const ScheduleRunView = z
	.object({
		id: z.string(),
		trigger: z.enum(['schedule', 'manual']),
		dueAt: z.string().nullable(),
		firedAt: z.string(),
		finishedAt: z.string().nullable(),
		status: z.enum(RUN_STATUSES),
		laneRunId: z.string().nullable(),
		sessionKey: z.string().nullable(),
		error: z.string().nullable(),
		delivery: z.enum(DELIVERY_STATES),
		/** The last failed try's reason (kept while a retry waits, and when it was given up). */
		deliveryError: z.string().nullable(),
		/** Webhook POSTs tried so far (a failed one is retried: 30 s doubling, at most 6 tries). */
		deliveryAttempts: z.number().int(),
		/** While the delivery is `pending` after a failed try: when the next try is due. */
		deliveryNextAt: z.string().nullable(),
	})
	.openapi('ScheduleRun')

const iso = (ms: number | null | undefined): string | null =>
	ms === null || ms === undefined ? null : new Date(ms).toISOString()

export function scheduleView(
	row: ScheduleRow,
	signingSecret?: string,
): z.infer<typeof ScheduleView> {
	const def = StoredDefinition.parse(row.definition) as ScheduleDefinition
	const time = def.schedule
	const schedule =
		time.kind === 'at'
			? { kind: 'at' as const, at: new Date(time.atMs).toISOString() }
			: time.kind === 'every'
				? {
						kind: 'every' as const,
						everyMs: time.everyMs,
						anchorAt: new Date(time.anchorMs ?? row.anchorAt).toISOString(),
					}
				: time
	return {
		id: row.id,
		...(def.name !== undefined && { name: def.name }),
		enabled: row.enabled,
		schedule,
		target: def.target,
		delivery: def.delivery,
		misfire: def.misfire,
		...(def.alertWebhook && { alertWebhook: def.alertWebhook }),
		nextDueAt: iso(row.nextDueAt),
		lastRunAt: iso(row.lastRunAt),
		lastStatus: row.lastStatus,
		consecutiveFailures: row.consecutiveFailures,
		disabledReason: row.disabledReason,
		version: row.version,
		...(def.heartbeat && { heartbeatOf: def.heartbeat.agentId }),
		createdAt: row.createdAt.toISOString(),
		updatedAt: row.updatedAt.toISOString(),
		...(signingSecret !== undefined && { signingSecret }),
	}
}

export const runView = (run: ScheduleRun): z.infer<typeof ScheduleRunView> => ({
	id: run.id,
	trigger: run.trigger,
	dueAt: iso(run.dueAt),
	firedAt: iso(run.firedAt) as string,
	finishedAt: iso(run.finishedAt),
	status: run.status,
	laneRunId: run.laneRunId,
	sessionKey: run.sessionKey,
	error: run.error,
	delivery: run.delivery,
	deliveryError: run.deliveryError,
	deliveryAttempts: run.deliveryAttempts,
	deliveryNextAt: iso(run.deliveryNextAt),
})
