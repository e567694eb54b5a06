// Every channel hands the outbox's abort signal to its request: a send the lane stopped waiting
// for (its timeout) is cut off, not left running against the platform.
import { describe, expect, it } from 'vitest'
import type { ChannelContext, ReplyTarget } from '../../src/channels/plugin'
import { pluginOf } from '../../src/channels/registry'

/** What each kind needs to send one text: its config and a reply target its parse would write. */
const CASES: Record<string, { config: Record<string, unknown>; target: ReplyTarget }> = {
	telegram: {
		config: { apiBase: 'https://tg.example', secrets: { botToken: 'T', webhookSecret: 'W' } },
		target: { chatId: 42 },
	},
	slack: {
		config: { apiBase: 'https://slack.example/api', secrets: { botToken: 'T' } },
		target: { channel: 'C1' },
	},
	discord: {
		config: { applicationId: '123', apiBase: 'https://discord.example/api', secrets: {} },
		target: { applicationId: '123', token: 'tok' },
	},
	webhook: {
		config: { callbackUrl: 'https://hooks.example/cb', secrets: { signingSecret: 'S' } },
		target: { peer: { kind: 'dm', id: 'u1' }, sender: { id: 'u1' }, eventId: 'e1' },
	},
}

describe('send', () => {
	for (const [kind, { config, target }] of Object.entries(CASES)) {
		it(`${kind} passes the message's signal to its request`, async () => {
			const plugin = pluginOf(kind)
			if (!plugin) throw new Error(`no ${kind}`)
			const signals: (AbortSignal | null | undefined)[] = []
			const ctx: ChannelContext<never> = {
				tenantId: 't',
				channelId: 'c',
				config: config as never,
				secret: async (slot) =>
					slot === 'signingSecret' ? 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' : 'secret',
				fetch: async (_input, init) => {
					signals.push(init?.signal)
					return Response.json({ ok: true, id: '1', ts: '1.0', result: { message_id: 1 } })
				},
				now: Date.now,
			}
			const signal = new AbortController().signal
			const sent = await plugin.send(ctx, {
				kind: 'text',
				text: 'hi',
				part: 1,
				parts: 1,
				target,
				signal,
			})
			expect(sent).toMatchObject({ ok: true })
			expect(signals).toHaveLength(1)
			expect(signals[0]).toBe(signal)
		})
	}
})
