// GET /v1/admin/lanes (platform admin only): lanes across tenants that are stuck or have runs
// queued, from the D1 sessions index the lanes write (paced: it trails a lane by about 5 s).
import { createRoute, z } from '@hono/zod-openapi'
import { Slug } from '../../agents/config'
import { database } from '../../db/client'
import { type LaneHealthCursor, laneHealthCounts, listLaneHealth } from '../../db/sessions'
import { decodeCursor, encodeCursor } from '../cursor'
import { authedErrors, bearerAuth, createRouter, json } from '../openapi'
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

export const adminLaneRoutes = createRouter().openapi(route, async (c) => {
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
