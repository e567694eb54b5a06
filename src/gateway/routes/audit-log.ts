// The tenant's audit log: newest first with filters and a cursor, and a verification walk of its
// hash chain that names the first broken row.
import { createRoute, z } from '@hono/zod-openapi'
import { and, desc, eq, gte, lt, lte, type SQL } from 'drizzle-orm'
import { toAuditRow, verifyAuditChain } from '../../db/audit'
import { database } from '../../db/client'
import { auditLog } from '../../db/schema'
import { authedErrors, bearerAuth, createRouter, json } from '../openapi'

const AuditEntry = z
	.object({
		seq: z.number().int(),
		ts: z.string(),
		actor: z.string(),
		action: z.string(),
		target: z.string().nullable(),
		outcome: z.enum(['success', 'failure', 'deny']),
		requestId: z.string().nullable(),
		data: z.record(z.string(), z.unknown()),
		prevHash: z.string(),
		hash: z.string(),
	})
	.openapi('AuditEntry')

const Query = z.object({
	action: z.string().max(100).optional(),
	actor: z.string().max(200).optional(),
	outcome: z.enum(['success', 'failure', 'deny']).optional(),
	from: z.iso.datetime().optional(),
	to: z.iso.datetime().optional(),
	/** Entries with seq below this (the `nextCursor` of the previous page). */
	cursor: z.coerce.number().int().min(1).optional(),
	limit: z.coerce.number().int().min(1).max(500).default(100),
})

const read = createRoute({
	method: 'get',
	path: '/v1/audit',
	tags: ['audit'],
	security: bearerAuth,
	summary: "The tenant's audit log, newest first; filters and cursor pagination",
	request: { query: Query },
	responses: {
		200: json(
			z.object({ entries: z.array(AuditEntry), nextCursor: z.number().int().nullable() }),
			'A page of entries',
		),
		...authedErrors,
	},
})

const verify = createRoute({
	method: 'get',
	path: '/v1/audit/verify',
	tags: ['audit'],
	security: bearerAuth,
	summary: "Walks the tenant's hash chain; reports the first broken row",
	responses: {
		200: json(
			z
				.object({
					ok: z.boolean(),
					rows: z.number().int(),
					brokenAt: z.number().int().optional(),
					reason: z.string().optional(),
				})
				.openapi('AuditVerification'),
			'Verification result',
		),
		...authedErrors,
	},
})

export const auditRoutes = createRouter()
	.openapi(read, async (c) => {
		const { tenantId } = c.get('principal')
		const q = c.req.valid('query')
		const where: SQL[] = [eq(auditLog.tenantId, tenantId)]
		if (q.action) where.push(eq(auditLog.action, q.action))
		if (q.actor) where.push(eq(auditLog.actor, q.actor))
		if (q.outcome) where.push(eq(auditLog.outcome, q.outcome))
		if (q.from) where.push(gte(auditLog.ts, new Date(q.from)))
		if (q.to) where.push(lte(auditLog.ts, new Date(q.to)))
		if (q.cursor) where.push(lt(auditLog.seq, q.cursor))
		const rows = await database(c.env.DB)
			.select()
			.from(auditLog)
			.where(and(...where))
			.orderBy(desc(auditLog.seq))
			.limit(q.limit + 1)
		const page = rows.slice(0, q.limit)
		return c.json(
			{
				entries: page.map((r) => {
					const { tenantId: _, ...row } = toAuditRow(r)
					return { ...row, ts: r.ts.toISOString() }
				}),
				nextCursor: rows.length > q.limit ? (page[page.length - 1]?.seq ?? null) : null,
			},
			200,
		)
	})
	.openapi(verify, async (c) => {
		const result = await verifyAuditChain(database(c.env.DB), c.get('principal').tenantId)
		return c.json(result, 200)
	})
