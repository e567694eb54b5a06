// Tool jobs between a lane and the queue consumer: the round trip, duplicate delivery, a
// side-effecting job whose first attempt may have run, retries with backoff, the dead-letter
// path, the policy re-check (for every principal a job carries), deadlines, stopped runs and
// approvals (separate approvers included). The lane side is the real LaneToolCalls over a
// Durable Object's SQLite; batches are built with createMessageBatch and their acks and retries
// read back with getQueueResult.
import {
	createExecutionContext,
	createMessageBatch,
	env,
	getQueueResult,
	runInDurableObject,
} from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { ToolExecution } from '../../src/db/tool-executions'
import { LaneStore } from '../../src/lanes/store'
import { LaneToolCalls } from '../../src/lanes/tool-calls'
import type { LaneEventType } from '../../src/lanes/types'
import { SandboxConfig } from '../../src/sandbox/config'
import type { AuditEvent } from '../../src/security/audit'
import type { ToolSubject } from '../../src/security/subject'
import { ToolsConfig } from '../../src/tools/config'
import { type ConsumerDeps, DEAD_LETTER_QUEUE, handleToolJobBatch } from '../../src/tools/consumer'
import type { ToolCall } from '../../src/tools/invoker'
import type { ToolJob } from '../../src/tools/jobs'
import { type AnyToolSpec, ToolError } from '../../src/tools/registry'
import type { ToolAgent, Toolbox } from '../../src/tools/toolbox'
import { silentLogger } from '../fakes/logs'
import { toolContext } from '../fakes/tool-context'

const QUEUE = 'edgeclaw-tool-jobs'

/** A tool that counts its executions, so a test can tell how often it really ran. */
function counter(over: Partial<AnyToolSpec> = {}) {
	const runs: unknown[] = []
	const spec: AnyToolSpec = {
		name: 'bump',
		description: 'counts',
		parameters: z.object({ by: z.number().int() }).strict(),
		sideEffect: 'write',
		groups: ['group:test'],
		timeoutMs: 1_000,
		idempotent: false,
		placement: 'job',
		async execute(args: { by: number }) {
			runs.push(args)
			return { total: runs.length * args.by }
		},
		...over,
	}
	return { spec, runs }
}

const agent: ToolAgent = {
	tenantId: 'default',
	id: 'main',
	version: 1,
	config: {
		tools: ToolsConfig.parse({ allow: ['group:test'] }),
		sandbox: SandboxConfig.parse({}),
	},
}

const ADMIN: ToolSubject = {
	kind: 'platform',
	id: 'admin-token',
	role: 'admin',
	tenantId: 'default',
	scopes: [],
	channel: 'api',
}

const MEMBER: ToolSubject = { ...ADMIN, kind: 'api-key', id: 'm1', role: 'member' }

/** Allows everything, or nothing, or everyone but the roles listed. */
type Allow = boolean | { denyRoles: string[] }

interface Harness {
	calls: LaneToolCalls
	store: LaneStore
	/** Transactions the lane's tool calls ran so far. */
	txs(): number
	sent: ToolJob[]
	events: { type: LaneEventType; data: Record<string, unknown> }[]
	records: ToolExecution[]
	audits: AuditEvent[]
	/** Audit rows the lane's tool calls wrote themselves. */
	laneAudits: Omit<AuditEvent, 'tenantId' | 'target'>[]
	/** The session's pending approvals, each time the lane was told they changed. */
	pendingCounts: number[]
	deps(over?: Partial<ConsumerDeps> & { tools?: AnyToolSpec[]; allow?: Allow }): ConsumerDeps
	call(
		spec: AnyToolSpec,
		args?: unknown,
		principals?: ToolSubject[],
	): Promise<{ job: ToolJob; outcome: Promise<unknown> }>
	signal: AbortController
}

