// Memory as a tool sees it: one capability bound to the run's tenant, agent and user, so a tool
// cannot name another owner. The host (the toolbox) builds it per call; it also serves the
// pinned-memory block of a turn from a short per-isolate cache that its own writes invalidate.
import { TtlCache } from '../../db/cache'
import type { MemoryConfig } from './config'
import type { Memory, MemoryInput, MemoryOwner, SearchAnswer } from './model'
import { viewOf } from './model'
import type { PinnedBlock } from './pinned'
import type { MemoryService } from './service'

export interface MemoryAccess {
	/** `agent`: the agent's shared memory; `user`: the run's starter's own (plus the shared). */
	readonly scope: 'agent' | 'user'
	write(input: MemoryInput & { id?: string | undefined }): Promise<Memory>
	search(query: string, limit: number): Promise<SearchAnswer>
	get(id: string): Promise<Memory | null>
	forget(id: string): Promise<boolean>
}

/**
 * The owner of a run's memory: the agent's shared memory, or with `scope: user` the memory of
 * the user who started the run (the actor string: `channel:<channel>:<peer>`, `jwt:<sub>`, …).
 */
export function memoryOwner(
	config: MemoryConfig | undefined,
	session: { tenantId: string; agentId: string },
	user: string,
): MemoryOwner {
	return {
		tenantId: session.tenantId,
		agentId: session.agentId,
		user: config?.scope === 'user' ? user : '',
	}
}

export function memoryAccess(
	service: MemoryService,
	owner: MemoryOwner,
	source: { sessionKey: string; runId: string },
): MemoryAccess {
	const view = viewOf(owner)
	return {
		scope: owner.user === '' ? 'agent' : 'user',
		async write(input) {
			const memory = await service.write(owner, {
				...input,
				createdBy: `agent:${owner.agentId}`,
				sourceSession: source.sessionKey,
				sourceRun: source.runId,
			})
			memoryChanged(owner)
			return memory
		},
		search: (query, limit) => service.search(view, query, limit),
		get: (id) => service.get(view, id),
		async forget(id) {
			// A user-scoped run forgets only its user's memories, never the shared ones.
			const own = { tenantId: owner.tenantId, agentId: owner.agentId, users: [owner.user] }
			const gone = await service.forget(own, id)
			if (gone) memoryChanged(owner)
			return gone
		},
	}
}

/** Pinned blocks are read at most once per owner and TTL per isolate (like agent configs). */
export const PINNED_CACHE_TTL_MS = 30_000
let pinnedCache = new TtlCache<PinnedBlock>(PINNED_CACHE_TTL_MS)
/** Bumped by every change of an agent's memory in this isolate: its cached blocks go stale. */
const generations = new Map<string, number>()
/** Agents whose generations an isolate keeps; past it both maps start over (nothing stale). */
const MAX_GENERATIONS = 10_000
const agentKey = (o: { tenantId: string; agentId: string }) => `${o.tenantId}/${o.agentId}`

/** Call after any change of an agent's memory (tools, API) in this isolate. */
export function memoryChanged(owner: { tenantId: string; agentId: string }): void {
	const key = agentKey(owner)
	if (!generations.has(key) && generations.size >= MAX_GENERATIONS) {
		generations.clear()
		pinnedCache = new TtlCache<PinnedBlock>(PINNED_CACHE_TTL_MS)
	}
	generations.set(key, (generations.get(key) ?? 0) + 1)
}

/** The turn's pinned block: from the cache, or one D1 read. */
export function cachedPinned(
	service: MemoryService,
	owner: MemoryOwner,
	budgetTokens: number,
): Promise<PinnedBlock> {
	const generation = generations.get(agentKey(owner)) ?? 0
	const key = JSON.stringify([owner.tenantId, owner.agentId, owner.user, budgetTokens, generation])
	return pinnedCache.get(key, () => service.pinned(viewOf(owner), budgetTokens))
}
