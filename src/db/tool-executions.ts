// D1 `tool_executions`: one row per tool call that was decided — who (the run's starter and every
// principal the call was decided for), which tool, a digest of the arguments (never the
// arguments), the decision and its policy, where it ran, how it ended, how long it took and how
// many bytes went in and out. A redelivered job updates its row.
import { and, desc, eq, lt } from 'drizzle-orm'
import { canonicalJson, sha256Hex } from '../security/audit'
import type { SessionRef } from '../security/subject'
import type { Db } from './client'
import { toolExecutions } from './schema'

export type ToolExecutionRow = typeof toolExecutions.$inferSelect
export type ToolExecutionStatus = ToolExecutionRow['status']

export interface ToolExecution extends SessionRef {
	id: string
	runId: string
	callId: string
	/** Who started the run. */
	actor: string
	/** Every principal whose message the run carried when the call was decided, `actor` first. */
	principals: string[]
	tool: string
	args: unknown
	decision: 'allow' | 'deny'
	policyId: string
	placement: 'lane' | 'job'
	status: ToolExecutionStatus
	code?: string | undefined
	attempts: number
	startedAt: number
	durationMs: number
	bytesIn: number
	bytesOut: number
	/** The trace id of the run's trace, when it had one. */
	traceId?: string | undefined
}

export const argsDigest = (args: unknown): Promise<string> => sha256Hex(canonicalJson(args ?? null))

/** Inserts the execution, or on redelivery updates its outcome and attempt count. */
export async function recordToolExecution(db: Db, e: ToolExecution): Promise<void> {
	const digest = await argsDigest(e.args)
	const outcome = {
		status: e.status,
		code: e.code ?? null,
		decision: e.decision,
		policyId: e.policyId,
		attempts: e.attempts,
		durationMs: e.durationMs,
		bytesOut: e.bytesOut,
		error: null,
	}
	await db
		.insert(toolExecutions)
		.values({
			id: e.id,
			tenantId: e.tenantId,
			agentId: e.agentId,
			sessionKey: e.sessionKey,
			runId: e.runId,
			callId: e.callId,
			actor: e.actor,
			principals: e.principals,
			tool: e.tool,
			argsDigest: digest,
			placement: e.placement,
			startedAt: new Date(e.startedAt),
			bytesIn: e.bytesIn,
			traceId: e.traceId ?? null,
			...outcome,
		})
		.onConflictDoUpdate({ target: toolExecutions.id, set: outcome })
}

/** A tenant's executions, newest first; optionally one agent's or session's; `before` pages by start time. */
export function listToolExecutions(
	db: Db,
	tenantId: string,
	options: { agentId?: string; sessionKey?: string; before?: number; limit: number },
): Promise<ToolExecutionRow[]> {
	const where = [eq(toolExecutions.tenantId, tenantId)]
	if (options.agentId !== undefined) where.push(eq(toolExecutions.agentId, options.agentId))
	if (options.sessionKey !== undefined)
		where.push(eq(toolExecutions.sessionKey, options.sessionKey))
	if (options.before !== undefined)
		where.push(lt(toolExecutions.startedAt, new Date(options.before)))
	return db
		.select()
		.from(toolExecutions)
		.where(and(...where))
		.orderBy(desc(toolExecutions.startedAt))
		.limit(options.limit)
}
