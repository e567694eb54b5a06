// A ChannelContext for calling a channel plugin directly: its config read by the plugin's own
// schema, secrets from a map of tenant secrets, a fixed clock and a fetch the test scripts.
import type {
	ChannelContext,
	ChannelPlugin,
	ChannelPluginConfig,
	RawInbound,
} from '../../src/channels/plugin'

export interface ContextOptions {
	/** Tenant secrets by name; the config's `secrets` map slots to these names. */
	secrets?: Record<string, string>
	fetch?: typeof fetch
	now?: number
}

export function channelContext<C extends ChannelPluginConfig>(
	plugin: ChannelPlugin<C>,
	config: unknown,
	options: ContextOptions = {},
): ChannelContext<C> {
	const parsed = plugin.config.parse(config)
	const secrets = options.secrets ?? {}
	const now = options.now ?? Date.UTC(2026, 0, 15, 12)
	return {
		tenantId: 'default',
		channelId: `${plugin.kind}-test`,
		config: parsed,
		async secret(key) {
			const name = parsed.secrets[key]
			const value = name === undefined ? undefined : secrets[name]
			if (value === undefined) throw new Error(`no secret for ${key}`)
			return value
		},
		fetch:
			options.fetch ??
			(async () => {
				throw new Error('no network in this test')
			}),
		now: () => now,
	}
}

/** An inbound request as the webhook route hands it to a plugin. */
export function rawInbound(
	body: string | Uint8Array,
	headers: Record<string, string> = {},
): RawInbound {
	return {
		url: new URL('https://edgeclaw.example/hooks/default/test'),
		headers: new Headers(headers),
		body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
	}
}
