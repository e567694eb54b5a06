// /v1/schedules: the tenant's schedules (definition in D1) and their runs (in each schedule's
// ScheduleTimer object). Every write is audited and re-arms the timer; a create with an existing
// id is idempotent for the same definition, else 409. docs/automation.md, "Schedules".
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { heartbeatOwner } from '../../../automation/heartbeat/schedule'
import {
	newSigningSecret,
	sealSigningSecret,
	secretSlot,
} from '../../../automation/schedules/delivery'
import {
	canonical,
	type ScheduleDefinition,
	StoredDefinition,
} from '../../../automation/schedules/spec'
import { scheduleTimer } from '../../../automation/schedules/timer'
import { database } from '../../../db/client'
import {
	countSchedules,
	deleteSchedule,
	getSchedule,
	insertSchedule,
	listSchedules,
	MAX_SCHEDULES_PER_TENANT,
	type ScheduleInsert,
	type ScheduleRow,
	updateSchedule,
} from '../../../db/schedules'
import { audit } from '../../audit'
import type { GatewayEnv } from '../../context'
import { decodeCursor, encodeCursor } from '../../cursor'
import { subjectOf } from '../../lane/client'
import { jsonBody } from '../../middleware/body'
import {
	authedErrors,
	bearerAuth,
	conflictResponse,
	createRouter,
	json,
	notFoundResponse,
	notReadyResponse,
} from '../../openapi'
import { ProblemError } from '../../problem'
import { checkedDefinition } from './checks'
import {
	runView,
	ScheduleInput,
	ScheduleParams,
	SchedulePatch,
	ScheduleRunView,
	ScheduleView,
	scheduleView,
} from './schemas'

const tag = { tags: ['schedules'], security: bearerAuth }
const Page = z.object({
	limit: z.coerce.number().int().min(1).max(200).default(50),
	cursor: z.string().max(1_000).optional(),
})

const list = createRoute({
	...tag,
	method: 'get',
	path: '/v1/schedules',
	summary: "The tenant's schedules, by id",
	request: { query: Page.extend({ agentId: z.string().max(63).optional() }) },
	responses: {
		200: json(
			z
				.object({ schedules: z.array(ScheduleView), nextCursor: z.string().nullable() })
				.openapi('SchedulePage'),
			'Schedules',
		),
		...authedErrors,
	},
})

const create = createRoute({
	...tag,
	method: 'post',
	path: '/v1/schedules',
	summary: 'Create a schedule (idempotent by id for the same definition)',
	middleware: [jsonBody()] as const,
	request: {
		body: { required: true, content: { 'application/json': { schema: ScheduleInput } } },
	},
	responses: {
		201: json(ScheduleView, 'Created (a webhook delivery carries its signingSecret, once)'),
		200: json(ScheduleView, 'The same schedule existed already'),
		...authedErrors,
		...conflictResponse,
		...notReadyResponse,
	},
})

const read = createRoute({
	...tag,
	method: 'get',
	path: '/v1/schedules/{scheduleId}',
	summary: 'One schedule, with its next due time and failure streak',
	request: { params: ScheduleParams },
	responses: { 200: json(ScheduleView, 'The schedule'), ...authedErrors, ...notFoundResponse },
})

const change = createRoute({
	...tag,
	method: 'patch',
	path: '/v1/schedules/{scheduleId}',
	summary: 'Change a schedule (merge patch); the next due time is computed again',
	middleware: [jsonBody()] as const,
	request: {
		params: ScheduleParams,
		body: { required: true, content: { 'application/json': { schema: SchedulePatch } } },
	},
	responses: {
		200: json(ScheduleView, 'Changed'),
		...authedErrors,
		...notFoundResponse,
		...conflictResponse,
		...notReadyResponse,
	},
})

const remove = createRoute({
	...tag,
	method: 'delete',
	path: '/v1/schedules/{scheduleId}',
	summary: "Delete a schedule, its alarm and its runs (not an agent's heartbeat: 409)",
	request: { params: ScheduleParams },
	responses: {
		204: { description: 'Deleted' },
		...authedErrors,
		...notFoundResponse,
		...conflictResponse,
	},
})

