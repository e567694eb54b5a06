// The tool-jobs consumer acknowledges every message exactly once and never retries poison.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import worker from '../src/index'
import { Logger } from '../src/observability/logger'
import { handleToolJobBatch } from '../src/tools/jobs'

const job = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
	jobId: 'job-1',
	tenant: 'default',
	session: 'main/s1',
	runId: 'run-1',
	tool: 'run_js',
	args: { code: '1+1' },
	deadline: Date.now() + 60_000,
	...over,
})

describe('tool-jobs consumer', () => {
	it('acks malformed, expired and well-formed jobs alike through the Worker entry', async () => {
		const batch = createMessageBatch<unknown>('edgeclaw-tool-jobs', [
			{ id: 'm1', timestamp: new Date(), attempts: 1, body: 'not an object' },
			{ id: 'm2', timestamp: new Date(), attempts: 1, body: job({ deadline: 1 }) },
			{ id: 'm3', timestamp: new Date(), attempts: 1, body: job() },
		])
		const ctx = createExecutionContext()
		await worker.queue(batch, { ...env, EDGECLAW_LOG_LEVEL: 'error' })
		const result = await getQueueResult(batch, ctx)
		expect(result.explicitAcks.sort()).toEqual(['m1', 'm2', 'm3'])
		expect(result.retryMessages).toEqual([])
	})

	it('classifies each message', () => {
		const batch = createMessageBatch<unknown>('edgeclaw-tool-jobs', [
			{ id: 'a', timestamp: new Date(), attempts: 1, body: { ...job(), extra: true } },
			{ id: 'b', timestamp: new Date(), attempts: 1, body: job({ deadline: 1 }) },
			{ id: 'c', timestamp: new Date(), attempts: 1, body: job({ jobId: 'job-c' }) },
		])
		const silent = { log() {}, warn() {}, error() {} }
		const outcomes = handleToolJobBatch(batch, new Logger({}, { sink: silent }))
		expect(outcomes).toEqual([
			{ jobId: undefined, status: 'malformed' },
			{ jobId: 'job-1', status: 'expired' },
			{ jobId: 'job-c', status: 'no_runtime' },
		])
	})
})
