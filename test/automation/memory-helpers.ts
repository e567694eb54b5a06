// Helpers for the memory tests: tenants with agents, a service over the test D1, and fakes of
// the Vectorize and Workers AI bindings that behave like them at their interfaces.
import { env } from 'cloudflare:test'
import type { Embedder, MemoryIndex } from '../../src/automation/memory/semantic'
import { MEMORY_EMBEDDING_DIMENSIONS } from '../../src/automation/memory/semantic'
import { MemoryService } from '../../src/automation/memory/service'
import { silentLogger } from '../fakes/logs'

export async function tenantWithAgents(tenantId: string, agents: readonly string[]): Promise<void> {
	await env.DB.prepare('INSERT OR IGNORE INTO tenants (id, name) VALUES (?, ?)')
		.bind(tenantId, tenantId)
		.run()
	for (const agent of agents) {
		await env.DB.prepare(
			`INSERT OR IGNORE INTO agents (tenant_id, id, name, config) VALUES (?, ?, ?, '{"model":{"primary":"offline:echo"}}')`,
		)
			.bind(tenantId, agent, agent)
			.run()
	}
}

/** A service over the test D1; `background` collects index writes to await. */
export function memoryService(extra: Partial<ConstructorParameters<typeof MemoryService>[0]> = {}) {
	const background: Promise<unknown>[] = []
	const service = new MemoryService(
		{ DB: env.DB, ...extra },
		{ logger: silentLogger(), waitUntil: (p) => background.push(p) },
	)
	return { service, settled: () => Promise.all(background) }
}

/**
 * A deterministic embedding: each word, stripped of a trailing "s" (a crude stem, so it relates
 * "boats" to "boat" where FTS does not), adds 1 to a dimension chosen by its hash; texts that
 * share no stem are orthogonal.
 */
export const fakeAi = (): Embedder & { calls: number } => {
	const ai = {
		calls: 0,
		async run(_model: string, input: { text: string[] }) {
			ai.calls++
			return {
				shape: [input.text.length, MEMORY_EMBEDDING_DIMENSIONS],
				data: input.text.map((text) => {
					const v = new Array<number>(MEMORY_EMBEDDING_DIMENSIONS).fill(0)
					for (const [word] of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
						const w = word.replace(/s$/, '')
						let h = 0
						for (const ch of w) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0
						v[h % MEMORY_EMBEDDING_DIMENSIONS] = (v[h % MEMORY_EMBEDDING_DIMENSIONS] ?? 0) + 1
					}
					return v
				}),
			}
		},
	}
	return ai
}

interface Stored {
	id: string
	values: number[]
	namespace: string | undefined
	metadata: Record<string, VectorizeVectorMetadata>
}

/**
 * An in-memory Vectorize index: namespaces partition it, and a query's metadata filter (`$eq`
 * by plain value and `$in`) is applied as Vectorize applies it; cosine similarity ranks.
 */
export function fakeVectorize() {
	const vectors = new Map<string, Stored>()
	const queries: VectorizeQueryOptions[] = []
	const matches = (
		meta: Record<string, VectorizeVectorMetadata>,
		filter: VectorizeVectorMetadataFilter,
	) =>
		Object.entries(filter).every(([field, cond]) => {
			const value = meta[field]
			if (cond !== null && typeof cond === 'object' && '$in' in cond) {
				return (cond.$in as unknown[]).includes(value)
			}
			return value === cond
		})
	const cosine = (a: number[], b: number[]) => {
		let dot = 0
		let na = 0
		let nb = 0
		a.forEach((x, i) => {
			const y = b[i] ?? 0
			dot += x * y
			na += x * x
			nb += y * y
		})
		return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
	}
	const index: MemoryIndex & {
		vectors: Map<string, Stored>
		queries: typeof queries
		failing: boolean
	} = {
		vectors,
		queries,
		failing: false,
		async upsert(list) {
			for (const v of list) {
				vectors.set(v.id, {
					id: v.id,
					values: [...v.values],
					namespace: v.namespace,
					metadata: (v.metadata ?? {}) as Record<string, VectorizeVectorMetadata>,
				})
			}
			return { mutationId: crypto.randomUUID() }
		},
		async deleteByIds(ids) {
			for (const id of ids) vectors.delete(id)
			return { mutationId: crypto.randomUUID() }
		},
		async query(values, options = {}) {
			if (index.failing) throw new Error('VECTOR_QUERY_ERROR (code = 40006)')
			queries.push(options)
			const found = [...vectors.values()]
				.filter((v) => v.namespace === options.namespace)
				.filter((v) => !options.filter || matches(v.metadata, options.filter))
				.map((v) => ({ id: v.id, score: cosine([...values], v.values) }))
				.filter((m) => m.score > 0)
				.sort((a, b) => b.score - a.score)
				.slice(0, options.topK ?? 5)
			return { matches: found, count: found.length }
		},
	}
	return index
}