/** Runs `fn` with a LaneToolCalls over a fresh lane's storage and a consumer wired to it. */
function withLane(fn: (h: Harness) => Promise<void>, slackMs = 5_000): Promise<void> {
	const stub = env.SESSION_LANE.getByName(`default/jobs-test/${crypto.randomUUID()}`)
	return runInDurableObject(stub, async (_instance, state) => {
		const store = new LaneStore(state.storage.sql)
		store.migrate()
		const sent: ToolJob[] = []
		const events: Harness['events'] = []
		const records: ToolExecution[] = []
		const audits: AuditEvent[] = []
		const laneAudits: Harness['laneAudits'] = []
		const pendingCounts: number[] = []
		let txs = 0
		const toolbox = (tools: AnyToolSpec[], allow: Allow): Toolbox => ({
			toolsFor: async () => tools,
			decide: async (request) =>
				allow === true ||
				(typeof allow === 'object' && !allow.denyRoles.includes(request.subject.role))
					? { effect: 'allow', policyId: 'test-allow', reason: 'allowed' }
					: { effect: 'deny', policyId: 'test-deny', reason: 'denied by policy "test-deny"' },
			enqueue: async (job) => {
				sent.push(job)
			},
			unavailable: () => undefined,
			context: (scope) => toolContext({ callId: scope.callId, signal: scope.signal }),
			record: (e) => records.push(e),
			audit: (e) => audits.push(e),
			sessionEnded: async () => {},
		})
		const calls = new LaneToolCalls({
			store: store.tools,
			host: {
				now: Date.now,
				newId: () => crypto.randomUUID(),
				toolbox: toolbox([], true),
				logger: silentLogger(),
			},
			tx: (f) => {
				txs++
				return state.storage.transactionSync(f)
			},
			emit: (type, _runId, data) => events.push({ type, data }),
			audit: (event) => laneAudits.push(event),
			approvalsChanged: () => pendingCounts.push(store.tools.pendingCount()),
			slackMs,
		})
		const signal = new AbortController()
		await fn({
			calls,
			store,
			txs: () => txs,
			sent,
			events,
			records,
			audits,
			laneAudits,
			pendingCounts,
			signal,
			deps: ({ tools = [], allow = true, ...over } = {}) => ({
				toolbox: toolbox(tools, allow),
				lane: () => ({
					claimToolJob: async (id) => calls.claim(id),
					deliverToolResult: async (id, outcome) => calls.deliver(id, outcome),
				}),
				agent: async () => agent,
				logger: silentLogger(),
				now: Date.now,
				...over,
			}),
			async call(spec, args = { by: 2 }, principals = [ADMIN]) {
				const call: ToolCall = { callId: `call-${sent.length + 1}`, name: spec.name, args }
				const outcome = calls.dispatch(
					{
						laneName: 'default/main/s1',
						session: { tenantId: 'default', agentId: 'main', sessionKey: 's1' },
						runId: 'run-1',
						subject: principals[0] as ToolSubject,
						principals,
					},
					call,
					spec,
					signal.signal,
				)
				outcome.catch(() => {})
				await new Promise((r) => setTimeout(r, 0))
				const job = sent.at(-1)
				if (!job) throw new Error('nothing was enqueued')
				return { job, outcome }
			},
		})
	})
}

/** A batch whose retry() calls are also recorded with their delay (getQueueResult drops it). */
const delays: { id: string; delaySeconds: number | undefined }[] = []
function batchOf(jobs: unknown[], queue = QUEUE, attempts = 1) {
	const batch = createMessageBatch<unknown>(
		queue,
		jobs.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts, body })),
	)
	for (const message of batch.messages) {
		const retry = message.retry.bind(message)
		message.retry = (options) => {
			delays.push({ id: message.id, delaySeconds: options?.delaySeconds })
			retry(options)
		}
	}
	return batch
}

