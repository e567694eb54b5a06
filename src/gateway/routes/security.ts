// GET /v1/admin/security: the security posture of the deployment as it runs (platform admin: every
// tenant; a tenant admin: its own agents and keys).
import { createRoute, z } from '@hono/zod-openapi'
import { eq } from 'drizzle-orm'
import { AgentConfig } from '../../agents/config'
import { secretReferences, urlReferences } from '../../agents/outbound'
import { database } from '../../db/client'
import { agents, apiKeys, tenantSecrets } from '../../db/schema'
import { assessPosture } from '../../security/posture'
import { authedErrors, bearerAuth, createRouter, json } from '../openapi'

const Finding = z.object({
	id: z.string(),
	severity: z.enum(['high', 'medium', 'low']),
	message: z.string(),
	fix: z.string(),
})

const route = createRoute({
	method: 'get',
	path: '/v1/admin/security',
	tags: ['security'],
	security: bearerAuth,
	summary:
		'Risky configuration: admin token, data keys, CORS, rate limits, key hashing, JWT audience, shared secrets, tool profiles, where agents send secrets, keys',
	responses: {
		200: json(
			z.object({ ok: z.boolean(), findings: z.array(Finding) }).openapi('SecurityReport'),
			'Findings, worst first',
		),
		...authedErrors,
	},
})

const ORDER = { high: 0, medium: 1, low: 2 }

export const securityRoutes = createRouter().openapi(route, async (c) => {
	const p = c.get('principal')
	const db = database(c.env.DB)
	const scope = p.kind === 'platform' ? undefined : p.tenantId
	const secretColumns = { tenantId: tenantSecrets.tenantId, name: tenantSecrets.name }
	const [agentRows, keyRows, secretRows] = await Promise.all([
		(scope
			? db.select().from(agents).where(eq(agents.tenantId, scope))
			: db.select().from(agents)
		).limit(5_000),
		(scope
			? db.select().from(apiKeys).where(eq(apiKeys.tenantId, scope))
			: db.select().from(apiKeys)
		).limit(5_000),
		(scope
			? db.select(secretColumns).from(tenantSecrets).where(eq(tenantSecrets.tenantId, scope))
			: db.select(secretColumns).from(tenantSecrets)
		).limit(50_000),
	])
	const findings = assessPosture({
		env: c.env,
		agents: agentRows.map((a) => {
			const config = AgentConfig.safeParse(a.config).data
			return {
				tenantId: a.tenantId,
				id: a.id,
				toolProfile: config?.tools.profile ?? 'unknown',
				secrets: config ? secretReferences(config) : [],
				urls: config ? urlReferences(config) : [],
			}
		}),
		keys: keyRows,
		tenantSecrets: secretRows,
	}).sort((a, b) => ORDER[a.severity] - ORDER[b.severity])
	return c.json({ ok: !findings.some((f) => f.severity === 'high'), findings }, 200)
})
