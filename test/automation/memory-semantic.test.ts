// Semantic recall at the Vectorize and Workers AI boundary (neither runs locally): fakes of both
// bindings behave like them at their interfaces. Writes are embedded and upserted under the
// tenant's namespace with owner metadata; searches fuse FTS and Vectorize (`hybrid`), answer
// from Vectorize alone when no word matches (`semantic`), and fall back to FTS when Vectorize
// fails (`fulltext`); forgetting deletes the vector; nothing foreign ever comes back.
import { describe, expect, it } from 'vitest'
import { viewOf } from '../../src/automation/memory/model'
import { MEMORY_EMBEDDING_MODEL, ownerKey } from '../../src/automation/memory/semantic'
import { fakeAi, fakeVectorize, memoryService, tenantWithAgents } from './memory-helpers'

await tenantWithAgents('sem-a', ['main'])
await tenantWithAgents('sem-b', ['main'])

const by = { createdBy: 'test', tags: [], pinned: false }
const a = { tenantId: 'sem-a', agentId: 'main', user: '' }
const b = { tenantId: 'sem-b', agentId: 'main', user: '' }

describe('semantic memory', () => {
	it('upserts each write with its owner in the tenant namespace, and deletes it on forget', async () => {
		const index = fakeVectorize()
		const ai = fakeAi()
		const { service, settled } = memoryService({ MEMORY_INDEX: index, AI: ai })
		expect(service.semantic).toBe(true)
		const m = await service.write(a, { ...by, text: 'the lighthouse keeper' })
		await settled()
		expect(index.vectors.get(m.id)).toMatchObject({
			namespace: 'sem-a',
			metadata: { tenant: 'sem-a', agent: 'main', owner: await ownerKey(a) },
		})
		expect(index.vectors.get(m.id)?.values).toHaveLength(768)
		expect(await service.forget(viewOf(a), m.id)).toBe(true)
		await settled()
		expect(index.vectors.has(m.id)).toBe(false)
	})

	it('answers hybrid, semantic or fulltext and says which', async () => {
		const index = fakeVectorize()
		const { service, settled } = memoryService({ MEMORY_INDEX: index, AI: fakeAi() })
		const boat = await service.write(a, { ...by, text: 'sailing boat harbour' })
		await service.write(a, { ...by, text: 'mountain hiking boots' })
		await settled()

		const hybrid = await service.search(viewOf(a), 'boat', 5)
		expect(hybrid.mode).toBe('hybrid')
		expect(hybrid.results[0]?.id).toBe(boat.id)

		// "boats" is no prefix of any word of a memory, so FTS finds nothing; Vectorize relates it.
		const semantic = await service.search(viewOf(a), 'boats', 5)
		expect(semantic.mode).toBe('semantic')
		expect(semantic.results.map((r) => r.id)).toEqual([boat.id])

		index.failing = true
		const fallback = await service.search(viewOf(a), 'boat', 5)
		expect(fallback.mode).toBe('fulltext')
		expect(fallback.results.map((r) => r.id)).toEqual([boat.id])
	})

	it('asks Vectorize only within the tenant namespace and the reader’s owners', async () => {
		const index = fakeVectorize()
		const { service, settled } = memoryService({ MEMORY_INDEX: index, AI: fakeAi() })
		await service.write(b, { ...by, text: 'secret formula of tenant b' })
		const user = { ...a, user: 'jwt:alice' }
		await service.search(viewOf(user), 'formula', 5)
		await settled()
		expect(index.queries.at(-1)).toMatchObject({
			namespace: 'sem-a',
			filter: {
				tenant: 'sem-a',
				owner: { $in: [await ownerKey(a), await ownerKey(user)] },
			},
		})
		const answer = await service.search(viewOf(a), 'formula', 5)
		expect(answer.results).toEqual([])
	})

	it('drops matches D1 does not confirm for the reader (a foreign or stale vector)', async () => {
		const index = fakeVectorize()
		const { service, settled } = memoryService({ MEMORY_INDEX: index, AI: fakeAi() })
		const foreign = await service.write(b, { ...by, text: 'penguin colony' })
		await settled()
		// A vector filed under the wrong tenant (a misconfigured index) still cannot leak: its id is
		// re-read from D1 under the reader's tenant and agent.
		const stored = index.vectors.get(foreign.id)
		if (!stored) throw new Error('not indexed')
		index.vectors.set(foreign.id, {
			...stored,
			namespace: 'sem-a',
			metadata: { tenant: 'sem-a', agent: 'main', owner: await ownerKey(a) },
		})
		const answer = await service.search(viewOf(a), 'penguin', 5)
		expect(answer.results).toEqual([])
	})

	it('embeds with the Workers AI model the index is made for, and keeps a write when indexing fails', async () => {
		const calls: string[] = []
		const broken = {
			run: async (model: string) => {
				calls.push(model)
				return { data: [[1, 2, 3]] }
			},
		}
		const { service, settled } = memoryService({ MEMORY_INDEX: fakeVectorize(), AI: broken })
		const m = await service.write(a, { ...by, text: 'kept in D1 even so' })
		await settled()
		expect(calls).toEqual([MEMORY_EMBEDDING_MODEL])
		expect(await service.get(viewOf(a), m.id)).not.toBeNull()
		// The query embedding fails too: the search still answers, from FTS.
		expect((await service.search(viewOf(a), 'kept', 5)).mode).toBe('fulltext')
		expect(calls).toHaveLength(2)
	})

	it('is fulltext only without the Vectorize binding (or without Workers AI)', async () => {
		expect(memoryService().service.semantic).toBe(false)
		expect(memoryService({ AI: fakeAi() }).service.semantic).toBe(false)
		expect(memoryService({ MEMORY_INDEX: fakeVectorize() }).service.semantic).toBe(false)
	})
})
