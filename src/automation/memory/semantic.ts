// Semantic recall through Vectorize and Workers AI embeddings, when both bindings are configured
// (production): each memory's text is embedded and upserted with its owner; a search embeds the
// query and asks Vectorize within the tenant's namespace, filtered to the owners the reader sees.
// Vectorize cannot run locally, so this is built against its binding's interface and tested
// with a fake at that boundary. Matches are always re-read from D1 by the caller (store.ts), so
// the index can never hand back a memory the reader may not see.
import type { MemoryOwner, MemoryView } from './model'

/** The Workers AI text-embedding model (768 dimensions, cosine): the index must be made for it. */
export const MEMORY_EMBEDDING_MODEL = '@cf/baai/bge-base-en-v1.5'
export const MEMORY_EMBEDDING_DIMENSIONS = 768

/** The part of the Vectorize binding memory uses. */
export type MemoryIndex = Pick<Vectorize, 'upsert' | 'query' | 'deleteByIds'>

/** The part of the Workers AI binding memory uses. */
export interface Embedder {
	run(model: string, input: { text: string[] }): Promise<unknown>
}

export interface SemanticMatch {
	id: string
	score: number
}

/**
 * The owner as one metadata value: SHA-256 hex of tenant, agent and user (64 bytes — exactly what
 * a Vectorize string metadata index holds, so two owners can never share an indexed prefix).
 */
export async function ownerKey(owner: MemoryOwner): Promise<string> {
	const bytes = new TextEncoder().encode(
		JSON.stringify([owner.tenantId, owner.agentId, owner.user]),
	)
	const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
	return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
}

export class SemanticMemory {
	readonly #index: MemoryIndex
	readonly #ai: Embedder

	constructor(index: MemoryIndex, ai: Embedder) {
		this.#index = index
		this.#ai = ai
	}

	async #embed(text: string): Promise<number[]> {
		const answer = (await this.#ai.run(MEMORY_EMBEDDING_MODEL, { text: [text] })) as {
			data?: unknown
		}
		const vector = Array.isArray(answer.data) ? answer.data[0] : undefined
		if (
			!Array.isArray(vector) ||
			vector.length !== MEMORY_EMBEDDING_DIMENSIONS ||
			!vector.every((v) => typeof v === 'number' && Number.isFinite(v))
		) {
			throw new Error(
				`${MEMORY_EMBEDDING_MODEL} returned no ${MEMORY_EMBEDDING_DIMENSIONS}-d vector`,
			)
		}
		return vector as number[]
	}

	/** Indexes (or re-indexes) one memory under its owner, in the tenant's namespace. */
	async upsert(owner: MemoryOwner, id: string, text: string): Promise<void> {
		const values = await this.#embed(text)
		await this.#index.upsert([
			{
				id,
				values,
				namespace: owner.tenantId,
				metadata: { tenant: owner.tenantId, agent: owner.agentId, owner: await ownerKey(owner) },
			},
		])
	}

	async remove(ids: readonly string[]): Promise<void> {
		if (ids.length > 0) await this.#index.deleteByIds([...ids])
	}

	/** The nearest memories of the owners `view` sees, best first. */
	async query(view: MemoryView, text: string, topK: number): Promise<SemanticMatch[]> {
		const values = await this.#embed(text)
		// Every user of the agent (the API's view) is matched by agent; else by exact owners.
		const owners =
			view.users === null
				? undefined
				: await Promise.all(
						view.users.map((user) =>
							ownerKey({ tenantId: view.tenantId, agentId: view.agentId, user }),
						),
					)
		const { matches } = await this.#index.query(values, {
			topK,
			namespace: view.tenantId,
			returnMetadata: 'none',
			filter: owners
				? { tenant: view.tenantId, owner: { $in: owners } }
				: { tenant: view.tenantId, agent: view.agentId },
		})
		return matches.map((m) => ({ id: m.id, score: m.score }))
	}
}
