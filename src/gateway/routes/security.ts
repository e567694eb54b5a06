// GET /v1/admin/security: the security posture of the deployment as it runs (platform admin: every
// tenant; a tenant admin: its own agents and keys).
import { createRoute, z } from '@hono/zod-openapi'
import { AgentConfig } from '../../agents/config'
import { secretReferences, urlReferences } from '../../agents/outbound'
import { ChannelCommon } from '../../channels/config'
import { database } from '../../db/client'
import { postureRows } from '../../db/posture'
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
	const rows = await postureRows(database(c.env.DB), p.kind === 'platform' ? undefined : p.tenantId)
	const findings = assessPosture({
		env: c.env,
		agents: rows.agents.map((a) => {
			const config = AgentConfig.safeParse(a.config).data
			return {
				tenantId: a.tenantId,
				id: a.id,
				toolProfile: config?.tools.profile ?? 'unknown',
				secrets: config ? secretReferences(config) : [],
				urls: config ? urlReferences(config) : [],
			}
		}),
		keys: rows.keys,
		tenantSecrets: rows.secrets,
		// A stored config its schema now refuses cannot run (its webhooks are refused): no exposure.
		channels: rows.channels.flatMap((ch) => {
			const common = ChannelCommon.safeParse(ch.config).data
			if (!common) return []
			const secrets = (ch.config as { secrets?: Record<string, unknown> }).secrets ?? {}
			return [
				{
					tenantId: ch.tenantId,
					id: ch.id,
					kind: ch.kind,
					agentIds: [ch.agentId, ...common.bindings.map((b) => b.agent)],
					dmPolicy: common.dmPolicy,
					groupPolicy: common.groupPolicy,
					requireMention: common.requireMention,
					secrets: Object.values(secrets).filter((n): n is string => typeof n === 'string'),
				},
			]
		}),
	}).sort((a, b) => ORDER[a.severity] - ORDER[b.severity])
	return c.json({ ok: !findings.some((f) => f.severity === 'high'), findings }, 200)
})
