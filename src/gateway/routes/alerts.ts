// GET /v1/alerts: the tenant's alert episodes — open ones first, each group newest first — as the
// scheduled evaluation keeps them (docs/observability.md#alerts).
import { createRoute, z } from '@hono/zod-openapi'
import { type AlertEpisodeRow, listEpisodes } from '../../db/alerts'
import { database } from '../../db/client'
import { ALERT_RULES } from '../../observability/alert-settings'
import { decodeCursor, encodeCursor } from '../cursor'
import { authedErrors, bearerAuth, createRouter, json } from '../openapi'

const AlertEpisode = z
	.object({
		id: z.string(),
		rule: z.enum(ALERT_RULES),
		status: z.enum(['open', 'resolved']),
		/** The value that opened the episode, in the rule's unit (fraction, ms or count). */
		value: z.number(),
		threshold: z.number(),
		openedAt: z.number(),
		resolvedAt: z.number().nullable(),
		/** The webhook: `none` (no webhook), `pending` (being tried), `sent`, `failed` (given up). */
		notified: z.enum(['none', 'pending', 'sent', 'failed']),
	})
	.openapi('AlertEpisode')

const route = createRoute({
	method: 'get',
	path: '/v1/alerts',
	tags: ['health'],
	security: bearerAuth,
	summary: "The tenant's alert episodes: open first, newest first",
	request: {
		query: z.object({
			status: z.enum(['open', 'resolved']).optional(),
			limit: z.coerce.number().int().min(1).max(200).default(50),
			cursor: z.string().max(1_000).optional(),
		}),
	},
	responses: {
		200: json(
			z
				.object({ alerts: z.array(AlertEpisode), nextCursor: z.string().nullable() })
				.openapi('AlertEpisodes'),
			'Episodes',
		),
		...authedErrors,
	},
})

const view = (e: AlertEpisodeRow): z.infer<typeof AlertEpisode> => ({
	id: e.id,
	rule: e.rule as z.infer<typeof AlertEpisode>['rule'],
	status: e.status,
	value: e.value,
	threshold: e.threshold,
	openedAt: e.openedAt,
	resolvedAt: e.resolvedAt,
	notified: e.notified as z.infer<typeof AlertEpisode>['notified'],
})

export const alertRoutes = createRouter().openapi(route, async (c) => {
	const q = c.req.valid('query')
	let after: { open: boolean; openedAt: number; id: string } | undefined
	if (q.cursor !== undefined) {
		const [open, openedAt, id] = decodeCursor(q.cursor, ['number', 'number', 'string'])
		after = { open: open === 1, openedAt: openedAt as number, id: id as string }
	}
	const rows = await listEpisodes(database(c.env.DB), {
		tenantId: c.get('principal').tenantId,
		status: q.status,
		limit: q.limit + 1,
		after,
	})
	const page = rows.slice(0, q.limit)
	const last = page.at(-1)
	const nextCursor =
		rows.length > q.limit && last
			? encodeCursor([last.status === 'open' ? 1 : 0, last.openedAt, last.id])
			: null
	return c.json({ alerts: page.map(view), nextCursor }, 200)
})
