// The memory API: /v1/agents/{agentId}/memory — add, list (cursor), search (`q`, with the mode),
// read, forget; validation and not-found problems; the per-agent cap as 409 memory_full; audit
// rows without the text; who may read and write; another tenant's memories are unreachable.
import { env } from 'cloudflare:test'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { MEMORY_LIMITS } from '../../src/automation/memory/model'
import { as, key, tenant } from '../security/helpers'

const keys = {} as Record<'admin' | 'operator' | 'member' | 'viewer' | 'other', string>

beforeAll(async () => {
	await tenant('mapi-a')
	await tenant('mapi-b')
	for (const role of ['admin', 'operator', 'member', 'viewer'] as const) {
		keys[role] = (await key('mapi-a', role)).secret
	}
	keys.other = (await key('mapi-b', 'admin')).secret
})

const base = '/v1/agents/main/memory'
const add = (secret: string, body: unknown, path = base) =>
	as(secret, path, { method: 'POST', json: body })

interface MemoryBody {
	id: string
	text: string
	pinned: boolean
	scope: string
	user: string | null
	createdBy: string
}

describe('memory API', () => {
	it('adds, lists with a cursor, reads and forgets; each change audited without its text', async () => {
		const created: MemoryBody[] = []
		for (let i = 0; i < 3; i++) {
			const res = await add(keys.operator, {
				text: `fact number ${i}`,
				tags: ['t'],
				pinned: i === 0,
			})
			expect(res.status).toBe(201)
			created.push((await res.json()) as MemoryBody)
		}
		expect(created[0]).toMatchObject({ pinned: true, scope: 'agent', user: null })
		expect(created[0]?.createdBy).toMatch(/^key:/)

		const seen: string[] = []
		let cursor: string | null = null
		do {
			const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
			const res = await as(keys.viewer, `${base}?limit=2${query}`)
			expect(res.status).toBe(200)
			const page = (await res.json()) as { memories: MemoryBody[]; nextCursor: string | null }
			seen.push(...page.memories.map((m) => m.id))
			cursor = page.nextCursor
		} while (cursor)
		expect(seen).toEqual(created.map((m) => m.id).reverse())

		const one = await as(keys.member, `${base}/${created[1]?.id}`)
		expect(one.status).toBe(200)
		expect(((await one.json()) as MemoryBody).text).toBe('fact number 1')

		const gone = await as(keys.operator, `${base}/${created[1]?.id}`, { method: 'DELETE' })
		expect(gone.status).toBe(204)
		expect((await as(keys.operator, `${base}/${created[1]?.id}`)).status).toBe(404)
		expect(
			(await as(keys.operator, `${base}/${created[1]?.id}`, { method: 'DELETE' })).status,
		).toBe(404)

		const { results } = await env.DB.prepare(
			"SELECT action, target, data FROM audit_log WHERE tenant_id = 'mapi-a' AND action LIKE 'memory.%' ORDER BY seq",
		).all<{ action: string; target: string; data: string }>()
		expect(results.map((r) => r.action)).toEqual([
			'memory.created',
			'memory.created',
			'memory.created',
			'memory.deleted',
		])
		expect(results[3]?.target).toBe(`agent:main/memory:${created[1]?.id}`)
		for (const r of results) expect(r.data).not.toContain('fact number')
	})

	it('searches with q and says which mode answered; filters by scope and user', async () => {
		await add(keys.admin, {
			text: 'the wifi password rotates monthly',
			user: 'channel:telegram:42',
		})
		await add(keys.admin, { text: 'wifi is on floor two' })
		const res = await as(keys.viewer, `${base}?q=${encodeURIComponent('wifi')}`)
		const body = (await res.json()) as { mode: string; memories: MemoryBody[]; nextCursor: null }
		expect(body.mode).toBe('fulltext')
		expect(body.memories).toHaveLength(2)
		expect(body.nextCursor).toBeNull()

		const shared = (await (await as(keys.viewer, `${base}?q=wifi&scope=agent`)).json()) as {
			memories: MemoryBody[]
		}
		expect(shared.memories.map((m) => m.text)).toEqual(['wifi is on floor two'])
		const peer = (await (
			await as(keys.viewer, `${base}?user=${encodeURIComponent('channel:telegram:42')}`)
		).json()) as { memories: MemoryBody[] }
		expect(peer.memories.map((m) => [m.scope, m.user])).toEqual([['user', 'channel:telegram:42']])
	})

	it('refuses bad input with problems naming the field', async () => {
		const cases: [string, RequestInit & { json?: unknown }, number, string][] = [
			[base, { method: 'POST', json: { text: '' } }, 400, 'validation_failed'],
			[
				base,
				{ method: 'POST', json: { text: 'x'.repeat(MEMORY_LIMITS.textChars + 1) } },
				400,
				'validation_failed',
			],
			[base, { method: 'POST', json: { text: 'ok', extra: 1 } }, 400, 'validation_failed'],
			[base, { method: 'POST', json: { text: 'ok', tags: ['a<b'] } }, 400, 'validation_failed'],
			[base, { method: 'POST', json: { text: 'ok', user: 'nobody' } }, 400, 'validation_failed'],
			[`${base}?cursor=nope`, {}, 400, 'validation_failed'],
			[`${base}?scope=user`, {}, 400, 'validation_failed'],
			[`${base}?limit=0`, {}, 400, 'validation_failed'],
			['/v1/agents/no-such-agent/memory', {}, 404, 'not_found'],
			[
				'/v1/agents/no-such-agent/memory',
				{ method: 'POST', json: { text: 'x' } },
				404,
				'not_found',
			],
			[`${base}/missing`, {}, 404, 'not_found'],
		]
		for (const [path, init, status, code] of cases) {
			const res = await as(keys.admin, path, init)
			expect(res.status, path).toBe(status)
			const problem = (await res.json()) as { code: string; requestId: string }
			expect(problem.code, path).toBe(code)
			expect(problem.requestId).toBeTruthy()
		}
	})

	it('answers 409 memory_full once the agent holds the most it may', async () => {
		await tenant('mapi-full')
		const admin = (await key('mapi-full', 'admin')).secret
		await env.DB.prepare(
			`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			 INSERT INTO memories (id, tenant_id, agent_id, text, created_by)
			 SELECT 'full-' || i, 'mapi-full', 'main', 'filler', 'test' FROM n`,
		)
			.bind(MEMORY_LIMITS.perAgent)
			.run()
		const res = await add(admin, { text: 'one too many' })
		expect(res.status).toBe(409)
		expect(((await res.json()) as { code: string }).code).toBe('memory_full')
	})

	it('lets viewers and members read but only operators and admins write', async () => {
		for (const role of ['viewer', 'member'] as const) {
			expect((await add(keys[role], { text: 'nope' })).status).toBe(403)
			expect((await as(keys[role], `${base}/x`, { method: 'DELETE' })).status).toBe(403)
			expect((await as(keys[role], base)).status).toBe(200)
		}
		for (const role of ['operator', 'admin'] as const) {
			expect((await add(keys[role], { text: `by ${role}` })).status).toBe(201)
		}
	})

	it('never reaches another tenant’s memories (property)', async () => {
		const res = await add(keys.other, { text: 'tenant b secret plan', pinned: true })
		const foreign = (await res.json()) as MemoryBody
		await fc.assert(
			fc.asyncProperty(fc.string({ maxLength: 60 }), async (q) => {
				const query = q.trim() === '' ? 'secret' : q
				const r = await as(keys.admin, `${base}?q=${encodeURIComponent(query)}`)
				expect([200, 400]).toContain(r.status)
				expect(await r.text()).not.toContain('tenant b secret')
			}),
			{ numRuns: 40 },
		)
		expect((await as(keys.admin, `${base}/${foreign.id}`)).status).toBe(404)
		expect((await as(keys.admin, `${base}/${foreign.id}`, { method: 'DELETE' })).status).toBe(404)
		// Naming the other tenant is a 403, as for every route.
		const cross = await as(keys.admin, base, { headers: { 'x-edgeclaw-tenant': 'mapi-b' } })
		expect(cross.status).toBe(403)
		expect((await as(keys.other, `${base}/${foreign.id}`)).status).toBe(200)
	})
})
