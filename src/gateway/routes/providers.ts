// Provider health and token usage: what the failover layer currently believes (cooling and
// disabled auth profiles, open circuit breakers), the admin action that re-enables a key, and the
// tenant's token usage per day against its budget. Profiles are named by secret NAME only.
import { createRoute, z } from '@hono/zod-openapi'
import { healthBackend } from '../../agents/resolver'
import { database } from '../../db/client'
import { tenantLimits } from '../../db/tenants'
import { usageRows, utcDay } from '../../db/usage'
import { audit } from '../audit'
import { jsonBody } from '../middleware/body'
import { authedErrors, bearerAuth, createRouter, json, notFoundResponse } from '../openapi'
import { ProblemError } from '../problem'

const Profile = z.object({
	key: z.string(),
	failures: z.number().int(),
	cooldownUntil: z.number().nullable(),
	disabled: z.object({ reason: z.string(), at: z.number(), message: z.string() }).nullable(),
	lastError: z.string().nullable(),
})

const Breaker = z.object({
	key: z.string(),
	state: z.enum(['closed', 'open', 'half-open']),
	failures: z.number().int(),
	trips: z.number().int(),
	openUntil: z.number(),
})

const ProviderHealth = z
	.object({ at: z.number(), profiles: z.array(Profile), breakers: z.array(Breaker) })
	.openapi('ProviderHealth')

const health = createRoute({
	method: 'get',
	path: '/v1/admin/providers',
	tags: ['providers'],
	security: bearerAuth,
	summary: 'Auth profiles in cooldown or disabled, and circuit breakers (deployment-wide)',
	responses: { 200: json(ProviderHealth, 'Provider health'), ...authedErrors },
})

const enable = createRoute({
	method: 'post',
	path: '/v1/admin/providers/enable',
	tags: ['providers'],
	security: bearerAuth,
	summary: 'Re-enable an auth profile that was disabled (401/403/billing) or is cooling down',
	middleware: [jsonBody({ maxBytes: 4_096 })] as const,
	request: {
		body: {
			required: true,
			content: {
				'application/json': {
					schema: z.object({ key: z.string().min(3).max(700) }).strict(),
				},
			},
		},
	},
	responses: {
		200: json(z.object({ key: z.string(), enabled: z.literal(true) }), 'Re-enabled'),
		...authedErrors,
		...notFoundResponse,
	},
})

/** A UTC day that exists: `2026-02-30` and `2026-13-45` have the shape but are refused. */
const Day = z
	.string()
	.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a UTC day, YYYY-MM-DD')
	.refine((d) => {
		const at = Date.parse(`${d}T00:00:00Z`)
		return !Number.isNaN(at) && new Date(at).toISOString().startsWith(d)
	}, 'must be a day of the calendar')

const usage = createRoute({
	method: 'get',
	path: '/v1/usage',
	tags: ['providers'],
	security: bearerAuth,
	summary: "The tenant's token usage per UTC day, agent and model, and its daily budget",
	request: { query: z.object({ from: Day.optional(), to: Day.optional() }) },
	responses: {
		200: json(
			z
				.object({
					tenantId: z.string(),
					from: z.string(),
					to: z.string(),
					dailyTokenBudget: z.number().int().nullable(),
					usedToday: z.number().int(),
					rows: z.array(
						z.object({
							day: z.string(),
							agentId: z.string(),
							model: z.string(),
							calls: z.number().int(),
							errors: z.number().int(),
							inputTokens: z.number().int(),
							outputTokens: z.number().int(),
							latencyMs: z.number().int(),
						}),
					),
				})
				.openapi('Usage'),
			'Usage',
		),
		...authedErrors,
		...notFoundResponse,
	},
})

export const providerRoutes = createRouter()
	.openapi(health, async (c) => {
		const snapshot = await healthBackend(c.env).snapshot()
		return c.json(
			{
				at: snapshot.at,
				profiles: Object.entries(snapshot.profiles).map(([key, p]) => ({
					key,
					failures: p.failures,
					cooldownUntil: p.cooldownUntil > snapshot.at ? p.cooldownUntil : null,
					disabled: p.disabled,
					lastError: p.lastError ?? null,
				})),
				breakers: Object.entries(snapshot.breakers).map(([key, b]) => ({
					key,
					state: b.state,
					failures: b.failures,
					trips: b.trips,
					openUntil: b.openUntil,
				})),
			},
			200,
		)
	})
	.openapi(enable, async (c) => {
		const { key } = c.req.valid('json')
		const enabled = await healthBackend(c.env).enable(key)
		if (!enabled) throw new ProblemError('not_found', `No cooling or disabled profile "${key}".`)
		c.get('logger').info('providers.profile_enabled', { key })
		await audit(c, {
			action: 'provider.profile_enabled',
			target: `profile:${key}`,
			outcome: 'success',
		})
		return c.json({ key, enabled: true as const }, 200)
	})
	.openapi(usage, async (c) => {
		const { tenantId } = c.get('principal')
		const query = c.req.valid('query')
		const db = database(c.env.DB)
		const limits = await tenantLimits(db, tenantId)
		if (!limits) throw new ProblemError('not_found', `Tenant "${tenantId}" does not exist.`)
		const today = utcDay(Date.now())
		const to = query.to ?? today
		const from = query.from ?? utcDay(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000)
		if (from > to) throw new ProblemError('bad_request', '"from" must not be after "to".')
		const rows = await usageRows(db, tenantId, from, to)
		const usedToday = rows
			.filter((r) => r.day === today)
			.reduce((n, r) => n + r.inputTokens + r.outputTokens, 0)
		return c.json(
			{
				tenantId,
				from,
				to,
				dailyTokenBudget: limits.dailyTokenBudget,
				usedToday,
				rows: rows.map(({ tenantId: _, ...r }) => r),
			},
			200,
		)
	})
