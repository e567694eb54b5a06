// The channel kinds this deployment speaks: adding a channel is its folder plus one line here
// (docs/development.md, "Add a channel").
import type { z } from 'zod'
import { ChannelCommon } from './config'
import { discord } from './discord'
import type { ChannelPlugin, ChannelPluginConfig } from './plugin'
import { slack } from './slack'
import { telegram } from './telegram'
import { webhook } from './webhook'

// biome-ignore lint/suspicious/noExplicitAny: plugins differ in their config type; each checks its own.
type AnyPlugin = ChannelPlugin<any>

export const CHANNEL_PLUGINS: Readonly<Record<string, AnyPlugin>> = {
	telegram,
	slack,
	discord,
	webhook,
}

export const CHANNEL_KINDS = Object.keys(CHANNEL_PLUGINS)

export function pluginOf(kind: string): AnyPlugin | undefined {
	return Object.hasOwn(CHANNEL_PLUGINS, kind) ? CHANNEL_PLUGINS[kind] : undefined
}

/** A channel's config split into what every channel has and what its plugin reads. */
export interface ChannelConfig<C extends ChannelPluginConfig = ChannelPluginConfig> {
	common: ChannelCommon
	own: C
}

export type ConfigIssue = { path: string; message: string }

const COMMON_KEYS = new Set(Object.keys(ChannelCommon.shape))

/**
 * Validates a channel config of `kind`: the common fields by ChannelCommon, the rest by the
 * plugin's own (strict) schema. Issues carry paths relative to the config.
 */
export function parseChannelConfig(
	plugin: AnyPlugin,
	input: unknown,
): { ok: true; config: ChannelConfig } | { ok: false; issues: ConfigIssue[] } {
	if (typeof input !== 'object' || input === null || Array.isArray(input)) {
		return { ok: false, issues: [{ path: '', message: 'must be an object' }] }
	}
	const common: Record<string, unknown> = {}
	const own: Record<string, unknown> = {}
	for (const [k, v] of Object.entries(input)) (COMMON_KEYS.has(k) ? common : own)[k] = v
	const a = ChannelCommon.safeParse(common)
	const b = (plugin.config as z.ZodType).safeParse(own)
	const issues = [...issuesOf(a), ...issuesOf(b)]
	if (!a.success || !b.success) return { ok: false, issues }
	return { ok: true, config: { common: a.data, own: b.data as ChannelPluginConfig } }
}

/** The stored form: both parts in one flat object, as the API shows it. */
export const flatConfig = (config: ChannelConfig): Record<string, unknown> => ({
	...config.common,
	...config.own,
})

function issuesOf(result: z.ZodSafeParseResult<unknown>): ConfigIssue[] {
	if (result.success) return []
	return result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
}
