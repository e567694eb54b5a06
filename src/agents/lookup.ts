// Agents as the hot path sees them: read from D1 once per isolate and TTL, then from memory.

import { TtlCache } from '../db/cache'
import type { Db } from '../db/client'
import type { AgentSnapshot } from './runner'
import { type Agent, getAgent } from './store'

export const AGENT_CACHE_TTL_MS = 30_000

const cache = new TtlCache<AgentSnapshot | null>(AGENT_CACHE_TTL_MS)
const key = (tenantId: string, agentId: string) => `${tenantId}/${agentId}`

export const snapshotOf = (a: Agent): AgentSnapshot => ({
	tenantId: a.tenantId,
	id: a.id,
	version: a.version,
	config: a.config,
})

/** The agent, or null when it does not exist (absence is cached too, briefly). */
export function resolveAgent(
	db: Db,
	tenantId: string,
	agentId: string,
): Promise<AgentSnapshot | null> {
	return cache.get(key(tenantId, agentId), async () => {
		const row = await getAgent(db, tenantId, agentId)
		return row ? snapshotOf(row) : null
	})
}

/** Drops a cached agent after a write. */
export function invalidateAgent(tenantId: string, agentId: string): void {
	cache.delete(key(tenantId, agentId))
}