const runs = createRoute({
	...tag,
	method: 'get',
	path: '/v1/schedules/{scheduleId}/runs',
	summary: "A schedule's runs, newest first (fired, missed, skipped)",
	request: { params: ScheduleParams, query: Page },
	responses: {
		200: json(
			z
				.object({ runs: z.array(ScheduleRunView), nextCursor: z.string().nullable() })
				.openapi('ScheduleRunPage'),
			'Runs',
		),
		...authedErrors,
		...notFoundResponse,
	},
})

const runNow = createRoute({
	...tag,
	method: 'post',
	path: '/v1/schedules/{scheduleId}/run',
	summary: 'Run a schedule now, beside its slots; the run is queued and settles later',
	request: { params: ScheduleParams },
	responses: {
		202: json(ScheduleRunView, 'Queued'),
		...authedErrors,
		...notFoundResponse,
		...notReadyResponse,
	},
})

async function scheduleOr404(c: Context<GatewayEnv>, id: string): Promise<ScheduleRow> {
	const row = await getSchedule(database(c.env.DB), c.get('principal').tenantId, id)
	if (!row) throw new ProblemError('not_found', `Schedule "${id}" does not exist.`)
	return row
}

/** An agent's heartbeat schedule is written through the agent's config, never here. */
function refuseOwned(id: string): void {
	const agentId = heartbeatOwner(id)
	if (agentId === undefined) return
	throw new ProblemError(
		'schedule_owned_by_agent',
		`Schedule "${id}" is the heartbeat of agent "${agentId}": change or remove it with the agent's config (PUT /v1/agents/${agentId}, field heartbeat).`,
		{ extensions: { agentId } },
	)
}

const timerOf = (c: Context<GatewayEnv>, id: string) =>
	scheduleTimer(c.env, c.get('principal').tenantId, id)

/** A call to the schedule's timer; one that does not answer is a 503 the caller may retry. */
async function reachTimer<T>(
	c: Context<GatewayEnv>,
	id: string,
	call: () => Promise<T>,
): Promise<T> {
	try {
		return await call()
	} catch (cause) {
		c.get('logger').error('schedule.timer_failed', { schedule: id, error: cause })
		throw new ProblemError('not_ready', 'The schedule timer did not answer; retry the request.', {
			headers: { 'retry-after': '1' },
			cause,
		})
	}
}

/** Arms the schedule's timer from the stored definition. */
async function arm(c: Context<GatewayEnv>, id: string): Promise<void> {
	const scheduleId = id
	await reachTimer(c, id, () =>
		timerOf(c, id).arm({ tenantId: c.get('principal').tenantId, scheduleId }),
	)
}

/** A fresh signing secret, sealed; 503 when the deployment cannot seal secrets. */
async function sealed(c: Context<GatewayEnv>, id: string) {
	const secret = newSigningSecret()
	const seal = await sealSigningSecret(c.env, secretSlot(c.get('principal').tenantId, id), secret)
	if (!seal) {
		throw new ProblemError(
			'secrets_unavailable',
			'This deployment has no usable EDGECLAW_SECRETS_KEY, so it cannot keep a webhook signing secret.',
		)
	}
	return {
		secret,
		columns: { secretKeyId: seal.keyId, secretIv: seal.iv, secretCiphertext: seal.ciphertext },
	}
}

const NO_SECRET = { secretKeyId: null, secretIv: null, secretCiphertext: null }

/** What the audit log keeps of a schedule: its shape, never the message or a URL's query. */
const summary = (def: ScheduleDefinition, enabled: boolean) => ({
	kind: def.schedule.kind,
	agent: def.target.agentId,
	session: def.target.session,
	delivery: def.delivery.type,
	enabled,
})