describe('tool jobs', () => {
	it('round trip: the lane enqueues, the consumer claims, runs, delivers, records and acks', () =>
		withLane(async (h) => {
			const { spec, runs } = counter()
			const { job, outcome } = await h.call(spec)
			expect(job).toMatchObject({ tool: 'bump', args: { by: 2 }, session: 'default/main/s1' })
			const batch = batchOf([job])
			const results = await handleToolJobBatch(batch, h.deps({ tools: [spec] }))
			expect(results[0]).toMatchObject({ status: 'delivered' })
			expect(await outcome).toEqual({ ok: true, text: '{"total":2}' })
			expect(runs).toHaveLength(1)
			const q = await getQueueResult(batch, createExecutionContext())
			expect(q.explicitAcks).toEqual(['m0'])
			expect(q.retryMessages).toEqual([])
			expect(h.records[0]).toMatchObject({
				id: job.jobId,
				tool: 'bump',
				status: 'succeeded',
				decision: 'allow',
				policyId: 'test-allow',
				placement: 'job',
				actor: 'admin-token',
			})
		}))

	it('costs two lane RPCs and one lane transaction per job: written when it settles, not before', () =>
		withLane(async (h) => {
			const { spec } = counter()
			const rpcs: string[] = []
			const { job, outcome } = await h.call(spec)
			// Dispatch wrote nothing: the open job is held in memory, as a trace reads it.
			expect(h.txs()).toBe(0)
			expect(h.store.tools.job(job.jobId)).toBeUndefined()
			expect(h.calls.openJobsOfRun('run-1')).toMatchObject([
				{ jobId: job.jobId, status: 'queued', claims: 0, startedAt: null },
			])
			const deps = h.deps({ tools: [spec] })
			const results = await handleToolJobBatch(batchOf([job]), {
				...deps,
				lane: (name) => {
					const lane = deps.lane(name)
					return {
						claimToolJob: (id) => {
							rpcs.push('claim')
							// The claim is answered from memory: still nothing written.
							const answer = lane.claimToolJob(id)
							expect(h.txs()).toBe(0)
							return answer
						},
						deliverToolResult: (id, o) => {
							rpcs.push('deliver')
							return lane.deliverToolResult(id, o)
						},
					}
				},
			})
			expect(results[0]?.status).toBe('delivered')
			expect(await outcome).toMatchObject({ ok: true })
			expect(rpcs).toEqual(['claim', 'deliver'])
			expect(h.txs()).toBe(1)
			expect(h.calls.openJobsOfRun('run-1')).toEqual([])
			const [row] = h.store.tools.jobTimesOfRun('run-1')
			expect(row).toMatchObject({ jobId: job.jobId, status: 'done', claims: 1, code: null })
			expect(row?.startedAt).toBeGreaterThanOrEqual(row?.createdAt ?? Number.POSITIVE_INFINITY)
			expect(row?.finishedAt).toBeGreaterThanOrEqual(row?.startedAt ?? Number.POSITIVE_INFINITY)
		}))

	it('a claim of a job the lane never held (a restart lost it) is gone and writes nothing', () =>
		withLane(async (h) => {
			const { spec, runs } = counter()
			const { job } = await h.call(spec)
			const results = await handleToolJobBatch(
				batchOf([{ ...job, jobId: 'lost-job' }]),
				h.deps({ tools: [spec] }),
			)
			expect(results[0]).toMatchObject({ status: 'skipped', claim: 'gone' })
			expect(runs).toHaveLength(0)
			expect(h.txs()).toBe(0)
		}))

	it('a duplicate delivery does not run the tool again', () =>
		withLane(async (h) => {
			const { spec, runs } = counter()
			const { job, outcome } = await h.call(spec)
			const first = await handleToolJobBatch(batchOf([job]), h.deps({ tools: [spec] }))
			const again = batchOf([job])
			const second = await handleToolJobBatch(again, h.deps({ tools: [spec] }))
			expect(first[0]?.status).toBe('delivered')
			expect(second[0]).toMatchObject({ status: 'skipped', claim: 'done' })
			expect(runs).toHaveLength(1)
			expect((await outcome) as { ok: boolean }).toMatchObject({ ok: true })
			expect((await getQueueResult(again, createExecutionContext())).explicitAcks).toEqual(['m0'])
		}))

	it('a side-effecting job claimed once and redelivered is settled as an error, never run twice', () =>
		withLane(async (h) => {
			const { spec, runs } = counter()
			const { job, outcome } = await h.call(spec)
			// A first consumer claimed it and died before delivering.
			expect(h.calls.claim(job.jobId)).toBe('run')
			const results = await handleToolJobBatch(batchOf([job], QUEUE, 2), h.deps({ tools: [spec] }))
			expect(results[0]).toMatchObject({ status: 'skipped', claim: 'done' })
			expect(runs).toHaveLength(0)
			expect(await outcome).toMatchObject({ ok: false, code: 'tool_outcome_unknown' })
		}))

	it('an idempotent job claimed once and redelivered runs again', () =>
		withLane(async (h) => {
			const { spec, runs } = counter({ idempotent: true })
			const { job, outcome } = await h.call(spec)
			expect(h.calls.claim(job.jobId)).toBe('run')
			await handleToolJobBatch(batchOf([job], QUEUE, 2), h.deps({ tools: [spec] }))
			expect(runs).toHaveLength(1)
			expect(await outcome).toMatchObject({ ok: true })
		}))

	it('retries with backoff when the lane is unreachable, and never runs the tool meanwhile', () =>
		withLane(async (h) => {
			const { spec, runs } = counter()
			const { job } = await h.call(spec)
			const batch = batchOf([job], QUEUE, 3)
			const results = await handleToolJobBatch(
				batch,
				h.deps({
					tools: [spec],
					lane: () => ({
						claimToolJob: async () => {
							throw new Error('Durable Object reset')
						},
						deliverToolResult: async () => false,
					}),
				}),
			)
			expect(results[0]?.status).toBe('retried')
			expect(runs).toHaveLength(0)
			const q = await getQueueResult(batch, createExecutionContext())
			expect(q.explicitAcks).toEqual([])
			expect(q.retryMessages).toEqual([{ msgId: 'm0' }])
			expect(delays.at(-1)).toEqual({ id: 'm0', delaySeconds: 4 })
		}))

	it('retries a transient failure of an idempotent tool; a side-effecting one reports it', () =>
		withLane(async (h) => {
			let attempts = 0
			const flaky = counter({
				idempotent: true,
				async execute() {
					attempts++
					throw new ToolError('sandbox_transient', 'container restarting', { transient: true })
				},
			}).spec
			const { job } = await h.call(flaky)
			const batch = batchOf([job])
			expect((await handleToolJobBatch(batch, h.deps({ tools: [flaky] })))[0]?.status).toBe(
				'retried',
			)
			expect((await getQueueResult(batch, createExecutionContext())).retryMessages).toHaveLength(1)

			const once = counter({
				name: 'once',
				async execute() {
					throw new ToolError('sandbox_transient', 'container restarting', { transient: true })
				},
			}).spec
			const second = await h.call(once)
			await handleToolJobBatch(batchOf([second.job]), h.deps({ tools: [once] }))
			expect(await second.outcome).toMatchObject({ ok: false, code: 'sandbox_transient' })
			expect(attempts).toBe(1)
		}))

	it.each([DEAD_LETTER_QUEUE, 'edgeclaw-tool-jobs-staging-dlq'])(
		'the dead-letter consumer (%s) fails the waiting call visibly and records it',
		(queue) =>
			withLane(async (h) => {
				const { spec, runs } = counter()
				const { job, outcome } = await h.call(spec)
				const batch = batchOf([job], queue, 4)
				const results = await handleToolJobBatch(batch, h.deps({ tools: [spec] }))
				expect(results[0]?.status).toBe('dead_lettered')
				expect(await outcome).toMatchObject({ ok: false, code: 'tool_dead_lettered' })
				expect(runs).toHaveLength(0)
				expect(h.records[0]).toMatchObject({ status: 'dead_lettered', attempts: 4 })
				expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toEqual(['m0'])
			}),
	)

	it('re-checks the policy in the consumer: a denial never runs the tool and is audited', () =>
		withLane(async (h) => {
			const { spec, runs } = counter()
			const { job, outcome } = await h.call(spec)
			await handleToolJobBatch(batchOf([job]), h.deps({ tools: [spec], allow: false }))
			expect(runs).toHaveLength(0)
			expect(await outcome).toMatchObject({ ok: false, code: 'tool_denied' })
			expect(h.records[0]).toMatchObject({
				status: 'denied',
				decision: 'deny',
				policyId: 'test-deny',
			})
			expect(h.audits[0]).toMatchObject({ action: 'tool.denied', outcome: 'deny' })
		}))

	it('re-checks the policy for every principal the job carries: one denied, none runs', () =>
		withLane(async (h) => {
			const { spec, runs } = counter()
			// An admin's run that took a member's steered message.
			const { job, outcome } = await h.call(spec, { by: 2 }, [ADMIN, MEMBER])
			expect(job.principals?.map((p) => p.role)).toEqual(['admin', 'member'])
			await handleToolJobBatch(
				batchOf([job]),
				h.deps({ tools: [spec], allow: { denyRoles: ['member'] } }),
			)
			expect(runs).toHaveLength(0)
			expect(await outcome).toMatchObject({
				ok: false,
				code: 'tool_denied',
				text: expect.stringContaining('for key:m1'),
			})
			expect(h.records[0]).toMatchObject({
				status: 'denied',
				actor: 'admin-token',
				principals: ['admin-token', 'key:m1'],
			})
			expect(h.audits[0]).toMatchObject({
				action: 'tool.denied',
				actor: 'admin-token',
				data: { principal: 'key:m1', principals: ['admin-token', 'key:m1'], stage: 'consumer' },
			})
		}))

	it('a job without principals (sent before runs carried several) is decided for its subject', () =>
		withLane(async (h) => {
			const { spec, runs } = counter()
			const { job, outcome } = await h.call(spec)
			const { principals: _, ...older } = job
			await handleToolJobBatch(batchOf([older]), h.deps({ tools: [spec] }))
			expect(runs).toHaveLength(1)
			expect(await outcome).toMatchObject({ ok: true })
			expect(h.records[0]).toMatchObject({ principals: ['admin-token'] })
		}))

	it('a tool removed from the agent since the call is refused', () =>
		withLane(async (h) => {
			const { spec, runs } = counter()
			const { job, outcome } = await h.call(spec)
			await handleToolJobBatch(batchOf([job]), h.deps({ tools: [] }))
			expect(runs).toHaveLength(0)
			expect(await outcome).toMatchObject({ ok: false, code: 'tool_unavailable' })
		}))

	it('acks malformed messages without retrying them', () =>
		withLane(async (h) => {
			const batch = batchOf(['not a job', { jobId: 'x' }])
			const results = await handleToolJobBatch(batch, h.deps())
			expect(results.map((r) => r.status)).toEqual(['malformed', 'malformed'])
			const q = await getQueueResult(batch, createExecutionContext())
			expect(q.explicitAcks.sort()).toEqual(['m0', 'm1'])
			expect(q.retryMessages).toEqual([])
		}))

	it('a call whose job never comes back fails at its deadline; a late claim finds it gone', () =>
		withLane(async (h) => {
			const { spec, runs } = counter({ timeoutMs: 30 })
			const { job, outcome } = await h.call(spec)
			expect(await outcome).toMatchObject({ ok: false, code: 'tool_timeout' })
			await handleToolJobBatch(batchOf([job]), h.deps({ tools: [spec] }))
			expect(runs).toHaveLength(0)
			expect(h.calls.claim(job.jobId)).toBe('gone')
		}, 0))

	it('a stopped run stops waiting; its job is then gone', () =>
		withLane(async (h) => {
			const { spec, runs } = counter()
			const { job, outcome } = await h.call(spec)
			h.signal.abort(new Error('cancelled'))
			await expect(outcome).rejects.toThrow('cancelled')
			await handleToolJobBatch(batchOf([job]), h.deps({ tools: [spec] }))
			expect(runs).toHaveLength(0)
		}))
})

