// Signed checkpoints of an audit chain (list, make one now) and the public key that checks them,
// so an operator can export checkpoints and later prove the chain still holds what they say —
// offline, with any Ed25519 tool (scripts/audit-verify-checkpoint.mjs).
import { createRoute, z } from '@hono/zod-openapi'
import { CHECKPOINT_TYPE } from '../../security/audit-checkpoint'
import { auditKeyRing } from '../../security/audit-key'
import {
	authedErrors,
	bearerAuth,
	conflictResponse,
	createRouter,
	json,
	notFoundResponse,
} from '../openapi'
import { ProblemError } from '../problem'
import { type ChainOf, platformChain, tenantChain } from './audit-log'

const AuditCheckpoint = z
	.object({
		type: z.literal(CHECKPOINT_TYPE),
		tenant: z.string(),
		seq: z.number().int(),
		hash: z.string(),
		ts: z.number().int().openapi({ description: 'When it was signed, ms since the epoch' }),
		kid: z.string().openapi({ description: 'The signing key: the `kid` of a public JWK' }),
		signature: z.string().openapi({
			description:
				'base64url Ed25519 signature over the canonical JSON (keys sorted, no spaces) of the other members',
		}),
	})
	.openapi('AuditCheckpoint')

const PublicJwk = z
	.object({
		kty: z.literal('OKP'),
		crv: z.literal('Ed25519'),
		x: z.string(),
		kid: z.string(),
		alg: z.literal('EdDSA'),
		use: z.literal('sig'),
	})
	.openapi('AuditPublicKey')

const ListQuery = z.object({
	/** Checkpoints below this seq (the `nextCursor` of the previous page). */
	cursor: z.coerce.number().int().min(1).optional(),
	limit: z.coerce.number().int().min(1).max(500).default(100),
})

function checkpointRoutes(base: string, chainOf: ChainOf, whose: string) {
	const list = createRoute({
		method: 'get',
		path: `${base}/checkpoints`,
		tags: ['audit'],
		security: bearerAuth,
		summary: `Signed checkpoints of ${whose} chain, newest first`,
		request: { query: ListQuery },
		responses: {
			200: json(
				z.object({
					checkpoints: z.array(AuditCheckpoint),
					nextCursor: z.number().int().nullable(),
				}),
				'A page of checkpoints',
			),
			...authedErrors,
		},
	})
	const make = createRoute({
		method: 'post',
		path: `${base}/checkpoints`,
		tags: ['audit'],
		security: bearerAuth,
		summary: `Signs a checkpoint of ${whose} chain head now`,
		responses: {
			201: json(AuditCheckpoint, 'The checkpoint of the current head'),
			...authedErrors,
			...conflictResponse,
		},
	})
	return createRouter()
		.openapi(list, async (c) => {
			const q = c.req.valid('query')
			const page = await c.env.AUDIT.getByName(chainOf(c)).checkpoints({
				...(q.cursor !== undefined && { before: q.cursor }),
				limit: q.limit + 1,
			})
			const checkpoints = page.slice(0, q.limit)
			const nextCursor =
				page.length > q.limit ? (checkpoints[checkpoints.length - 1]?.seq ?? null) : null
			return c.json({ checkpoints, nextCursor }, 200)
		})
		.openapi(make, async (c) => {
			const unsigned = () =>
				new ProblemError(
					'conflict',
					'EDGECLAW_AUDIT_KEY is not set: checkpoints cannot be signed.',
					{
						extensions: { reason: 'no_key' },
					},
				)
			if (!(await auditKeyRing(c.env)).current) throw unsigned()
			const result = await c.env.AUDIT.getByName(chainOf(c)).checkpoint()
			if (result.ok) return c.json(result.checkpoint, 201)
			if (result.reason === 'no_key') throw unsigned()
			throw new ProblemError('conflict', 'The chain is empty: there is no head to sign.', {
				extensions: { reason: 'empty' },
			})
		})
}

const publicKey = createRoute({
	method: 'get',
	path: '/v1/audit/public-key',
	tags: ['audit'],
	security: bearerAuth,
	summary: 'The Ed25519 public keys (JWK set) that verify audit checkpoints',
	responses: {
		200: json(z.object({ keys: z.array(PublicJwk) }), 'Current key first, then the previous one'),
		...authedErrors,
		...notFoundResponse,
	},
})

export const auditCheckpointRoutes = createRouter()
	.route('/', checkpointRoutes('/v1/audit', tenantChain, "the tenant's"))
	.route('/', checkpointRoutes('/v1/admin/audit', platformChain, 'the platform'))
	.openapi(publicKey, async (c) => {
		const ring = await auditKeyRing(c.env)
		const others = [...ring.byId.values()].filter((k) => k !== ring.current)
		const keys = [...(ring.current ? [ring.current] : []), ...others].map((k) => k.publicJwk)
		if (keys.length === 0) {
			throw new ProblemError('not_found', 'No audit key is configured (EDGECLAW_AUDIT_KEY).')
		}
		return c.json({ keys }, 200)
	})