export const scheduleRoutes = createRouter()
	.openapi(list, async (c) => {
		const q = c.req.valid('query')
		const afterId =
			q.cursor === undefined ? undefined : (decodeCursor(q.cursor, ['string'])[0] as string)
		const rows = await listSchedules(database(c.env.DB), c.get('principal').tenantId, {
			limit: q.limit + 1,
			afterId,
			agentId: q.agentId,
		})
		const page = rows.slice(0, q.limit)
		const last = page.at(-1)
		const nextCursor = rows.length > q.limit && last ? encodeCursor([last.id]) : null
		return c.json({ schedules: page.map((r) => scheduleView(r)), nextCursor }, 200)
	})
	.openapi(create, async (c) => {
		const { id: given, enabled, ...fields } = c.req.valid('json')
		const principal = c.get('principal')
		const tenantId = principal.tenantId
		if (given !== undefined) refuseOwned(given)
		const id = given ?? `sch-${crypto.randomUUID().slice(0, 18)}`
		const now = Date.now()
		const definition = await checkedDefinition(c, fields, now)
		const db = database(c.env.DB)
		const existing = await getSchedule(db, tenantId, id)
		if (existing) {
			if (canonical(existing.definition) === canonical(definition)) {
				return c.json(scheduleView(existing), 200)
			}
			throw new ProblemError('conflict', `Schedule "${id}" exists with another definition.`)
		}
		if ((await countSchedules(db, tenantId)) >= MAX_SCHEDULES_PER_TENANT) {
			throw new ProblemError(
				'conflict',
				`The tenant already has ${MAX_SCHEDULES_PER_TENANT} schedules.`,
			)
		}
		const signing = definition.delivery.type === 'webhook' ? await sealed(c, id) : undefined
		const row: ScheduleInsert = {
			tenantId,
			id,
			agentId: definition.target.agentId,
			definition,
			enabled,
			anchorAt: now,
			subject: { ...subjectOf(principal, 'schedule') },
			...(signing ? signing.columns : NO_SECRET),
		}
		if (!(await insertSchedule(db, row))) {
			// Another create of the same id won the race: the same answer as a repeat.
			const winner = await scheduleOr404(c, id)
			if (canonical(winner.definition) === canonical(definition)) {
				return c.json(scheduleView(winner), 200)
			}
			throw new ProblemError('conflict', `Schedule "${id}" exists with another definition.`)
		}
		try {
			await arm(c, id)
		} catch (error) {
			await deleteSchedule(db, tenantId, id)
			throw error
		}
		await audit(c, {
			action: 'schedule.created',
			target: `schedule:${id}`,
			outcome: 'success',
			data: summary(definition, enabled),
		})
		c.header('location', `/v1/schedules/${id}`)
		return c.json(scheduleView(await scheduleOr404(c, id), signing?.secret), 201)
	})
	.openapi(read, async (c) =>
		c.json(scheduleView(await scheduleOr404(c, c.req.valid('param').scheduleId)), 200),
	)
	.openapi(change, async (c) => {
		const { scheduleId } = c.req.valid('param')
		const patch = c.req.valid('json')
		const existing = await scheduleOr404(c, scheduleId)
		refuseOwned(scheduleId)
		const stored = StoredDefinition.parse(existing.definition) as ScheduleDefinition
		const time = stored.schedule
		const merged = {
			name: patch.name === null ? undefined : (patch.name ?? stored.name),
			schedule:
				patch.schedule ??
				(time.kind === 'at'
					? { kind: 'at' as const, at: new Date(time.atMs).toISOString() }
					: time.kind === 'every'
						? {
								kind: 'every' as const,
								everyMs: time.everyMs,
								...(time.anchorMs !== undefined && {
									anchorAt: new Date(time.anchorMs).toISOString(),
								}),
							}
						: time),
			target: patch.target ?? stored.target,
			delivery: patch.delivery ?? stored.delivery,
			misfire: patch.misfire ?? stored.misfire,
			alertWebhook:
				patch.alertWebhook === null ? undefined : (patch.alertWebhook ?? stored.alertWebhook),
		}
		const now = Date.now()
		// An unchanged `at` that already passed stays valid: only a new time must be ahead.
		const definition = await checkedDefinition(
			c,
			merged,
			patch.schedule === undefined && time.kind === 'at' ? Math.min(now, time.atMs - 1) : now,
		)
		const enabled = patch.enabled ?? existing.enabled
		const newWebhook =
			definition.delivery.type === 'webhook' &&
			(stored.delivery.type !== 'webhook' || existing.secretCiphertext === null)
		const signing = newWebhook ? await sealed(c, scheduleId) : undefined
		const set: Partial<ScheduleInsert> = {
			agentId: definition.target.agentId,
			definition,
			enabled,
			subject: { ...subjectOf(c.get('principal'), 'schedule') },
			...signing?.columns,
			...(definition.delivery.type !== 'webhook' && NO_SECRET),
			// Turning a schedule on again starts a new streak.
			...(enabled && !existing.enabled && { consecutiveFailures: 0, disabledReason: null }),
		}
		const key = { tenantId: existing.tenantId, id: scheduleId, version: existing.version }
		if (!(await updateSchedule(database(c.env.DB), key, set))) {
			throw new ProblemError(
				'conflict',
				`Schedule "${scheduleId}" changed while this request was made; read it and retry.`,
			)
		}
		await arm(c, scheduleId)
		await audit(c, {
			action: 'schedule.updated',
			target: `schedule:${scheduleId}`,
			outcome: 'success',
			data: { ...summary(definition, enabled), fields: Object.keys(patch) },
		})
		return c.json(scheduleView(await scheduleOr404(c, scheduleId), signing?.secret), 200)
	})
	.openapi(remove, async (c) => {
		const { scheduleId } = c.req.valid('param')
		const tenantId = c.get('principal').tenantId
		if (heartbeatOwner(scheduleId) !== undefined) {
			await scheduleOr404(c, scheduleId)
			refuseOwned(scheduleId)
		}
		if (!(await deleteSchedule(database(c.env.DB), tenantId, scheduleId))) {
			throw new ProblemError('not_found', `Schedule "${scheduleId}" does not exist.`)
		}
		// The row is gone first: a timer that misses this call finds no row at its alarm and clears.
		try {
			await timerOf(c, scheduleId).disarm()
		} catch (error) {
			c.get('logger').warn('schedule.disarm_failed', { schedule: scheduleId, error })
		}
		await audit(c, {
			action: 'schedule.deleted',
			target: `schedule:${scheduleId}`,
			outcome: 'success',
			data: {},
		})
		return c.body(null, 204)
	})
	.openapi(runs, async (c) => {
		const { scheduleId } = c.req.valid('param')
		const q = c.req.valid('query')
		await scheduleOr404(c, scheduleId)
		const before =
			q.cursor === undefined ? undefined : (decodeCursor(q.cursor, ['number'])[0] as number)
		const rows = await reachTimer(c, scheduleId, async () =>
			timerOf(c, scheduleId).runs(q.limit + 1, before),
		)
		const page = rows.slice(0, q.limit)
		const last = page.at(-1)
		const nextCursor = rows.length > q.limit && last ? encodeCursor([last.seq]) : null
		return c.json({ runs: page.map(runView), nextCursor }, 200)
	})
	.openapi(runNow, async (c) => {
		const { scheduleId } = c.req.valid('param')
		const row = await scheduleOr404(c, scheduleId)
		const run = await reachTimer(c, scheduleId, async () =>
			timerOf(c, scheduleId).runNow({ tenantId: row.tenantId, scheduleId }),
		)
		if (!run) throw new ProblemError('not_found', `Schedule "${scheduleId}" does not exist.`)
		await audit(c, {
			action: 'schedule.run',
			target: `schedule:${scheduleId}`,
			outcome: 'success',
			data: { runId: run.id },
		})
		return c.json(runView(run), 202)
	})
