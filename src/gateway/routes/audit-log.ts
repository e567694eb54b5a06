// Audit logs: a chain's entries newest first with filters and a cursor, and a verification walk
// that names the first broken row or a truncated tail. The same routes serve a tenant's chain
// (/v1/audit) and, for the platform admin only, the platform chain (/v1/admin/audit).
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { type ChainCheck, listAuditRows, toAuditRow, verifyAuditChain } from '../../db/audit'
import { database } from '../../db/client'
import { PLATFORM_CHAIN } from '../../security/audit'
import { auditKeyRing } from '../../security/audit-key'
import type { GatewayEnv } from '../context'
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
		traceId: z
			.string()
			.nullable()
			.openapi({ description: 'W3C trace id of the request or run that did it' }),
		data: z.record(z.string(), z.unknown()),
		prevHash: z.string(),
		hash: z.string(),
		keyId: z.string().nullable(),
	})
	.openapi('AuditEntry')

const AuditVerification = z
	.object({
		ok: z.boolean(),
		rows: z.number().int().openapi({ description: 'Rows verified, up to the first broken one' }),
		brokenAt: z.number().int().optional(),
		reason: z.string().optional(),
		unkeyedRows: z
			.number()
			.int()
			.openapi({ description: 'Verified rows hashed with plain SHA-256 (no audit key)' }),
		head: z
			.object({ seq: z.number().int(), hash: z.string() })
			.nullable()
			.openapi({ description: 'The chain head its AuditChain object keeps' }),
		keyId: z
			.string()
			.nullable()
			.openapi({ description: 'The current audit key id; null without EDGECLAW_AUDIT_KEY' }),
		warnings: z.array(z.string()),
	})
	.openapi('AuditVerification')

const Query = z.object({
	action: z.string().max(100).optional(),
	actor: z.string().max(200).optional(),
	outcome: z.enum(['success', 'failure', 'deny']).optional(),
	from: z.iso.datetime().optional(),
	to: z.iso.datetime().optional(),
	/** Entries of one W3C trace (32 lower-case hex digits). */
	trace: z
		.string()
		.regex(/^[0-9a-f]{32}$/, 'is not a W3C trace id (32 lower-case hex digits)')
		.optional(),
	/** Entries with seq below this (the `nextCursor` of the previous page). */
	cursor: z.coerce.number().int().min(1).optional(),
	limit: z.coerce.number().int().min(1).max(500).default(100),
})

/** Which chain a request reads: the caller's tenant, or the platform's. */
export type ChainOf = (c: Context<GatewayEnv>) => string
export const tenantChain: ChainOf = (c) => c.get('principal').tenantId
export const platformChain: ChainOf = () => PLATFORM_CHAIN

/** Walks a chain against its kept head and keys; says what weakens the answer. */
export async function verifyChain(
	env: Env,
	chain: string,
): Promise<z.infer<typeof AuditVerification>> {
	const ring = await auditKeyRing(env)
	const stub = env.AUDIT.getByName(chain)
	let head: { seq: number; hash: string } | null = null
	const check: ChainCheck = await verifyAuditChain(database(env.DB), chain, {
		keys: ring.byId,
		head: async () => {
			const kept = await stub.head()
			if (kept) head = { seq: kept.seq, hash: kept.hash }
			return kept
		},
	})
	const warnings = [...ring.problems]
	if (!ring.current) {
		warnings.push(
			'EDGECLAW_AUDIT_KEY is not set: new rows are plain SHA-256, which anyone who can write D1 can recompute.',
		)
	}
	if (check.unkeyedRows > 0) {
		warnings.push(
			`${check.unkeyedRows} rows are plain SHA-256 (written without an audit key): only the kept head protects them.`,
		)
	}
	if (!head) {
		warnings.push(
			'The AuditChain keeps no head for this chain yet (nothing appended through it): a truncated tail cannot be detected.',
		)
	}
	return { ...check, head, keyId: ring.current?.id ?? null, warnings }
}

function chainRoutes(base: string, chainOf: ChainOf, whose: string) {
	const read = createRoute({
		method: 'get',
		path: base,
		tags: ['audit'],
		security: bearerAuth,
		summary: `${whose} audit log, newest first; filters and cursor pagination`,
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
		path: `${base}/verify`,
		tags: ['audit'],
		security: bearerAuth,
		summary: `Walks ${whose.toLowerCase()} hash chain; reports the first broken row or a truncated tail`,
		responses: { 200: json(AuditVerification, 'Verification result'), ...authedErrors },
	})
	return createRouter()
		.openapi(read, async (c) => {
			const q = c.req.valid('query')
			const rows = await listAuditRows(
				database(c.env.DB),
				chainOf(c),
				{
					action: q.action,
					actor: q.actor,
					outcome: q.outcome,
					from: q.from ? new Date(q.from) : undefined,
					to: q.to ? new Date(q.to) : undefined,
					before: q.cursor,
					traceId: q.trace,
				},
				q.limit + 1,
			)
			const page = rows.slice(0, q.limit)
			return c.json(
				{
					entries: page.map((r) => {
						const { tenantId: _, ...row } = toAuditRow(r)
						return { ...row, traceId: row.traceId ?? null, ts: r.ts.toISOString() }
					}),
					nextCursor: rows.length > q.limit ? (page[page.length - 1]?.seq ?? null) : null,
				},
				200,
			)
		})
		.openapi(verify, async (c) => c.json(await verifyChain(c.env, chainOf(c)), 200))
}

export const auditRoutes = createRouter()
	.route('/', chainRoutes('/v1/audit', tenantChain, "The tenant's"))
	.route('/', chainRoutes('/v1/admin/audit', platformChain, "The platform's (_platform)"))
