// The floor of a tool call: one echo tool run in-process vs. sent through the product's real job
// path (LaneToolCalls → Queue → handleToolJobBatch → claim/deliver by RPC), and one run_js isolate.
import { DurableObject } from 'cloudflare:workers'
import { Hono } from 'hono'
import { z } from 'zod'
import { LaneStore } from '../../src/lanes/store'
import { LaneToolCalls } from '../../src/lanes/tool-calls'
import { Logger } from '../../src/observability/logger'
import { SandboxConfig } from '../../src/sandbox/config'
import { SandboxUnavailable } from '../../src/sandbox/executor'
import { IsolateExecutor } from '../../src/sandbox/isolate'
import type { ToolSubject } from '../../src/security/subject'
import { ToolsConfig } from '../../src/tools/config'
import { handleToolJobBatch } from '../../src/tools/consumer'
import type { ClaimAnswer } from '../../src/tools/jobs'
import {
	runTool,
	type ToolContext,
	type ToolOutcome,
	type ToolSpec,
} from '../../src/tools/registry'
import type { ToolAgent, Toolbox } from '../../src/tools/toolbox'

export interface ToolsEnv {
	FLOOR_TOOLS: DurableObjectNamespace<FloorToolLane>
	FLOOR_TOOL_JOBS: Queue
	LOADER: WorkerLoader
}

/** For tools; the queue path logs errors, so a failing job shows in `wrangler dev`'s output. */
const silent = new Logger({}, { sink: { log() {}, warn() {}, error() {} } })
const logger = new Logger({}, { level: 'error' })

/** Returns its arguments. Placed as a job, so the lane sends it through the queue. */
const echoTool: ToolSpec<Record<string, unknown>> = {
	name: 'echo',
	description: 'Returns its arguments.',
	parameters: z.record(z.string(), z.unknown()),
	sideEffect: 'read',
	groups: [],
	timeoutMs: 5_000,
	idempotent: true,
	placement: 'job',
	execute: async (args) => args,
}

const AGENT: ToolAgent = {
	tenantId: 'bench',
	id: 'bench',
	version: 1,
	config: { tools: ToolsConfig.parse({ allow: ['echo'] }), sandbox: SandboxConfig.parse({}) },
}

const SUBJECT: ToolSubject = {
	kind: 'platform',
	id: 'bench',
	role: 'admin',
	tenantId: 'bench',
	scopes: [],
	channel: 'api',
}

const contextOf = (
	s: Pick<ToolContext, 'tenantId' | 'agentId' | 'sessionKey' | 'runId' | 'callId' | 'signal'>,
): ToolContext => ({
	tenantId: s.tenantId,
	agentId: s.agentId,
	sessionKey: s.sessionKey,
	runId: s.runId,
	callId: s.callId,
	signal: s.signal,
	now: Date.now,
	tools: AGENT.config.tools,
	sandboxConfig: AGENT.config.sandbox,
	sandbox: () => {
		throw new SandboxUnavailable('container', 'no sandbox in the floor benchmark')
	},
	fetch: async () => {
		throw new Error('no network in the floor benchmark')
	},
	credential: async () => ({ ok: false, reason: 'not_found', message: 'no secrets in the floor' }),
	logger: silent,
})

/** Echo only, every call allowed, nothing recorded: what is left is the dispatch path itself. */
const benchToolbox = (jobs: Queue): Toolbox => ({
	toolsFor: async () => [echoTool],
	decide: async () => ({ effect: 'allow', policyId: 'bench', reason: 'bench' }),
	enqueue: async (job) => {
		await jobs.send(job, { contentType: 'json' })
	},
	unavailable: () => undefined,
	context: (scope) => contextOf(scope),
	record() {},
	audit() {},
	sessionEnded: async () => {},
})

/** A lane that owns a real LaneToolCalls over its own SQLite, as SessionLane does. */
export class FloorToolLane extends DurableObject<ToolsEnv> {
	readonly #name: string
	readonly #calls: LaneToolCalls

	constructor(ctx: DurableObjectState, env: ToolsEnv) {
		super(ctx, env)
		this.#name = ctx.id.name ?? ctx.id.toString()
		const store = new LaneStore(ctx.storage.sql)
		store.migrate()
		this.#calls = new LaneToolCalls({
			store: store.tools,
			host: {
				now: Date.now,
				newId: () => crypto.randomUUID(),
				logger,
				toolbox: benchToolbox(env.FLOOR_TOOL_JOBS),
			},
			tx: (fn) => ctx.storage.transactionSync(fn),
			emit() {},
			audit() {},
			approvalsChanged() {},
		})
	}

	#scope() {
		const id = crypto.randomUUID()
		return {
			tenantId: 'bench',
			agentId: 'bench',
			sessionKey: this.#name,
			runId: `run-${id}`,
			callId: `call-${id}`,
			signal: new AbortController().signal,
		}
	}

	direct(args: unknown): Promise<ToolOutcome> {
		return runTool(echoTool, args, contextOf(this.#scope()))
	}

	queued(args: unknown): Promise<ToolOutcome> {
		const s = this.#scope()
		const session = { tenantId: s.tenantId, agentId: s.agentId, sessionKey: s.sessionKey }
		return this.#calls.dispatch(
			{ laneName: this.#name, session, runId: s.runId, subject: SUBJECT, principals: [SUBJECT] },
			{ callId: s.callId, name: echoTool.name, args },
			echoTool,
			s.signal,
		)
	}

	claimToolJob(jobId: string): ClaimAnswer {
		return this.#calls.claim(jobId)
	}

	deliverToolResult(jobId: string, outcome: ToolOutcome): boolean {
		return this.#calls.deliver(jobId, outcome)
	}
}

/** The floor's queue() handler: the product's consumer over bench dependencies. */
export async function queue(batch: MessageBatch<unknown>, env: ToolsEnv): Promise<void> {
	await handleToolJobBatch(batch, {
		toolbox: benchToolbox(env.FLOOR_TOOL_JOBS),
		lane: (name) => env.FLOOR_TOOLS.getByName(name),
		agent: async () => AGENT,
		logger,
		now: Date.now,
	})
}

const answer = (outcome: ToolOutcome) => Response.json(outcome, { status: outcome.ok ? 200 : 502 })

export const toolRoutes = new Hono<{ Bindings: ToolsEnv }>()
toolRoutes.post('/tool/direct/:lane', async (c) =>
	answer(await c.env.FLOOR_TOOLS.getByName(c.req.param('lane')).direct(await c.req.json())),
)
toolRoutes.post('/tool/job/:lane', async (c) =>
	answer(await c.env.FLOOR_TOOLS.getByName(c.req.param('lane')).queued(await c.req.json())),
)
toolRoutes.get('/isolate', async (c) => {
	const run = await new IsolateExecutor(c.env.LOADER).runJs({
		code: 'return 1',
		language: 'javascript',
		timeoutMs: 5_000,
		maxOutputBytes: 65_536,
		signal: new AbortController().signal,
	})
	return c.json(run, run.ok ? 200 : 502)
})
