// GET /v1/admin/lanes (platform admin only): lanes across tenants that are stuck or have runs
// queued, from the D1 sessions index the lanes write (paced: it trails a lane by about 5 s).
// POST /v1/admin/lanes/restore (platform admin only): one lane back to an earlier point in time.
import { createRoute, z } from '@hono/zod-openapi'
import { Slug } from '../../agents/config'
import { database } from '../../db/client'
import { type LaneHealthCursor, laneHealthCounts, listLaneHealth } from '../../db/sessions'
import { SessionKey } from '../../lanes/name'
import type { RestoreTarget } from '../../lanes/restore'
import { audit } from '../audit'
import { decodeCursor, encodeCursor } from '../cursor'
import { callLane, openLane } from '../lane/client'
import { jsonBody } from '../middleware/body'
import { authedErrors, bearerAuth, createRouter, json, notFoundResponse, problem } from '../openapi'
import { SessionSummarySchema, sessionSummary } from './sessions/schemas'

/** A session's index row, with its tenant (the view spans tenants). */
const LaneHealth = SessionSummarySchema.extend({ tenantId: z.string() }).openapi('LaneHealth')

const LaneHealthCounts = z
	.object({
		stuckLanes: z.number().int(),
		queuedLanes: z.number().int(),
		queuedRuns: z.number().int(),
	})
	.openapi('LaneHealthCounts')

const route = createRoute({
	method: 'get',
	path: '/v1/admin/lanes',
	tags: ['health'],
	security: bearerAuth,
	summary:
		'Stuck lanes (longest stuck first) and the deepest queues across tenants, with totals (platform admin)',
	request: {
		query: z.object({
			/** `true`: stuck lanes only. */
			stuck: z.enum(['true', 'false']).optional(),
			/** Only lanes with at least this many queued runs (then stuck lanes with fewer are left out). */
			minQueued: z.coerce.number().int().min(1).max(1_000_000).optional(),
			tenant: Slug.optional(),
			limit: z.coerce.number().int().min(1).max(200).default(50),
			cursor: z.string().max(2_000).optional(),
		}),
	},
	responses: {
		200: json(
			z
				.object({
					lanes: z.array(LaneHealth),
					/** Over every lane (of `tenant` when given), whatever the filters. */
					counts: LaneHealthCounts,
					nextCursor: z.string().nullable(),
				})
				.openapi('LaneHealthReport'),
			'Lanes, stuck first, then by queue depth',
		),
		...authedErrors,
	},
})

const CURSOR = ['number?', 'number', 'string', 'string', 'string'] as const

function cursorOf(raw: string): LaneHealthCursor {
	const [stuckSince, queuedRuns, tenantId, agentId, sessionKey] = decodeCursor(raw, CURSOR)
	return {
		stuckSince: stuckSince as number | null,
		queuedRuns: queuedRuns as number,
		tenantId: tenantId as string,
		agentId: agentId as string,
		sessionKey: sessionKey as string,
	}
}

const RestoreRequest = z
	.object({
		tenant: Slug,
		agent: Slug,
		sessionKey: SessionKey,
		/** The moment to return to (ISO 8601 or epoch ms), within the last 30 days. */
		at: z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]).optional(),
		/** Or a bookmark a previous restore answered as `undoBookmark`: undoes that restore. */
		bookmark: z.string().min(1).max(200).optional(),
	})
	.strict()
	.refine((b) => (b.at === undefined) !== (b.bookmark === undefined), {
		message: 'give exactly one of `at` and `bookmark`',
		path: ['at'],
	})
	.openapi('LaneRestore')

const restore = createRoute({
	method: 'post',
	path: '/v1/admin/lanes/restore',
	tags: ['health'],
	security: bearerAuth,
	summary: "One session's lane back to an earlier point in time (platform admin)",
	description:
		"Returns the lane's whole storage — transcript, runs, events, outbox — to a moment of the last 30 days (Durable Object point-in-time recovery), then restarts the lane there; runs that were active at that moment are recovered as after any restart. Everything the lane stored after it is gone, unless the restore is undone with the `undoBookmark` it answers. The D1 sessions index follows at the lane's next write. Local development has no storage history: `409 restore_unsupported`.",
	middleware: [jsonBody()] as const,
	request: {
		body: { content: { 'application/json': { schema: RestoreRequest } }, required: true },
	},
	responses: {
		200: json(
			z
				.object({
					tenant: z.string(),
					agent: z.string(),
					sessionKey: z.string(),
					at: z.number().int().nullable(),
					bookmark: z.string(),
					undoBookmark: z.string(),
				})
				.openapi('LaneRestored'),
			'The lane restarted at the bookmark; `undoBookmark` returns it to where it was',
		),
		...authedErrors,
		...notFoundResponse,
		409: problem('The storage keeps no history here (restore_unsupported)'),
	},
})

export const adminLaneRoutes = createRouter()
	.openapi(restore, async (c) => {
		const body = c.req.valid('json')
		const at =
			body.at === undefined ? null : typeof body.at === 'number' ? body.at : Date.parse(body.at)
		const target: RestoreTarget = at === null ? { bookmark: body.bookmark ?? '' } : { at }
		const lane = await openLane(c.env, body.tenant, body.sessionKey, body.agent)
		const logger = c.get('logger')
		const plan = await callLane(logger, () => lane.stub.restoreTo(target))
		// The restart ends the lane's instance mid-call: its rejection is the expected answer.
		await Promise.resolve(lane.stub.restart()).catch(() => undefined)
		logger.warn('lane restored to an earlier point in time', {
			tenant: body.tenant,
			agent: body.agent,
			at,
			bookmark: plan.bookmark,
		})
		await audit(c, {
			tenantId: body.tenant,
			action: 'lane.restored',
			target: `session:${body.agent}/${body.sessionKey}`,
			outcome: 'success',
			data: { at, bookmark: plan.bookmark, undoBookmark: plan.undoBookmark },
		})
		return c.json(
			{ tenant: body.tenant, agent: body.agent, sessionKey: body.sessionKey, at, ...plan },
			200,
		)
	})
	.openapi(route, async (c) => {
		const q = c.req.valid('query')
		const db = database(c.env.DB)
		const [rows, counts] = await Promise.all([
			listLaneHealth(db, {
				stuckOnly: q.stuck === 'true',
				minQueued: q.minQueued,
				tenantId: q.tenant,
				limit: q.limit + 1,
				after: q.cursor === undefined ? undefined : cursorOf(q.cursor),
			}),
			laneHealthCounts(db, q.tenant),
		])
		const page = rows.slice(0, q.limit)
		const last = page.at(-1)
		return c.json(
			{
				lanes: page.map((s) => ({ tenantId: s.tenantId, ...sessionSummary(s) })),
				counts,
				nextCursor:
					rows.length > q.limit && last
						? encodeCursor([
								last.stuckSince,
								last.queuedRuns,
								last.tenantId,
								last.agentId,
								last.sessionKey,
							])
						: null,
			},
			200,
		)
	})
