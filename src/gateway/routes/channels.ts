// The tenant's channels: which chat platform or webhook endpoint reaches which agent, with what
// rules. Admin only and audited. A config names tenant secrets (checked to exist when saved) and
// never holds a credential, so responses can show it whole. `register` does the platform's side
// where it has an API (Telegram setWebhook) and returns the webhook URL either way.
import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { Slug } from '../../agents/config'
import { resolveAgent } from '../../agents/lookup'
import { DM_POLICIES, GROUP_POLICIES } from '../../channels/config'
import {
	CHANNEL_KINDS,
	type ChannelConfig,
	flatConfig,
	parseChannelConfig,
	pluginOf,
} from '../../channels/registry'
import { ChannelSecretUnavailable, openChannel } from '../../channels/runtime'
import {
	type ChannelRow,
	countChannels,
	deleteChannel,
	getChannel,
	insertChannel,
	listChannels,
	MAX_CHANNELS_PER_TENANT,
	updateChannel,
} from '../../db/channels'
import { database } from '../../db/client'
import { tenantSecretNames } from '../../db/secrets'
import { checkUrl, tenantUrlRules } from '../../security/ssrf'
import { audit } from '../audit'
import type { GatewayEnv } from '../context'
import { type FieldError, fieldProblem } from '../errors'
import { jsonBody } from '../middleware/body'
import {
	authedErrors,
	bearerAuth,
	conflictResponse,
	createRouter,
	json,
	notFoundResponse,
	ProblemSchema,
} from '../openapi'
import { PROBLEM_CONTENT_TYPE, ProblemError } from '../problem'

export const ChannelParams = z.object({ channelId: Slug })

const ConfigInput = z
	.record(z.string(), z.unknown())
	.default({})
	.openapi({
		description: `The channel kind's fields (\`secrets\` names tenant secrets; \`apiBase\`, …) and the common ones: dmPolicy (${DM_POLICIES.join('|')}), allowFrom, groupPolicy (${GROUP_POLICIES.join('|')}), groups, requireMention, mentionPrefix, dmScope (per-peer|main), queueMode, bindings. See docs/channels.md.`,
	})

const ChannelInput = z
	.object({
		kind: z.string().openapi({ example: 'telegram' }),
		agent: Slug,
		config: ConfigInput,
		enabled: z.boolean().default(true),
	})
	.strict()

const ChannelView = z
	.object({
		id: z.string(),
		kind: z.string(),
		agent: z.string(),
		config: z.record(z.string(), z.unknown()),
		enabled: z.boolean(),
		webhookUrl: z
			.string()
			.describe('Where the platform sends events: POST /hooks/{tenantId}/{channelId}'),
		createdAt: z.string(),
		updatedAt: z.string(),
	})
	.openapi('Channel')

/** The public URL of the gateway: EDGECLAW_PUBLIC_URL, else the origin the request came to. */
export function publicOrigin(c: Context<GatewayEnv>): string {
	const configured = c.env.EDGECLAW_PUBLIC_URL?.trim()
	return (configured || new URL(c.req.url).origin).replace(/\/+$/, '')
}

export const webhookUrlOf = (
	c: Context<GatewayEnv>,
	row: Pick<ChannelRow, 'tenantId' | 'id'>,
): string =>
	`${publicOrigin(c)}/hooks/${encodeURIComponent(row.tenantId)}/${encodeURIComponent(row.id)}`

const view = (c: Context<GatewayEnv>, row: ChannelRow): z.infer<typeof ChannelView> => ({
	id: row.id,
	kind: row.kind,
	agent: row.agentId,
	config: row.config as Record<string, unknown>,
	enabled: row.enabled,
	webhookUrl: webhookUrlOf(c, row),
	createdAt: row.createdAt.toISOString(),
	updatedAt: row.updatedAt.toISOString(),
})

const tag = { tags: ['channels'], security: bearerAuth }

const list = createRoute({
	...tag,
	method: 'get',
	path: '/v1/channels',
	summary: "The tenant's channels",
	responses: {
		200: json(z.object({ channels: z.array(ChannelView) }), 'Channels'),
		...authedErrors,
	},
})

const create = createRoute({
	...tag,
	method: 'post',
	path: '/v1/channels',
	summary: 'Connect a channel to an agent',
	middleware: [jsonBody()] as const,
	request: {
		body: {
			required: true,
			content: {
				'application/json': {
					schema: ChannelInput.extend({ id: Slug }).strict().openapi('ChannelInput'),
				},
			},
		},
	},
	responses: {
		201: json(ChannelView, 'Created'),
		...authedErrors,
		...notFoundResponse,
		...conflictResponse,
	},
})

