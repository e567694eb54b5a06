// Agents in D1, always scoped by tenant. Config is validated on the way out so a bad row can never
// reach the runner unnoticed; every write also records the new version in `agent_versions`.
import { and, asc, desc, eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { isForeignKeyViolation } from '../db/errors'
import { type AgentRow, agents, agentVersions } from '../db/schema'
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

// ── writes (raw D1 batches: each change and its version row commit together) ────────────────────

export interface AgentWrite {
	name: string
	config: AgentConfig
}

export interface AgentVersion {
	version: number
	name: string
	config: unknown
	actor: string
	createdAt: Date
}

/** A taken id; a missing tenant (foreign key) is not a conflict and is thrown on as a 404. */
const isConflict = (error: unknown): boolean =>
	!isForeignKeyViolation(error) &&
	/UNIQUE|PRIMARY KEY|constraint/i.test(
		error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : '',
	)

const recordVersion = (d1: D1Database, tenantId: string, id: string, actor: string) =>
	d1
		.prepare(
			`INSERT OR IGNORE INTO agent_versions (tenant_id, agent_id, version, name, config, actor, created_at)
			 SELECT tenant_id, id, version, name, config, ?, updated_at FROM agents WHERE tenant_id = ? AND id = ?`,
		)
		.bind(actor, tenantId, id)

/** Creates an agent at version 1; undefined when the id is taken. */
export async function createAgentRow(
	d1: D1Database,
	tenantId: string,
	id: string,
	write: AgentWrite,
	actor: string,
	now = Date.now(),
): Promise<Agent | undefined> {
	try {
		await d1.batch([
			d1
				.prepare(
					'INSERT INTO agents (tenant_id, id, name, version, config, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?)',
				)
				.bind(tenantId, id, write.name, JSON.stringify(write.config), now, now),
			recordVersion(d1, tenantId, id, actor),
		])
	} catch (error) {
		if (isConflict(error)) return undefined
		throw error
	}
	return {
		tenantId,
		id,
		name: write.name,
		version: 1,
		config: write.config,
		createdAt: new Date(now),
		updatedAt: new Date(now),
	}
}

export type UpdateOutcome =
	| { ok: true; agent: Agent; previous: Agent }
	| { ok: false; reason: 'not_found' | 'version_mismatch'; current?: Agent }

/** Unconditional replaces re-read and retry this often when other writers keep winning. */
const REPLACE_ATTEMPTS = 5

/**
 * Replaces an agent's name and config and bumps its version, with a conditional UPDATE (`WHERE
 * version = ?`) so two writers can never both win the same version. With `expectedVersion`, only
 * when the stored version is that one; without it the caller asked for last-writer-wins, so a lost
 * race re-reads the agent and tries again rather than reporting a precondition nobody set.
 */
export async function updateAgentRow(
	d1: D1Database,
	db: Db,
	tenantId: string,
	id: string,
	write: AgentWrite,
	actor: string,
	expectedVersion?: number,
	now = Date.now(),
): Promise<UpdateOutcome> {
	let previous = await getAgent(db, tenantId, id)
	for (let attempt = 1; ; attempt++) {
		if (!previous) return { ok: false, reason: 'not_found' }
		const base = expectedVersion ?? previous.version
		const [update] = await d1.batch([
			d1
				.prepare(
					'UPDATE agents SET name = ?, config = ?, version = version + 1, updated_at = ? WHERE tenant_id = ? AND id = ? AND version = ?',
				)
				.bind(write.name, JSON.stringify(write.config), now, tenantId, id, base),
			recordVersion(d1, tenantId, id, actor),
		])
		if (update?.meta.changes) {
			return {
				ok: true,
				previous,
				agent: {
					...previous,
					name: write.name,
					config: write.config,
					version: base + 1,
					updatedAt: new Date(now),
				},
			}
		}
		const current = await getAgent(db, tenantId, id)
		if (!current) return { ok: false, reason: 'not_found' }
		if (expectedVersion !== undefined || attempt >= REPLACE_ATTEMPTS) {
			return { ok: false, reason: 'version_mismatch', current }
		}
		previous = current
	}
}

/**
 * Deletes an agent (its versions go with it; the audit log keeps the record). Returns the version
 * it was at, or undefined when there was no such agent.
 */
export async function deleteAgentRow(
	d1: D1Database,
	tenantId: string,
	id: string,
): Promise<number | undefined> {
	const row = await d1
		.prepare('DELETE FROM agents WHERE tenant_id = ? AND id = ? RETURNING version')
		.bind(tenantId, id)
		.first<{ version: number }>()
	return row?.version
}

export async function listAgentVersions(
	db: Db,
	tenantId: string,
	id: string,
	limit = 100,
): Promise<AgentVersion[]> {
	return db
		.select({
			version: agentVersions.version,
			name: agentVersions.name,
			config: agentVersions.config,
			actor: agentVersions.actor,
			createdAt: agentVersions.createdAt,
		})
		.from(agentVersions)
		.where(and(eq(agentVersions.tenantId, tenantId), eq(agentVersions.agentId, id)))
		.orderBy(desc(agentVersions.version))
		.limit(limit)
}
