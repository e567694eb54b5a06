// Agents as the hot path sees them: read from D1 once, then served from this isolate's memory for
// a short while, so a warm gateway does no D1 read per turn. Writes through this module drop the
// cached entry at once; other isolates see a change within the TTL.
import { type Agent, getAgent } from '../db/agents'
import type { Db } from '../db/client'
import type { AgentSnapshot } from './runner'

export const AGENT_CACHE_TTL_MS = 30_000
const MAX_ENTRIES = 5_000

interface Entry {
	agent: AgentSnapshot | null
	at: number
}

const cache = new Map<string, Entry>()

const key = (tenantId: string, agentId: string) => `${tenantId}/${agentId}`

export const snapshotOf = (a: Agent): AgentSnapshot => ({
	tenantId: a.tenantId,
	id: a.id,
	version: a.version,
	config: a.config,
})

/** The agent, or null when it does not exist (absence is cached too, briefly). */
export async function resolveAgent(
	db: Db,
	tenantId: string,
	agentId: string,
	now: number = Date.now(),
): Promise<AgentSnapshot | null> {
	const k = key(tenantId, agentId)
	const hit = cache.get(k)
	if (hit && now - hit.at < AGENT_CACHE_TTL_MS) return hit.agent
	const row = await getAgent(db, tenantId, agentId)
	const agent = row ? snapshotOf(row) : null
	if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string)
	cache.set(k, { agent, at: now })
	return agent
}

/** Drops a cached agent after a write. */
export function invalidateAgent(tenantId: string, agentId: string): void {
	cache.delete(key(tenantId, agentId))
}
