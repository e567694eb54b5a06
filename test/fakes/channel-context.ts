// A ChannelContext for calling a channel plugin directly: its config read by the plugin's own
// schema, secrets from a map, a fixed clock and a fetch that records calls and serves scripted answers.
import type {
	ChannelContext,
	ChannelPlugin,
	ChannelPluginConfig,
	RawInbound,
} from '../../src/channels/plugin'

export interface RecordedCall {
	url: string
	method: string
	headers: Headers
	body: string
}

/** One scripted answer: a response, or an error the fetch throws (no connection). */
export type ScriptedAnswer = Response | Error

export interface FakeChannel<C> {
	ctx: ChannelContext<C>
	calls: RecordedCall[]
	/** Queues the answers of the next calls, in order. */
	answer(...answers: ScriptedAnswer[]): void
}

export function channelContext<C extends ChannelPluginConfig>(
	plugin: ChannelPlugin<C>,
	config: unknown,
	options: { secrets?: Record<string, string>; now?: number; channelId?: string } = {},
): FakeChannel<C> {
	const parsed = plugin.config.parse(config)
	const secrets = options.secrets ?? {}
	const calls: RecordedCall[] = []
	const script: ScriptedAnswer[] = []
	const fakeFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
		const request = new Request(input, init)
		calls.push({
			url: request.url,
			method: request.method,
			headers: request.headers,
			body: await request.text(),
		})
		const next = script.shift()
		if (next === undefined)
			throw new Error(`no scripted answer for ${request.method} ${request.url}`)
		if (next instanceof Error) throw next
		return next
	}
	const ctx: ChannelContext<C> = {
		tenantId: 'acme',
		channelId: options.channelId ?? 'ch1',
		config: parsed,
		async secret(key) {
			const name = parsed.secrets[key]
			const value = name === undefined ? undefined : secrets[name]
			if (value === undefined) throw new Error(`secret ${key} cannot be read`)
			return value
		},
		fetch: fakeFetch as typeof fetch,
		now: () => options.now ?? Date.now(),
	}
	return { ctx, calls, answer: (...answers) => script.push(...answers) }
}

/** A JSON body as the bytes a verified request carries. */
export const bytesOf = (body: unknown): Uint8Array =>
	new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body))

export interface ContextOptions {
	/** Tenant secrets by name; the config's `secrets` map slots to these names. */
	secrets?: Record<string, string>
	fetch?: typeof fetch
	now?: number
}

/**
 * A bare context (no recording): a fixed clock by default and a fetch the test passes in, for tests
 * that script their fetch themselves.
 */
export function pluginContext<C extends ChannelPluginConfig>(
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
