// Agent memory as one service over a deployment's bindings: D1 always (rows and FTS5), plus
// Vectorize and Workers AI when both are bound. Tools, the API and the lane all go through it.
// Every answer of a search says which mode produced it; a semantic failure falls back to FTS.
import type { Logger } from '../../observability/logger'
import {
	MEMORY_LIMITS,
	type Memory,
	MemoryError,
	type MemoryHit,
	type MemoryInput,
	type MemoryOwner,
	type MemoryView,
	type SearchAnswer,
} from './model'
import { type PinnedBlock, pinnedBlock } from './pinned'
import { type Embedder, type MemoryIndex, SemanticMemory } from './semantic'
import {
	deleteMemory,
	getMemories,
	getMemory,
	insertMemory,
	listMemories,
	pinnedMemories,
	searchFulltext,
	updateMemory,
} from './store'

/** The bindings memory uses: D1, and optionally the Vectorize index and Workers AI. */
export interface MemoryEnv {
	DB: D1Database
	AI?: Embedder | undefined
	MEMORY_INDEX?: MemoryIndex | undefined
}

export interface MemoryServiceOptions {
	logger: Logger
	/** Keeps index writes alive after the answer (the Worker's or the object's waitUntil). */
	waitUntil(promise: Promise<unknown>): void
	now?: () => number
	newId?: () => string
}

export interface MemoryWrite extends MemoryInput {
	/** Replaces the owner's memory of this id instead of adding one. */
	id?: string | undefined
	createdBy: string
	sourceSession?: string | undefined
	sourceRun?: string | undefined
}

/** Pinned memories considered for the prompt (the budget usually stops well before). */
const PINNED_CANDIDATES = 100
/** Reciprocal-rank fusion constant (the usual 60): ranks, not raw scores, are fused. */
const RRF_K = 60

export class MemoryService {
	readonly #db: D1Database
	readonly #semantic: SemanticMemory | undefined
	readonly #options: MemoryServiceOptions
	readonly #now: () => number
	readonly #newId: () => string

	constructor(env: MemoryEnv, options: MemoryServiceOptions) {
		this.#db = env.DB
		this.#semantic =
			env.MEMORY_INDEX && env.AI ? new SemanticMemory(env.MEMORY_INDEX, env.AI) : undefined
		this.#options = options
		this.#now = options.now ?? Date.now
		this.#newId = options.newId ?? (() => crypto.randomUUID())
	}

	/** True when searches may answer `semantic` or `hybrid`. */
	get semantic(): boolean {
		return this.#semantic !== undefined
	}

	async write(owner: MemoryOwner, input: MemoryWrite): Promise<Memory> {
		const now = this.#now()
		let memory: Memory
		if (input.id !== undefined) {
			const updated = await updateMemory(this.#db, owner, input.id, { ...input, now })
			if (!updated) {
				throw new MemoryError('memory_not_found', `No memory "${input.id}" to update.`)
			}
			memory = updated
		} else {
			memory = await insertMemory(this.#db, owner, { ...input, id: this.#newId(), now })
		}
		this.#index((s) => s.upsert(owner, memory.id, memory.text), memory.id)
		return memory
	}

	get(view: MemoryView, id: string): Promise<Memory | null> {
		return getMemory(this.#db, view, id)
	}

	async forget(view: MemoryView, id: string): Promise<boolean> {
		const gone = await deleteMemory(this.#db, view, id)
		if (gone) this.#index((s) => s.remove([id]), id)
		return gone
	}

	list(view: MemoryView, page: { limit: number; before?: number | undefined }) {
		return listMemories(this.#db, view, page)
	}

	/** FTS5 alone, or fused with Vectorize when it is bound and answers. */
	async search(view: MemoryView, query: string, limit: number): Promise<SearchAnswer> {
		const top = Math.min(limit, MEMORY_LIMITS.maxResults)
		const fulltext = searchFulltext(this.#db, view, query, top)
		if (!this.#semantic) return { mode: 'fulltext', results: await fulltext }
		const [text, nearest] = await Promise.all([
			fulltext,
			this.#semantic.query(view, query, top).catch((error: unknown) => {
				this.#options.logger.warn('memory.semantic_failed', { error })
				return undefined
			}),
		])
		if (nearest === undefined) return { mode: 'fulltext', results: text }
		// Vectorize names ids; D1 says whether the reader may see them, and what they say now.
		const rows = await getMemories(
			this.#db,
			view,
			nearest.map((m) => m.id),
		)
		const byId = new Map(rows.map((m) => [m.id, m]))
		const semantic: MemoryHit[] = nearest.flatMap((m) => {
			const memory = byId.get(m.id)
			return memory ? [{ ...memory, score: m.score }] : []
		})
		if (text.length === 0) return { mode: 'semantic', results: semantic }
		return { mode: 'hybrid', results: fuse(text, semantic, top) }
	}

	/** The pinned memories `view` sees, cut to `budgetTokens` for the system prompt. */
	async pinned(view: MemoryView, budgetTokens: number): Promise<PinnedBlock> {
		if (budgetTokens <= 0) return pinnedBlock([], 0)
		return pinnedBlock(await pinnedMemories(this.#db, view, PINNED_CANDIDATES), budgetTokens)
	}

	/** Index maintenance runs after the answer: D1 is the record, the index follows it. */
	#index(task: (semantic: SemanticMemory) => Promise<void>, id: string): void {
		const semantic = this.#semantic
		if (!semantic) return
		this.#options.waitUntil(
			task(semantic).catch((error: unknown) =>
				this.#options.logger.warn('memory.index_failed', { id, error }),
			),
		)
	}
}

/** Reciprocal-rank fusion of two rankings: a memory both found rises above one either found. */
function fuse(a: readonly MemoryHit[], b: readonly MemoryHit[], limit: number): MemoryHit[] {
	const scores = new Map<string, { hit: MemoryHit; score: number }>()
	for (const list of [a, b]) {
		list.forEach((hit, rank) => {
			const entry = scores.get(hit.id) ?? { hit, score: 0 }
			entry.score += 1 / (RRF_K + rank + 1)
			scores.set(hit.id, entry)
		})
	}
	return [...scores.values()]
		.sort((x, y) => y.score - x.score || x.hit.id.localeCompare(y.hit.id))
		.slice(0, limit)
		.map(({ hit, score }) => ({ ...hit, score }))
}
