// Compaction: an outgrown transcript is folded into a summary; originals stay for export.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { OfflineLanguageModel, SUMMARIZE_OPTION } from '../../src/agents/models/offline'
import { trimHeadTail } from '../../src/agents/text'
import { planCompaction, toTurnMessages } from '../../src/lanes/compaction'
import type { MessageView } from '../../src/lanes/types'
import { admin, createAgent, messagesOf, send } from '../helpers'

const msg = (seq: number, tokens: number, over: Partial<MessageView> = {}): MessageView => ({
	seq,
	id: `m${seq}`,
	runId: `r${seq}`,
	role: seq % 2 ? 'user' : 'assistant',
	kind: 'message',
	content: [{ type: 'text', text: 'x'.repeat(tokens * 4) }],
	tokens,
	compacted: false,
	createdAt: seq,
	...over,
})

describe('planCompaction', () => {
	const limits = { contextBudgetTokens: 1_000, maxMessages: 100 }

	it('does nothing while the transcript fits', () => {
		expect(
			planCompaction([msg(1, 300), msg(2, 300)], { messages: 1, tokens: 100 }, limits),
		).toBeNull()
	})

	it('keeps the newest messages within half the budget and folds the rest', () => {
		const active = [msg(1, 300), msg(2, 300), msg(3, 200), msg(4, 200)]
		const plan = planCompaction(active, { messages: 1, tokens: 100 }, limits)
		// Half the budget (500) minus the incoming 100 leaves room for the newest 400 tokens.
		expect(plan?.fold.map((m) => m.seq)).toEqual([1, 2])
		expect(plan?.upToSeq).toBe(2)
		expect(plan?.keptTokens).toBe(400)
	})

	it('folds an earlier summary into the new one', () => {
		const active = [
			msg(9, 100, { kind: 'summary', role: 'system' }),
			msg(1, 400),
			msg(2, 400),
			msg(3, 100),
		]
		const plan = planCompaction(active, { messages: 1, tokens: 200 }, limits)
		expect(plan?.fold.map((m) => m.seq)).toEqual([9, 1, 2])
	})

	it('compacts on message count as well as tokens', () => {
		const active = Array.from({ length: 12 }, (_, i) => msg(i + 1, 1))
		const plan = planCompaction(
			active,
			{ messages: 1, tokens: 1 },
			{ contextBudgetTokens: 1_000, maxMessages: 10 },
		)
		expect(plan?.fold).toHaveLength(8)
	})
})

describe('trimHeadTail', () => {
	it('keeps short text whole and cuts long text in the middle', () => {
		expect(trimHeadTail('short', 100)).toBe('short')
		const long = `${'a'.repeat(500)}${'b'.repeat(500)}`
		const cut = trimHeadTail(long, 200)
		expect(cut.length).toBeLessThanOrEqual(200)
		expect(cut.startsWith('aaaa')).toBe(true)
		expect(cut.endsWith('bbbb')).toBe(true)
		expect(cut).toMatch(/\[\d+ characters trimmed\]/)
	})

	it('applies to tool results only in the model view', () => {
		const view = toTurnMessages(
			[
				msg(1, 1000, {
					role: 'tool',
					content: [{ type: 'tool-result', callId: 'c', name: 't', result: 'x'.repeat(4_000) }],
				}),
				msg(2, 1000, { role: 'user' }),
				msg(3, 10, { role: 'system', kind: 'summary' }),
			],
			100,
		)
		const [tool, user] = [view[0]?.content[0], view[1]?.content[0]]
		expect(tool?.type === 'tool-result' && tool.result.length).toBeLessThanOrEqual(100)
		expect(user?.type === 'text' && user.text.length).toBe(4_000)
		expect(view[2]?.role).toBe('system')
	})
})

describe('offline summaries', () => {
	it('are deterministic, one line per message', async () => {
		const model = new OfflineLanguageModel()
		const result = await model.doGenerate({
			prompt: [
				{ role: 'system', content: 'summarise' },
				{ role: 'user', content: [{ type: 'text', text: 'hello   there' }] },
				{ role: 'assistant', content: [{ type: 'text', text: 'y'.repeat(200) }] },
			],
			providerOptions: SUMMARIZE_OPTION,
		})
		const text = result.content.map((p) => p.text).join('')
		expect(text).toBe(
			`Summary of 2 earlier messages:\n- user: hello there\n- assistant: ${'y'.repeat(117)}...`,
		)
	})
})

describe('compaction in a lane', () => {
	beforeAll(async () => {
		await createAgent(env.DB, 'small', { limits: { maxMessages: 10, contextBudgetTokens: 1_000 } })
	})

	it('folds older turns into a summary, counts it, and keeps originals for export', async () => {
		for (let i = 0; i < 8; i++)
			await send('cmp-1', { agent: 'small', content: `turn ${i}`, wait: true })
		const all = await messagesOf('cmp-1', 'small')
		const active = all.filter((m) => !m.compacted)
		expect(active.length).toBeLessThanOrEqual(10)
		const summaries = active.filter((m) => m.kind === 'summary')
		expect(summaries).toHaveLength(1)
		expect(summaries[0]?.text).toMatch(/^Summary of \d+ earlier messages:\n- user: turn 0\n/)
		// Nothing is lost: every original is still stored, marked compacted.
		expect(all.filter((m) => m.role === 'user').map((m) => m.text)).toEqual(
			Array.from({ length: 8 }, (_, i) => `turn ${i}`),
		)
		const info = (await (await admin('/v1/sessions/cmp-1?agent=small')).json()) as {
			compactions: number
			messages: { compacted: number }
		}
		expect(info.compactions).toBeGreaterThanOrEqual(1)
		expect(info.messages.compacted).toBeGreaterThan(0)
		const exported = (await (await admin('/v1/sessions/cmp-1/export?agent=small')).text())
			.trim()
			.split('\n')
		expect(exported.filter((l) => l.includes('"compacted":true')).length).toBe(
			info.messages.compacted,
		)
	})

	it('compacts on the token budget too', async () => {
		const big = 'z'.repeat(1_600)
		for (let i = 0; i < 3; i++)
			await send('cmp-2', { agent: 'small', content: `${i}${big}`, wait: true })
		const all = await messagesOf('cmp-2', 'small')
		expect(all.some((m) => m.kind === 'summary')).toBe(true)
		const activeTokens = all
			.filter((m) => !m.compacted)
			.reduce((n, m) => n + Math.ceil(m.text.length / 4), 0)
		expect(activeTokens).toBeLessThanOrEqual(1_000 + 200)
	})
})
