// Tool executions as `tool` metric points (docs/observability.md): one per execution the lane or
// the consumer records, with where it ran — the lane, or for a job the place its tool reached:
// a sandbox backend (isolate, container), a remote MCP server, the network, or the consumer itself.
import type { ToolExecution } from '../db/tool-executions'
import { pointBase, type ToolPoint } from '../observability/metrics'
import type { AnyToolSpec, ToolContext } from './registry'

const OUTCOMES: Record<ToolExecution['status'], string> = {
	succeeded: 'ok',
	failed: 'error',
	denied: 'denied',
	timeout: 'timeout',
	dead_lettered: 'error',
	// Not recorded as an execution's end today; named so a new status cannot go unmapped.
	running: 'running',
	skipped: 'skipped',
}

/** The point of a recorded execution; `queueWaitMs` is a job's enqueued → started (0 in the lane). */
export function toolPoint(
	e: Pick<
		ToolExecution,
		'tenantId' | 'agentId' | 'tool' | 'status' | 'code' | 'durationMs' | 'bytesOut'
	>,
	where: { placement: string; queueWaitMs?: number; traceId?: string },
): ToolPoint {
	return {
		kind: 'tool',
		...pointBase(e.tenantId, e.agentId, where.traceId),
		tool: e.tool,
		placement: where.placement,
		outcome: OUTCOMES[e.status],
		...(e.code !== undefined && { code: e.code }),
		durationMs: e.durationMs,
		queueWaitMs: Math.max(0, where.queueWaitMs ?? 0),
		bytes: e.bytesOut,
	}
}

/**
 * A job's tool context that notes where the tool went: the sandbox backend it was given, else
 * `mcp` for a remote tool, else `fetch` when it reached the network, else `job` (it ran in the
 * consumer itself, or never got that far).
 */
export function watchPlacement(
	ctx: ToolContext,
	spec: Pick<AnyToolSpec, 'groups'>,
): { ctx: ToolContext; placement(): string } {
	let backend: string | undefined
	let fetched = false
	const watched: ToolContext = {
		...ctx,
		sandbox: (need) => {
			const executor = ctx.sandbox(need)
			backend = executor.backend
			return executor
		},
		fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
			fetched = true
			return ctx.fetch(input, init)
		}) as typeof fetch,
	}
	const remote = spec.groups.includes('group:mcp')
	return {
		ctx: watched,
		placement: () => backend ?? (remote ? 'mcp' : fetched ? 'fetch' : 'job'),
	}
}
