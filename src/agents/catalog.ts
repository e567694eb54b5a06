// Agents read from D1, always scoped by tenant. Config is validated on the way out so a bad row can
// never reach the runner unnoticed.
import { and, asc, eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { type AgentRow, agents } from '../db/schema'
import { AgentConfig } from './config'

export interface Agent extends Omit<AgentRow, 'config'> {
	config: AgentConfig
}

/** Thrown when a stored config no longer satisfies the schema. */
export class InvalidAgentConfigError extends Error {
	override readonly name = 'InvalidAgentConfigError'
	readonly tenantId: string
	readonly agentId: string
	constructor(tenantId: string, agentId: string, cause: unknown) {
		super(`agent ${tenantId}/${agentId} has an invalid stored config`, { cause })
		this.tenantId = tenantId
		this.agentId = agentId
	}
}

function toAgent(row: AgentRow): Agent {
	const parsed = AgentConfig.safeParse(row.config)
	if (!parsed.success) throw new InvalidAgentConfigError(row.tenantId, row.id, parsed.error)
	return { ...row, config: parsed.data }
}

export async function listAgents(db: Db, tenantId: string, limit = 100): Promise<Agent[]> {
	const rows = await db
		.select()
		.from(agents)
		.where(eq(agents.tenantId, tenantId))
		.orderBy(asc(agents.id))
		.limit(limit)
	return rows.map(toAgent)
}

export async function getAgent(db: Db, tenantId: string, id: string): Promise<Agent | undefined> {
	const row = await db
		.select()
		.from(agents)
		.where(and(eq(agents.tenantId, tenantId), eq(agents.id, id)))
		.get()
	return row && toAgent(row)
}
