// The Toolbox binds the tools layer to a deployment: which tools an agent sees this turn
// (built-ins plus its MCP servers'), policy decisions over the tenant's policies in D1, the
// `tool-jobs` queue, the context a tool runs with (sandboxes, fetch, the tenant's credentials), the
// `tool_executions` record and the audit log. Lanes and the queue consumer both use it.
import { cachedPinned, memoryAccess, memoryOwner } from '../automation/memory/access'
import type { MemoryConfig } from '../automation/memory/config'
import { MemoryService } from '../automation/memory/service'
import { database } from '../db/client'
import { credentialsFromEnv } from '../db/credentials'
import { tenantPolicies } from '../db/policies'
import { recordToolExecution, type ToolExecution } from '../db/tool-executions'
import type { Logger } from '../observability/logger'
import { traceIdOf } from '../observability/trace'
import type { SandboxConfig } from '../sandbox/config'
import {
	endSessionSandbox,
	type SandboxEnv,
	sandboxProvider,
	sandboxUnavailable,
} from '../sandbox/provider'
import type { AuditEvent } from '../security/audit'
import { decideAccess } from '../security/decide'
import type { UrlGuard } from '../security/outbound'
import type { AccessRequest, Decision } from '../security/policy'
import { checkUrl, tenantUrlRules } from '../security/ssrf'
import { actorOf, type SessionRef, type ToolSubject } from '../security/subject'
import { toolCatalog } from './builtin/index'
import type { ToolsConfig } from './config'
import type { ToolJob } from './jobs'
import { cachedMcpTools } from './mcp'
import type { AnyToolSpec, ToolContext } from './registry'

/** An agent as the tools layer needs it (the agent snapshot fits). */
export interface ToolAgent {
	tenantId: string
	id: string
	version: number
	config: { tools: ToolsConfig; sandbox: SandboxConfig; memory?: MemoryConfig | undefined }
}

export interface Toolbox {
	/** The tools `agent` may call: its selection over built-ins and its MCP servers' tools. */
	toolsFor(agent: ToolAgent): Promise<AnyToolSpec[]>
	decide(request: AccessRequest): Promise<Decision>
	enqueue(job: ToolJob): Promise<void>
	/** The context a call runs with: who it is for (as the caller knows it), the rest from `agent`. */
	context(
		scope: Pick<
			ToolContext,
			'tenantId' | 'agentId' | 'sessionKey' | 'runId' | 'callId' | 'signal' | 'traceparent'
		> & {
			agent: ToolAgent
			/** Who started the run: with `memory.scope: user`, whose memory the tools use. */
			subject?: ToolSubject | undefined
		},
	): ToolContext
	/**
	 * The pinned-memory block of a turn for the system prompt, when `tools` (the turn's) include a
	 * memory tool; undefined otherwise. Cached per isolate; a failure is logged and gives none.
	 * (Optional: a toolbox without memory, like most test doubles, injects nothing.)
	 */
	pinnedMemory?(
		agent: ToolAgent,
		subject: ToolSubject | undefined,
		tools: readonly AnyToolSpec[],
	): Promise<string | undefined>
	/** Why `agent`'s calls to `spec` can only fail here (its sandbox cannot run), or undefined. */
	unavailable(agent: ToolAgent, spec: AnyToolSpec): string | undefined
	/** Writes a `tool_executions` row (in the background; failures are logged). */
	record(execution: ToolExecution): void
	audit(event: AuditEvent): void
	/** The session is deleted: its session-scoped sandbox goes too. */
	sessionEnded(session: SessionRef, sandbox: SandboxConfig): Promise<void>
}

export type ToolboxEnv = SandboxEnv &
	Pick<Env, 'DB' | 'TOOL_JOBS' | 'AUDIT' | 'EDGECLAW_DEV_ALLOW_LOOPBACK'> &
	Partial<Pick<Env, 'AI' | 'MEMORY_INDEX'>>

export interface ToolboxOptions {
	logger: Logger
	waitUntil(promise: Promise<unknown>): void
	/** Outbound HTTP for tools and MCP discovery (replaced in tests). */
	fetch?: typeof fetch
	now?: () => number
}

