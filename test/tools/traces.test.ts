// The trace a tool job carries: the consumer's log lines, the context the tool runs with (its
// logger, the traceparent sandboxes and MCP servers get) and its `tool_executions` row carry the
// run's trace id; a job without one has none anywhere.
import { createMessageBatch, env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { database } from '../../src/db/client'
import {
	listToolExecutions,
	recordToolExecution,
	type ToolExecution,
} from '../../src/db/tool-executions'
import { Logger } from '../../src/observability/logger'
import { SandboxConfig } from '../../src/sandbox/config'
import { ToolsConfig } from '../../src/tools/config'
import { handleToolJobBatch } from '../../src/tools/consumer'
import type { ToolJob } from '../../src/tools/jobs'
import type { ToolContext } from '../../src/tools/registry'
import { createToolbox } from '../../src/tools/toolbox'
import { ADMIN } from '../fakes/lane-host'
import { captureLogs } from '../fakes/logs'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const TRACEPARENT = `00-${TRACE}-00f067aa0ba902b7-01`

const agent = {
	tenantId: 'default',
	id: 'main',
	version: 1,
	config: { tools: ToolsConfig.parse({ profile: 'coding' }), sandbox: SandboxConfig.parse({}) },
}

const jobOf = (over: Partial<ToolJob> = {}): ToolJob => ({
	jobId: crypto.randomUUID(),
	tenant: 'default',
	session: 'default/main/s1',
	agent: 'main',
	sessionKey: 's1',
	runId: 'run-1',
	callId: 'call-1',
	tool: 'time_now',
	args: {},
	subject: ADMIN,
	deadline: Date.now() + 60_000,
	...over,
})

/**
 * Runs a job through the consumer twice: its first claim cannot reach the lane (the job is
 * retried, and logs it), its second runs the tool with the real toolbox's context.
 */
async function consume(job: ToolJob) {
	const logs = captureLogs()
	const logger = new Logger({}, { sink: logs.sink })
	const real = createToolbox(env, { logger, waitUntil: () => {} })
	const contexts: ToolContext[] = []
	const executions: ToolExecution[] = []
	let claims = 0
	const deps = {
		toolbox: {
			...real,
			context: (scope: Parameters<typeof real.context>[0]) => {
				contexts.push(real.context(scope))
				return contexts.at(-1) as ToolContext
			},
			record: (execution: ToolExecution) => {
				executions.push(execution)
			},
		},
		lane: () => ({
			claimToolJob: async () => {
				if (claims++ === 0) throw new Error('lane restarting')
				return 'run' as const
			},
			deliverToolResult: async () => true,
		}),
		agent: async () => agent,
		logger,
		now: Date.now,
	}
	const batch = () =>
		createMessageBatch<unknown>('edgeclaw-tool-jobs', [
			{ id: 'm0', timestamp: new Date(), attempts: 1, body: job },
		])
	const first = await handleToolJobBatch(batch(), deps)
	const second = await handleToolJobBatch(batch(), deps)
	return { results: [...first, ...second], logs, contexts, executions }
}

describe('a traced tool job', () => {
	it("logs with the run's trace id and hands the tool a traced context", async () => {
		const job = jobOf({ traceparent: TRACEPARENT })
		const { results, logs, contexts } = await consume(job)
		expect(results).toMatchObject([{ status: 'retried' }, { status: 'delivered' }])
		expect(logs.entries().find((l) => l.msg === 'tool_job.retry')).toMatchObject({
			jobId: job.jobId,
			traceId: TRACE,
		})
		expect(contexts).toHaveLength(1)
		const ctx = contexts[0] as ToolContext
		expect(ctx.traceparent).toBe(TRACEPARENT)
		ctx.logger.info('tool.line')
		expect(logs.entries().at(-1)).toMatchObject({ msg: 'tool.line', traceId: TRACE })
	})

	it('records its execution with the trace id, which the tool executions list returns', async () => {
		const job = jobOf({ traceparent: TRACEPARENT, sessionKey: 'traced-row' })
		const { executions } = await consume(job)
		expect(executions).toMatchObject([{ id: job.jobId, status: 'succeeded', traceId: TRACE }])
		const db = database(env.DB)
		await recordToolExecution(db, executions[0] as ToolExecution)
		const rows = await listToolExecutions(db, 'default', { sessionKey: 'traced-row', limit: 5 })
		expect(rows.map((r) => [r.id, r.traceId])).toEqual([[job.jobId, TRACE]])
	})

	it('a job without a traceparent has no trace id anywhere', async () => {
		const { results, logs, contexts, executions } = await consume(jobOf())
		expect(results).toMatchObject([{ status: 'retried' }, { status: 'delivered' }])
		expect(logs.entries().find((l) => l.msg === 'tool_job.retry')).toBeDefined()
		contexts[0]?.logger.info('tool.line')
		for (const line of logs.entries()) expect(line).not.toHaveProperty('traceId')
		expect(contexts[0]?.traceparent).toBeUndefined()
		expect(executions).toHaveLength(1)
		expect(executions[0]?.traceId).toBeUndefined()
	})
})
