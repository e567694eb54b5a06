// A channel ready for use: its stored row, its plugin, its parsed config and the context its
// plugin runs with — the tenant's secrets it names (resolved when used, never the deployment's)
// and a fetch behind the SSRF guard, since API bases and callback URLs are the tenant's choice.
import type { ChannelRow } from '../db/channels'
import { credentialsFromEnv } from '../db/credentials'
import type { Logger } from '../observability/logger'
import { guardedFetch } from '../security/outbound'
import { checkUrl, tenantUrlRules } from '../security/ssrf'
import type { ChannelContext, ChannelPlugin, ChannelPluginConfig, ReplyTarget } from './plugin'
import { type ChannelConfig, parseChannelConfig, pluginOf } from './registry'

export type ChannelEnv = Pick<Env, 'DB' | 'EDGECLAW_DEV_ALLOW_LOOPBACK'> & object

export interface OpenChannel {
	row: ChannelRow
	plugin: ChannelPlugin
	config: ChannelConfig
	ctx: ChannelContext<ChannelPluginConfig>
}

/** A secret a channel names could not be read (missing, unreadable): the channel cannot work. */
export class ChannelSecretUnavailable extends Error {
	override readonly name = 'ChannelSecretUnavailable'
}

/** Parsed configs by stored row (rows come from a shared cache, so this saves a parse per event). */
const parsed = new WeakMap<ChannelRow, ChannelConfig | string>()

/** The channel, or why it cannot run (an unknown kind, a stored config its plugin now refuses). */
export function openChannel(
	env: ChannelEnv,
	row: ChannelRow,
	fetcher: typeof fetch = (input, init) => fetch(input, init),
): OpenChannel | { error: string } {
	const plugin = pluginOf(row.kind)
	if (!plugin) return { error: `no channel kind "${row.kind}" in this deployment` }
	let config = parsed.get(row)
	if (config === undefined) {
		const result = parseChannelConfig(plugin, row.config)
		config = result.ok
			? result.config
			: `stored config is invalid: ${result.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`
		parsed.set(row, config)
	}
	if (typeof config === 'string') return { error: config }
	const own = config.own
	const credentials = credentialsFromEnv(env)
	const rules = tenantUrlRules(env)
	const ctx: ChannelContext<ChannelPluginConfig> = {
		tenantId: row.tenantId,
		channelId: row.id,
		config: own,
		async secret(slot) {
			const name = own.secrets[slot]
			if (!name) throw new ChannelSecretUnavailable(`the channel names no secret for "${slot}"`)
			const value = await credentials.resolve({
				tenantId: row.tenantId,
				name,
				officialFor: undefined,
			})
			if (!value.ok) throw new ChannelSecretUnavailable(`secret ${name}: ${value.message}`)
			return value.value
		},
		fetch: guardedFetch(fetcher, (url) => checkUrl(url, undefined, rules)),
		now: Date.now,
	}
	return { row, plugin, config, ctx }
}

/**
 * A message outside any run (a pairing code, "you are approved"): one try, best effort, a failure
 * logged — never an outbox delivery, so it creates no session.
 */
export async function sendNotice(
	channel: OpenChannel,
	target: ReplyTarget,
	text: string,
	logger: Logger,
): Promise<void> {
	try {
		const sent = await channel.plugin.send(channel.ctx, {
			kind: 'text',
			text,
			part: 1,
			parts: 1,
			target,
		})
		if (!sent.ok)
			logger.warn('channel.notice_failed', { channel: channel.row.id, error: sent.error })
	} catch (error) {
		logger.warn('channel.notice_failed', { channel: channel.row.id, error })
	}
}