describe('approvals in the lane', () => {
	const elevated = counter({ name: 'deploy' }).spec
	const ask = (
		h: Harness,
		timeoutMs = 5_000,
		options: { principals?: string[]; separateApprover?: boolean; traceparent?: string } = {},
	) =>
		h.calls.approve(
			'run-1',
			{ callId: 'c1', name: 'deploy', args: { by: 1 } },
			elevated,
			{
				timeoutMs,
				principals: options.principals ?? ['admin-token'],
				separateApprover: options.separateApprover ?? false,
				traceparent: options.traceparent,
			},
			h.signal.signal,
		)

	it('asks, emits approval.requested, and resumes on allow-once', () =>
		withLane(async (h) => {
			const decision = ask(h)
			await new Promise((r) => setTimeout(r, 0))
			const requested = h.events.find((e) => e.type === 'approval.requested')
			expect(requested?.data).toMatchObject({ tool: 'deploy', callId: 'c1', args: '{"by":1}' })
			const id = requested?.data.approvalId as string
			const decided = h.calls.decide(id, 'allow-once', 'key:k1')
			expect(decided).toMatchObject({ ok: true, value: { status: 'allowed', decidedBy: 'key:k1' } })
			expect(await decision).toBe('allowed')
			expect(h.events.at(-1)).toMatchObject({
				type: 'approval.resolved',
				data: { decision: 'allow-once' },
			})
			// allow-once grants nothing for later calls
			const next = ask(h)
			await new Promise((r) => setTimeout(r, 0))
			expect(h.events.filter((e) => e.type === 'approval.requested')).toHaveLength(2)
			h.signal.abort(new Error('done'))
			await expect(next).rejects.toThrow('done')
			// The lane re-indexes the session at each request and each settlement.
			expect(h.pendingCounts).toEqual([1, 0, 1, 0])
		}))

	it('allow-always answers later calls of the tool at once', () =>
		withLane(async (h) => {
			const first = ask(h)
			await new Promise((r) => setTimeout(r, 0))
			const id = h.events[0]?.data.approvalId as string
			h.calls.decide(id, 'allow-always', 'key:k1')
			expect(await first).toBe('allowed')
			expect(await ask(h)).toBe('allowed')
			expect(h.events.filter((e) => e.type === 'approval.requested')).toHaveLength(1)
		}))

	it('separate approvers: no principal of the call may allow it; another may; the refusal is audited', () =>
		withLane(async (h) => {
			const principals = ['key:op', 'key:m1']
			const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
			const decision = ask(h, 5_000, { principals, separateApprover: true, traceparent })
			await new Promise((r) => setTimeout(r, 0))
			const requested = h.events.find((e) => e.type === 'approval.requested')
			expect(requested?.data.principals).toEqual(principals)
			const id = requested?.data.approvalId as string
			for (const by of principals) {
				expect(h.calls.decide(id, 'allow-once', by)).toMatchObject({
					ok: false,
					error: { code: 'approval_self_denied' },
				})
			}
			expect(h.calls.decide(id, 'allow-always', 'key:m1')).toMatchObject({
				ok: false,
				error: { code: 'approval_self_denied' },
			})
			expect(h.laneAudits).toHaveLength(3)
			expect(h.laneAudits[0]).toMatchObject({
				actor: 'key:op',
				action: 'tool.approval_self_denied',
				outcome: 'deny',
				// The run's trace: following it finds the refusal.
				traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
				data: { approvalId: id, tool: 'deploy', principals },
			})
			// Still pending: someone else decides it.
			expect(h.calls.list(10)[0]).toMatchObject({ status: 'pending', principals })
			expect(h.calls.decide(id, 'allow-once', 'key:other')).toMatchObject({
				ok: true,
				value: { status: 'allowed', decidedBy: 'key:other' },
			})
			expect(await decision).toBe('allowed')
		}))

	it('separate approvers: a principal may still deny its own call', () =>
		withLane(async (h) => {
			const decision = ask(h, 5_000, { principals: ['key:op'], separateApprover: true })
			await new Promise((r) => setTimeout(r, 0))
			const id = h.events[0]?.data.approvalId as string
			expect(h.calls.decide(id, 'deny', 'key:op')).toMatchObject({ ok: true })
			expect(await decision).toBe('denied')
		}))

	it("separate approvers: a principal's own allow-always grant does not answer its calls", () =>
		withLane(async (h) => {
			// key:op approved someone else's call for good…
			const first = ask(h, 5_000, { principals: ['key:m1'], separateApprover: true })
			await new Promise((r) => setTimeout(r, 0))
			h.calls.decide(h.events[0]?.data.approvalId as string, 'allow-always', 'key:op')
			expect(await first).toBe('allowed')
			expect(await ask(h, 5_000, { principals: ['key:m1'], separateApprover: true })).toBe(
				'allowed',
			)
			// …but its own calls still wait for another principal.
			const own = ask(h, 20, { principals: ['key:op'], separateApprover: true })
			expect(await own).toBe('expired')
			// Without the rule the grant answers anyone's call.
			expect(await ask(h, 5_000, { principals: ['key:op'] })).toBe('allowed')
		}))

	it('deny and expiry both refuse; a second decision is a conflict, an unknown id not found', () =>
		withLane(async (h) => {
			const denied = ask(h)
			await new Promise((r) => setTimeout(r, 0))
			const id = h.events[0]?.data.approvalId as string
			h.calls.decide(id, 'deny', 'key:k1')
			expect(await denied).toBe('denied')
			expect(h.calls.decide(id, 'allow-once', 'key:k1')).toMatchObject({
				ok: false,
				error: { code: 'conflict' },
			})
			expect(h.calls.decide('nope', 'deny', 'key:k1')).toMatchObject({
				ok: false,
				error: { code: 'not_found' },
			})
			expect(await ask(h, 20)).toBe('expired')
			expect(
				h.calls
					.list(10)
					.map((a) => a.status)
					.sort(),
			).toEqual(['denied', 'expired'])
		}))
})