export function createToolbox(env: ToolboxEnv, options: ToolboxOptions): Toolbox {
	const db = database(env.DB)
	const outbound = options.fetch ?? ((input, init) => fetch(input, init))
	const now = options.now ?? Date.now
	const credentials = credentialsFromEnv(env)
	// Tools only reach URLs a tenant chose: never an official provider endpoint, so never a shared key.
	const credentialOf = (tenantId: string) => (name: string) =>
		credentials.resolve({ tenantId, name, officialFor: undefined })
	const urlRules = tenantUrlRules(env)
	const mcpGuard: UrlGuard = (url) => checkUrl(url, undefined, urlRules)
	const catalog = toolCatalog()
	const memory = new MemoryService(env, options)
	/** The memory user of a run: its starter's actor string (`key:…`, `channel:…`). */
	const userOf = (subject: ToolSubject | undefined) => (subject ? actorOf(subject) : 'anonymous')
	// A lane parses its agent snapshot once, so the selection is worked out once per config.
	const selections = new WeakMap<ToolsConfig, AnyToolSpec[]>()
	return {
		async toolsFor(agent) {
			const { tools } = agent.config
			if (tools.mcp.length === 0) {
				let selected = selections.get(tools)
				if (!selected) {
					selected = catalog.forAgent(tools)
					selections.set(tools, selected)
				}
				return selected
			}
			const mcp = await cachedMcpTools(tools.mcp, {
				tenantId: agent.tenantId,
				fetch: outbound,
				credential: credentialOf(agent.tenantId),
				checkUrl: mcpGuard,
				logger: options.logger,
			})
			if (mcp.length === 0) return catalog.forAgent(tools)
			// A remote tool never shadows a built-in one (`web` + `fetch` would be `web_fetch`).
			const remote = mcp.filter((spec) => {
				if (!catalog.get(spec.name)) return true
				options.logger.warn('mcp.tool_shadows_builtin', { tool: spec.name })
				return false
			})
			return catalog.with(remote).forAgent(tools)
		},
		decide(request) {
			return decideAccess(request, (tenantId) => tenantPolicies(db, tenantId))
		},
		async enqueue(job) {
			await env.TOOL_JOBS.send(job, { contentType: 'json' })
		},
		unavailable(agent, spec) {
			return spec.needs ? sandboxUnavailable(env, agent.config.sandbox, spec.needs) : undefined
		},
		context(scope) {
			const traceId = traceIdOf(scope.traceparent)
			return {
				tenantId: scope.tenantId,
				agentId: scope.agentId,
				sessionKey: scope.sessionKey,
				runId: scope.runId,
				callId: scope.callId,
				signal: scope.signal,
				now,
				tools: scope.agent.config.tools,
				sandboxConfig: scope.agent.config.sandbox,
				sandbox: sandboxProvider(
					env,
					{
						tenantId: scope.tenantId,
						agentId: scope.agentId,
						sessionKey: scope.sessionKey,
						scope: scope.agent.config.sandbox.scope,
					},
					scope.agent.config.sandbox,
					scope.traceparent,
				),
				fetch: outbound,
				credential: credentialOf(scope.tenantId),
				logger: traceId ? options.logger.child({ traceId }) : options.logger,
				...(scope.traceparent && { traceparent: scope.traceparent }),
				memory: memoryAccess(
					memory,
					memoryOwner(scope.agent.config.memory, scope, userOf(scope.subject)),
					scope,
				),
			}
		},
		async pinnedMemory(agent, subject, tools) {
			const budget = agent.config.memory?.pinnedTokens ?? 0
			if (budget <= 0 || !tools.some((t) => t.groups.includes('group:memory'))) return undefined
			const owner = memoryOwner(
				agent.config.memory,
				{ tenantId: agent.tenantId, agentId: agent.id },
				userOf(subject),
			)
			try {
				return (await cachedPinned(memory, owner, budget)).text
			} catch (error) {
				options.logger.warn('memory.pinned_failed', { agent: agent.id, error })
				return undefined
			}
		},
		record(execution) {
			options.waitUntil(
				recordToolExecution(db, execution).catch((error: unknown) =>
					options.logger.error('tool_execution.record_failed', { id: execution.id, error }),
				),
			)
		},
		audit(event) {
			options.waitUntil(
				(env.AUDIT.getByName(event.tenantId).append(event) as Promise<unknown>).catch(
					(error: unknown) =>
						options.logger.error('audit.append_failed', { action: event.action, error }),
				),
			)
		},
		sessionEnded(session, sandbox) {
			return endSessionSandbox(env, session, sandbox)
		},
	}
}
