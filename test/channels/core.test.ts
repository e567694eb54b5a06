// The channel core's pure rules: chunking, routing, who may talk, approval commands, pairing codes
// and what a platform's HTTP answer means for a delivery.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { chunkText } from '../../src/channels/chunk'
import { ChannelCommon } from '../../src/channels/config'
import { retryAfterOf, sendResultOf } from '../../src/channels/http'
import { PAIRING_ALPHABET, PAIRING_CODE, pairingCode } from '../../src/channels/pairing'
import { admissionOf, approvalCommand, routeOf } from '../../src/channels/routing'
import { SessionKey } from '../../src/lanes/name'

const FENCE_LINE = /^\s{0,3}(`{3,}|~{3,})/

describe('chunkText', () => {
	it('keeps a short text whole and drops blank input', () => {
		expect(chunkText('  hello  ', 4096)).toEqual(['hello'])
		expect(chunkText(' \n\n ', 4096)).toEqual([])
	})

	it('splits at paragraph boundaries first', () => {
		const a = 'a'.repeat(60)
		const b = 'b'.repeat(60)
		expect(chunkText(`${a}\n\n${b}`, 100)).toEqual([a, b])
	})

	it('splits a long paragraph at a sentence end before a space', () => {
		const text = `${'First sentence is here. '.repeat(3)}Second part without a stop ${'x '.repeat(20)}`
		const chunks = chunkText(text, 80)
		expect(chunks[0]?.endsWith('.')).toBe(true)
		for (const c of chunks) expect(c.length).toBeLessThanOrEqual(80)
	})

	it('never splits a code block that fits one message', () => {
		const fence = [
			'```ts',
			...Array.from({ length: 8 }, (_, i) => `const v${i} = ${i}`),
			'```',
		].join('\n')
		const text = `${'p'.repeat(70)}\n\n${fence}\n\n${'q'.repeat(70)}`
		const chunks = chunkText(text, 200)
		expect(chunks.filter((c) => c.includes(fence))).toHaveLength(1)
	})

	it('reopens and closes the fence in every piece of an oversized code block', () => {
		const body = Array.from({ length: 100 }, (_, i) => `line ${i} ${'z'.repeat(20)}`)
		const chunks = chunkText(['```py', ...body, '```'].join('\n'), 300)
		expect(chunks.length).toBeGreaterThan(5)
		for (const c of chunks) {
			expect(c.length).toBeLessThanOrEqual(300)
			expect(c.startsWith('```py\n')).toBe(true)
			expect(c.endsWith('\n```')).toBe(true)
		}
		const lines = chunks.flatMap((c) => c.split('\n').slice(1, -1))
		expect(lines).toEqual(body)
	})

	it('property: every chunk fits, none is empty, fences balance, and no text is lost', () => {
		const word = fc.oneof(
			fc.constantFrom('alpha', 'beta.', 'gamma!', 'δέλτα', '😀', 'x'.repeat(50), ''),
			fc.string({ maxLength: 12 }).map((w) => w.replace(/[`~]/g, '')),
		)
		// Lines of prose, blank lines and fence lines (with a fixed info string, so the only text
		// chunking may add is a fence line itself).
		const line = fc.oneof(
			{ weight: 6, arbitrary: fc.array(word, { maxLength: 30 }).map((ws) => ws.join(' ')) },
			{ weight: 1, arbitrary: fc.constantFrom('', '```', '```js') },
		)
		fc.assert(
			fc.property(
				fc.array(line, { maxLength: 60 }),
				fc.integer({ min: 16, max: 400 }),
				(lines, limit) => {
					const text = lines.join('\n')
					const chunks = chunkText(text, limit)
					for (const c of chunks) {
						expect(c.length).toBeLessThanOrEqual(limit)
						expect(c.trim()).not.toBe('')
					}
					const squash = (s: string) => s.replace(/\s+/g, '')
					const fenceless = (s: string) =>
						s
							.split('\n')
							.filter((l) => !FENCE_LINE.test(l))
							.join('\n')
					// Fences may be added (reopened pieces); all other characters survive, in order.
					expect(squash(fenceless(chunks.join('\n')))).toBe(squash(fenceless(text)))
				},
			),
			{ numRuns: 300 },
		)
	})
})

const config = (over: Record<string, unknown> = {}) => ChannelCommon.parse(over)
const channel = { tenantId: 't1', id: 'tg', agentId: 'main' }

describe('routing', () => {
	it('derives <channel>:<peerKind>:<peerId>[:<thread>] and shares DMs under dmScope main', () => {
		expect(routeOf(channel, config(), { peer: { kind: 'dm', id: '42' } })).toEqual({
			agentId: 'main',
			sessionKey: 'tg:dm:42',
		})
		expect(
			routeOf(channel, config(), { peer: { kind: 'group', id: '-100123' }, thread: '7' })
				.sessionKey,
		).toBe('tg:group:-100123:7')
		expect(
			routeOf(channel, config({ dmScope: 'main' }), { peer: { kind: 'dm', id: '42' } }).sessionKey,
		).toBe('tg:dm:main')
	})

	it('bindings route a peer, then a workspace, to another agent', () => {
		const c = config({
			bindings: [
				{ peer: { kind: 'channel', id: 'C1' }, agent: 'ops' },
				{ space: 'T9', agent: 'team' },
			],
		})
		expect(routeOf(channel, c, { peer: { kind: 'channel', id: 'C1' }, space: 'T9' }).agentId).toBe(
			'ops',
		)
		expect(routeOf(channel, c, { peer: { kind: 'channel', id: 'C2' }, space: 'T9' }).agentId).toBe(
			'team',
		)
		expect(routeOf(channel, c, { peer: { kind: 'channel', id: 'C2' }, space: 'T1' }).agentId).toBe(
			'main',
		)
	})

	it('property: any platform id yields a valid session key under the channel, never another one', () => {
		fc.assert(
			fc.property(
				fc.constantFrom('dm', 'group', 'channel'),
				fc.string({ minLength: 1, maxLength: 100 }),
				fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
				(kind, id, thread) => {
					const route = routeOf(channel, config(), {
						peer: { kind, id },
						...(thread && { thread }),
					})
					expect(SessionKey.safeParse(route.sessionKey).success).toBe(true)
					expect(route.sessionKey.startsWith(`tg:${kind}:`)).toBe(true)
				},
			),
		)
	})

	it('distinct peers never share a session', () => {
		fc.assert(
			fc.property(
				fc.string({ minLength: 1, maxLength: 30 }),
				fc.string({ minLength: 1, maxLength: 30 }),
				(a, b) => {
					fc.pre(a !== b)
					const ka = routeOf(channel, config(), { peer: { kind: 'dm', id: a } }).sessionKey
					const kb = routeOf(channel, config(), { peer: { kind: 'dm', id: b } }).sessionKey
					expect(ka).not.toBe(kb)
				},
			),
		)
	})
})

describe('admission', () => {
	const dm = (sender: string, text = 'hi') => ({
		peer: { kind: 'dm' as const, id: sender },
		sender: { id: sender },
		mentioned: true,
		text,
	})
	const group = (id: string, mentioned: boolean, text = 'hi') => ({
		peer: { kind: 'group' as const, id },
		sender: { id: 'u1' },
		mentioned,
		text,
	})

	it('DMs follow dmPolicy: pairing for strangers, allowFrom and paired senders admitted', () => {
		expect(admissionOf(config(), dm('9'), false)).toEqual({ kind: 'pair' })
		expect(admissionOf(config(), dm('9'), true).kind).toBe('admit')
		expect(admissionOf(config({ allowFrom: ['9'] }), dm('9'), false).kind).toBe('admit')
		expect(admissionOf(config({ dmPolicy: 'allowlist' }), dm('9'), false).kind).toBe('drop')
		expect(admissionOf(config({ dmPolicy: 'open' }), dm('9'), false).kind).toBe('admit')
		expect(
			admissionOf(config({ dmPolicy: 'disabled', allowFrom: ['9'] }), dm('9'), true).kind,
		).toBe('drop')
	})

	it('groups need the allowlist and a mention (or the prefix, which is stripped)', () => {
		expect(admissionOf(config(), group('g1', true), false).kind).toBe('drop')
		expect(admissionOf(config({ groups: ['g1'] }), group('g1', false), false).kind).toBe('drop')
		expect(admissionOf(config({ groups: ['g1'] }), group('g1', true), false).kind).toBe('admit')
		expect(
			admissionOf(
				config({ groupPolicy: 'open', mentionPrefix: '!ai' }),
				group('g2', false, '!ai  hello'),
				false,
			),
		).toEqual({ kind: 'admit', text: 'hello' })
		expect(
			admissionOf(config({ groupPolicy: 'open', requireMention: false }), group('g2', false), false)
				.kind,
		).toBe('admit')
		expect(
			admissionOf(config({ groupPolicy: 'disabled', groups: ['g1'] }), group('g1', true), false)
				.kind,
		).toBe('drop')
	})
})

describe('approval commands', () => {
	it('reads /approve <id> [once|always] and /deny <id>', () => {
		const id = '3f1c2a9e-0b7d-4c8e-9a51-5d2f6e7a8b90'
		expect(approvalCommand(`/approve ${id}`)).toEqual({ approvalId: id, choice: 'once' })
		expect(approvalCommand(`/approve ${id} always`)).toEqual({ approvalId: id, choice: 'always' })
		expect(approvalCommand(`/DENY ${id}`)).toEqual({ approvalId: id, choice: 'deny' })
		expect(approvalCommand('/approve')).toBeUndefined()
		expect(approvalCommand(`please /approve ${id}`)).toBeUndefined()
	})
})

describe('pairing codes', () => {
	it('are 8 characters without 0, O, 1 or I, and use every symbol', () => {
		expect(PAIRING_ALPHABET).toHaveLength(32)
		for (const c of '0O1I') expect(PAIRING_ALPHABET).not.toContain(c)
		const seen = new Set<string>()
		for (let i = 0; i < 500; i++) {
			const code = pairingCode()
			expect(code).toMatch(PAIRING_CODE)
			for (const c of code) seen.add(c)
		}
		expect(seen.size).toBe(32)
	})

	it('map bytes without bias (the low five bits pick the symbol)', () => {
		expect(pairingCode((b) => b.fill(0))).toBe('AAAAAAAA')
		expect(pairingCode((b) => b.fill(255))).toBe('99999999')
		expect(pairingCode((b) => b.fill(32))).toBe('AAAAAAAA')
	})
})

describe('send results', () => {
	it('2xx sent; 429 waits as asked; 5xx retryable; other 4xx permanent', async () => {
		expect(await sendResultOf(new Response('{}'), 'x')).toEqual({ ok: true })
		const limited = await sendResultOf(
			new Response('{"ok":false,"parameters":{"retry_after":7}}', { status: 429 }),
			'x',
		)
		expect(limited).toMatchObject({ ok: false, retryAfterMs: 7_000 })
		expect(limited).not.toHaveProperty('permanent')
		expect(
			await sendResultOf(new Response('', { status: 429, headers: { 'retry-after': '3' } }), 'x'),
		).toMatchObject({ retryAfterMs: 3_000 })
		expect(await sendResultOf(new Response('down', { status: 502 }), 'x')).not.toHaveProperty(
			'permanent',
		)
		expect(await sendResultOf(new Response('bad', { status: 400 }), 'x')).toMatchObject({
			ok: false,
			permanent: true,
		})
	})

	it('reads Retry-After as seconds or a date, capped at five minutes', () => {
		const now = Date.parse('2026-01-01T00:00:00Z')
		expect(retryAfterOf(new Headers({ 'retry-after': '1.5' }), '', now)).toBe(1_500)
		expect(
			retryAfterOf(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }), '', now),
		).toBe(10_000)
		expect(retryAfterOf(new Headers({ 'retry-after': '99999' }), '', now)).toBe(300_000)
		expect(retryAfterOf(new Headers(), '{"retry_after":0.25}', now)).toBe(250)
		expect(retryAfterOf(new Headers(), 'not json', now)).toBeUndefined()
	})
})