const read = createRoute({
	...tag,
	method: 'get',
	path: '/v1/channels/{channelId}',
	summary: 'One channel',
	request: { params: ChannelParams },
	responses: { 200: json(ChannelView, 'The channel'), ...authedErrors, ...notFoundResponse },
})

const replace = createRoute({
	...tag,
	method: 'put',
	path: '/v1/channels/{channelId}',
	summary: "Replace a channel's agent, config and state (its kind stays)",
	middleware: [jsonBody()] as const,
	request: {
		params: ChannelParams,
		body: {
			required: true,
			content: { 'application/json': { schema: ChannelInput.openapi('ChannelUpdate') } },
		},
	},
	responses: {
		200: json(ChannelView, 'Replaced'),
		...authedErrors,
		...notFoundResponse,
		...conflictResponse,
	},
})

const remove = createRoute({
	...tag,
	method: 'delete',
	path: '/v1/channels/{channelId}',
	summary: 'Delete a channel (its pairing state and dead letters go with it; its sessions stay)',
	request: { params: ChannelParams },
	responses: { 204: { description: 'Deleted' }, ...authedErrors, ...notFoundResponse },
})

const register = createRoute({
	...tag,
	method: 'post',
	path: '/v1/channels/{channelId}/register',
	summary: "Set up the platform's side (Telegram setWebhook), or say how; returns the webhook URL",
	request: { params: ChannelParams },
	responses: {
		200: json(
			z
				.object({
					webhookUrl: z.string(),
					registered: z.boolean(),
					instructions: z.string().optional(),
				})
				.openapi('ChannelRegistration'),
			'Registered, or what to do by hand',
		),
		...authedErrors,
		...notFoundResponse,
		502: {
			description: 'The platform refused (channel_platform_failed)',
			content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
		},
	},
})

/** A stored channel of the caller's tenant, or 404. */
export async function channelOr404(c: Context<GatewayEnv>, channelId: string): Promise<ChannelRow> {
	const row = await getChannel(database(c.env.DB), c.get('principal').tenantId, channelId)
	if (!row) throw new ProblemError('not_found', `Channel "${channelId}" does not exist.`)
	return row
}

/**
 * A channel write's checks beyond its shape: a kind this deployment has, a config its plugin and
 * the common schema accept, secrets the tenant has stored, URLs the SSRF guard admits, agents
 * (its own and its bindings') that exist. Each refusal is a 400 naming the field.
 */
async function validated(
	c: Context<GatewayEnv>,
	input: z.infer<typeof ChannelInput>,
): Promise<ChannelConfig> {
	const tenantId = c.get('principal').tenantId
	const plugin = pluginOf(input.kind)
	if (!plugin) {
		throw fieldProblem(
			[{ path: 'kind', message: `must be one of ${CHANNEL_KINDS.join(', ')}` }],
			'json',
		)
	}
	const parsed = parseChannelConfig(plugin, input.config)
	if (!parsed.ok) {
		throw fieldProblem(
			parsed.issues.map((i) => ({
				path: `config.${i.path}`.replace(/\.$/, ''),
				message: i.message,
			})),
			'json',
		)
	}
	const { own, common } = parsed.config
	const issues: FieldError[] = []
	const stored = await tenantSecretNames(database(c.env.DB), tenantId)
	for (const [slot, name] of Object.entries(own.secrets)) {
		if (!stored.has(name)) {
			issues.push({
				path: `config.secrets.${slot}`,
				message: `no tenant secret ${name}; store it with PUT /v1/secrets/${name} first`,
			})
		}
	}
	const rules = tenantUrlRules(c.env)
	for (const url of plugin.urls(own)) {
		const checked = checkUrl(url, undefined, rules)
		if (!checked.ok)
			issues.push({ path: 'config', message: `URL ${url} refused: ${checked.message}` })
	}
	const db = database(c.env.DB)
	const agents = [input.agent, ...common.bindings.map((b) => b.agent)]
	for (const [i, agentId] of agents.entries()) {
		if (!(await resolveAgent(db, tenantId, agentId))) {
			issues.push({
				path: i === 0 ? 'agent' : `config.bindings.${i - 1}.agent`,
				message: `no agent "${agentId}"`,
			})
		}
	}
	if (issues.length > 0) throw fieldProblem(issues, 'json')
	return parsed.config
}

