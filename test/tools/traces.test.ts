// The trace a tool job carries: the consumer's log lines and the context the tool runs with (its
// logger, the traceparent sandboxes and MCP servers get) carry the run's trace id; a job without
// one logs without it.
import { createMessageBatch, env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { Logger } from '../../src/observability/logger'
import { SandboxConfig } from '../../src/sandbox/config'
import type { ToolSubject } from '../../src/security/subject'
import { ToolsConfig } from '../../src/tools/config'
import { handleToolJobBatch } from '../../src/tools/consumer'
import type { ToolJob } from '../../src/tools/jobs'
import type { ToolContext } from '../../src/tools/registry'
import { createToolbox, type Toolbox } from '../../src/tools/toolbox'
import { captureLogs } from '../fakes/logs'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const TRACEPARENT = `00-${TRACE}-00f067aa0ba902b7-01`

const ADMIN: ToolSubject = {
	kind: 'platform',
	id: 'admin-token',
	role: 'admin',
	tenantId: 'default',
	scopes: [],
	channel: 'api',
}

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

const batchOf = (job: ToolJob) =>
	createMessageBatch<unknown>('edgeclaw-tool-jobs', [
		{ id: 'm0', timestamp: new Date(), attempts: 1, body: job },
	])

describe('a traced tool job', () => {
	it("logs with the run's trace id and hands the tool a traced context", async () => {
		const logs = captureLogs()
		const logger = new Logger({}, { sink: logs.sink })
		const real = createToolbox(env, { logger, waitUntil: () => {} })
		const contexts: ToolContext[] = []
		const toolbox: Toolbox = {
			...real,
			context: (scope) => {
				const ctx = real.context(scope)
				contexts.push(ctx)
				return ctx
			},
			record: () => {},
		}
		let claims = 0
		const deps = {
			toolbox,
			lane: () => ({
				claimToolJob: async () => {
					// The first claim cannot reach the lane: the job is retried (and says so).
					if (claims++ === 0) throw new Error('lane restarting')
					return 'run' as const
				},
				deliverToolResult: async () => true,
			}),
			agent: async () => agent,
			logger,
			now: Date.now,
		}
		const job = jobOf({ traceparent: TRACEPARENT })
		expect(await handleToolJobBatch(batchOf(job), deps)).toMatchObject([{ status: 'retried' }])
		expect(logs.entries().find((l) => l.msg === 'tool_job.retry')).toMatchObject({
			jobId: job.jobId,
			traceId: TRACE,
		})
		expect(await handleToolJobBatch(batchOf(job), deps)).toMatchObject([{ status: 'delivered' }])
		expect(contexts).toHaveLength(1)
		const ctx = contexts[0] as ToolContext
		expect(ctx.traceparent).toBe(TRACEPARENT)
		ctx.logger.info('tool.line')
		expect(logs.entries().at(-1)).toMatchObject({ msg: 'tool.line', traceId: TRACE })
	})

	it('a job without a traceparent logs no trace id', async () => {
		const logs = captureLogs()
		const logger = new Logger({}, { sink: logs.sink })
		const toolbox = createToolbox(env, { logger, waitUntil: () => {} })
		const results = await handleToolJobBatch(batchOf(jobOf()), {
			toolbox,
			lane: () => ({
				claimToolJob: async () => {
					throw new Error('lane restarting')
				},
				deliverToolResult: async () => true,
			}),
			agent: async () => agent,
			logger,
			now: Date.now,
		})
		expect(results).toMatchObject([{ status: 'retried' }])
		const retry = logs.entries().find((l) => l.msg === 'tool_job.retry')
		expect(retry).toBeDefined()
		expect(retry).not.toHaveProperty('traceId')
		const ctx = toolbox.context({
			tenantId: 'default',
			agentId: 'main',
			sessionKey: 's1',
			runId: 'run-1',
			callId: 'call-1',
			signal: new AbortController().signal,
			agent,
		})
		expect(ctx.traceparent).toBeUndefined()
	})
})
