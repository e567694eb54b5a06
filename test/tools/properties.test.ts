// Properties of the tools' parsers: whatever arguments a model sends, every built-in tool answers
// with an outcome (never a throw), and anything its schema refuses is `invalid_args`; whatever
// lands on the queue, the consumer settles every message exactly once and never runs a tool for
// a body that is not a job.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toolCatalog } from '../../src/tools/builtin/index'
import { handleToolJobBatch } from '../../src/tools/consumer'
import { parseArgs, runTool } from '../../src/tools/registry'
import { silentLogger } from '../fakes/logs'
import { toolContext } from '../fakes/tool-context'

const json = fc.jsonValue({ maxDepth: 3 })

describe('tool arguments (property)', () => {
	it('every tool answers arbitrary arguments with an outcome, refusals as invalid_args', async () => {
		const tools = toolCatalog()
		const names = tools.names
		await fc.assert(
			fc.asyncProperty(fc.constantFrom(...names), json, async (name, args) => {
				const spec = tools.get(name)
				if (!spec) throw new Error(name)
				// No sandbox and no network: job tools fail cleanly after their arguments parse.
				const outcome = await runTool(spec, args, toolContext())
				expect(typeof outcome.ok).toBe('boolean')
				expect(typeof outcome.text).toBe('string')
				if (!parseArgs(spec, args).ok) expect(outcome.code).toBe('invalid_args')
				if (!outcome.ok) expect(outcome.code).toMatch(/^[a-z_]+$/)
			}),
			{ numRuns: 500 },
		)
	})
})

describe('tool-jobs consumer (property)', () => {
	it('acks every body that is not a job, and runs nothing for it', async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(fc.anything(), { minLength: 1, maxLength: 5 }), async (bodies) => {
				const batch = createMessageBatch<unknown>(
					'edgeclaw-tool-jobs',
					bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
				)
				let claims = 0
				const results = await handleToolJobBatch(batch, {
					toolbox: {} as never,
					lane: () => ({
						claimToolJob: async () => {
							claims++
							return 'gone'
						},
						deliverToolResult: async () => false,
					}),
					agent: async () => null,
					logger: silentLogger(),
					now: Date.now,
				})
				const q = await getQueueResult(batch, createExecutionContext())
				expect(q.explicitAcks.length + q.retryMessages.length).toBe(bodies.length)
				// A body that parses as a job is claimed (and here found gone); nothing else is.
				expect(claims).toBe(results.filter((r) => r.status === 'skipped').length)
			}),
			{ numRuns: 200 },
		)
	})
})