export const channelRoutes = createRouter()
	.openapi(list, async (c) => {
		const rows = await listChannels(database(c.env.DB), c.get('principal').tenantId)
		return c.json({ channels: rows.map((r) => view(c, r)) }, 200)
	})
	.openapi(create, async (c) => {
		const { id, ...input } = c.req.valid('json')
		const tenantId = c.get('principal').tenantId
		const config = await validated(c, input)
		const db = database(c.env.DB)
		if ((await countChannels(db, tenantId)) >= MAX_CHANNELS_PER_TENANT) {
			throw new ProblemError(
				'conflict',
				`The tenant already has ${MAX_CHANNELS_PER_TENANT} channels.`,
			)
		}
		const write = {
			tenantId,
			id,
			kind: input.kind,
			agentId: input.agent,
			config: flatConfig(config),
			enabled: input.enabled,
		}
		if (!(await insertChannel(db, write)))
			throw new ProblemError('conflict', `Channel "${id}" already exists.`)
		await audit(c, {
			action: 'channel.created',
			target: `channel:${id}`,
			outcome: 'success',
			data: summary(write),
		})
		const row = await channelOr404(c, id)
		c.header('location', `/v1/channels/${id}`)
		return c.json(view(c, row), 201)
	})
	.openapi(read, async (c) =>
		c.json(view(c, await channelOr404(c, c.req.valid('param').channelId)), 200),
	)
	.openapi(replace, async (c) => {
		const { channelId } = c.req.valid('param')
		const input = c.req.valid('json')
		const existing = await channelOr404(c, channelId)
		if (existing.kind !== input.kind) {
			throw new ProblemError(
				'conflict',
				`Channel "${channelId}" is ${existing.kind}; a channel's kind never changes (create another).`,
			)
		}
		const config = await validated(c, input)
		const write = {
			tenantId: existing.tenantId,
			id: channelId,
			kind: input.kind,
			agentId: input.agent,
			config: flatConfig(config),
			enabled: input.enabled,
		}
		if (!(await updateChannel(database(c.env.DB), write))) {
			throw new ProblemError('not_found', `Channel "${channelId}" does not exist.`)
		}
		await audit(c, {
			action: 'channel.updated',
			target: `channel:${channelId}`,
			outcome: 'success',
			data: summary(write),
		})
		return c.json(view(c, await channelOr404(c, channelId)), 200)
	})
	.openapi(remove, async (c) => {
		const { channelId } = c.req.valid('param')
		if (!(await deleteChannel(database(c.env.DB), c.get('principal').tenantId, channelId))) {
			throw new ProblemError('not_found', `Channel "${channelId}" does not exist.`)
		}
		await audit(c, {
			action: 'channel.deleted',
			target: `channel:${channelId}`,
			outcome: 'success',
			data: {},
		})
		return c.body(null, 204)
	})
	.openapi(register, async (c) => {
		const row = await channelOr404(c, c.req.valid('param').channelId)
		const channel = openChannel(c.env, row)
		if ('error' in channel)
			throw new ProblemError('conflict', `Channel "${row.id}" cannot run: ${channel.error}.`)
		const webhookUrl = webhookUrlOf(c, row)
		let registration: Awaited<ReturnType<typeof channel.plugin.register>>
		try {
			registration = await channel.plugin.register(channel.ctx, webhookUrl)
		} catch (error) {
			const message = error instanceof Error ? error.message : String(error)
			await audit(c, {
				action: 'channel.registered',
				target: `channel:${row.id}`,
				outcome: 'failure',
				data: { error: message.slice(0, 300) },
			})
			// A secret the config names that cannot be read is the tenant's to fix, not the platform's.
			if (error instanceof ChannelSecretUnavailable) {
				throw new ProblemError('conflict', `Channel "${row.id}" cannot register: ${message}.`)
			}
			throw new ProblemError('channel_platform_failed', message.slice(0, 500))
		}
		await audit(c, {
			action: 'channel.registered',
			target: `channel:${row.id}`,
			outcome: 'success',
			data: { webhookUrl, registered: registration.registered },
		})
		return c.json(registration, 200)
	})

/** What the audit log keeps of a channel write: enough to see what changed, no config values. */
const summary = (w: {
	kind: string
	agentId: string
	enabled: boolean
	config: Record<string, unknown>
}) => ({
	kind: w.kind,
	agent: w.agentId,
	enabled: w.enabled,
	dmPolicy: w.config.dmPolicy,
	secrets: w.config.secrets,
})
