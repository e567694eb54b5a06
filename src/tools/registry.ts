// The tool registry: what a tool is (name, zod parameters, result schema, timeout, side-effect
// class, idempotency, where it runs), which tools an agent may see, and how one call is validated
// and executed with its timeout. The model's arguments are never trusted: they are parsed with
// the tool's schema first. Default deny: an agent sees only the tools its profile or allow list
// names, minus its deny list.
import { z } from 'zod'
import type { MemoryAccess } from '../automation/memory/access'
import type { Logger } from '../observability/logger'
import type { SandboxConfig } from '../sandbox/config'
import {
	type SandboxNeed,
	SandboxPathError,
	type SandboxProvider,
	SandboxUnavailable,
	ToolError,
} from '../sandbox/executor'
import type { Credential } from '../security/credentials'
import { matchesPattern } from '../security/policy'
import type { SessionRef } from '../security/subject'
import type { ToolProfile, ToolsConfig } from './config'
import type { SessionsPort } from './sessions'

export type SideEffect = 'read' | 'write' | 'external' | 'exec'

/**
 * `lane`: runs inside the session's lane: no sandbox, no network beyond the platform's own stores
 * (time, identity, memory in D1).
 * `job`: travels as a tool job on Queues and runs in the consumer (sandboxes, network).
 */
export type Placement = 'lane' | 'job'

export interface ToolContext extends SessionRef {
	runId: string
	callId: string
	signal: AbortSignal
	now(): number
	/** The agent's tool settings (web lists, MCP servers, …). */
	tools: ToolsConfig
	/** The agent's sandbox settings (limits, env allowlist, …). */
	sandboxConfig: SandboxConfig
	/** The executor the agent chose for a need; throws SandboxUnavailable when there is none. */
	sandbox: SandboxProvider
	/** Outbound HTTP (replaced in tests); tools that fetch still pass every URL through the SSRF guard. */
	fetch: typeof fetch
	/**
	 * A secret the agent's config names (MCP credentials), resolved for the call's tenant: the
	 * tenant's own only, since tools reach tenant-chosen URLs (src/security/credentials.ts).
	 */
	credential(name: string): Promise<Credential>
	/** Its logger carries the run's trace id, when the run has one. */
	logger: Logger
	/** The run's W3C traceparent: sandboxes and MCP servers get it with each request. */
	traceparent?: string | undefined
	/** The agent's memory, bound to the run's tenant, agent and user (absent: no memory here). */
	memory?: MemoryAccess | undefined
	/** Other sessions of the tenant, for `group:sessions` tools (lane tools only; absent in jobs). */
	sessions?: SessionsPort | undefined
}

/** JSON Schema of an object, as the model sees a tool's parameters. */
export type JsonSchemaObject = { type: 'object'; [key: string]: unknown }

export interface ToolSpec<Args = unknown, Result = unknown> {
	name: string
	description: string
	parameters: z.ZodType<Args>
	/** The schema the model sees, when `parameters` cannot say it (remote MCP tools). */
	inputSchema?: JsonSchemaObject
	/** Checked on the way out: a tool that returns something else has failed. */
	result?: z.ZodType<Result>
	sideEffect: SideEffect
	/** Groups the tool belongs to, e.g. `group:fs`. */
	groups: readonly string[]
	timeoutMs: number
	/** Safe to run twice with the same arguments: a redelivered job may run it again. */
	idempotent: boolean
	placement: Placement
	/**
	 * The sandbox it runs in, if any: where that sandbox cannot run, a call fails at once with
	 * `sandbox_unavailable` — before any human is asked to approve it.
	 */
	needs?: SandboxNeed
	execute(args: Args, ctx: ToolContext): Promise<Result>
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds tools of every argument type
export type AnyToolSpec = ToolSpec<any, any>

/** Group aliases (OpenClaw's names) → edgeclaw's. */
const GROUP_ALIASES: Record<string, string> = { 'group:runtime': 'group:exec' }

/** What each profile opens (OpenClaw's profiles, over edgeclaw's tools). */
export const PROFILES: Record<ToolProfile, readonly string[]> = {
	minimal: ['group:session'],
	coding: ['group:session', 'group:fs', 'group:exec', 'group:web'],
	messaging: ['group:session'],
	full: ['*'],
}

/** True when `entry` (a name, group, `mcp:<id>` or `*` pattern) names the tool. */
export function toolMatches(spec: Pick<ToolSpec, 'name' | 'groups'>, entry: string): boolean {
	const group = GROUP_ALIASES[entry] ?? entry
	return spec.groups.includes(group) || matchesPattern(entry, spec.name)
}

export type ToolSelection = Pick<ToolsConfig, 'profile' | 'allow' | 'deny'>

/** The outcome of one call, for the model: text (JSON or an error message) and a stable code. */
export interface ToolOutcome {
	ok: boolean
	text: string
	/** Why a call failed: `invalid_args`, `tool_denied`, `timeout`, `sandbox_unavailable`, … */
	code?: string
}

export { ToolError }

export const fail = (code: string, text: string): ToolOutcome => ({ ok: false, text, code })

export class ToolRegistry {
	readonly #tools = new Map<string, AnyToolSpec>()

	register(spec: AnyToolSpec): this {
		if (this.#tools.has(spec.name)) throw new Error(`tool "${spec.name}" is registered twice`)
		this.#tools.set(spec.name, spec)
		return this
	}

	/** This registry plus `extra` (e.g. an agent's MCP tools); names must not collide. */
	with(extra: readonly AnyToolSpec[]): ToolRegistry {
		const next = new ToolRegistry()
		for (const spec of this.#tools.values()) next.register(spec)
		for (const spec of extra) next.register(spec)
		return next
	}

	get names(): string[] {
		return [...this.#tools.keys()]
	}

	get(name: string): AnyToolSpec | undefined {
		return this.#tools.get(name)
	}

	/** The tools an agent may call: (profile ∪ allow) − deny; deny wins; nothing else. */
	forAgent(selection: ToolSelection): AnyToolSpec[] {
		const open = [...PROFILES[selection.profile], ...selection.allow]
		return [...this.#tools.values()].filter(
			(spec) =>
				open.some((entry) => toolMatches(spec, entry)) &&
				!selection.deny.some((entry) => toolMatches(spec, entry)),
		)
	}
}

/** The model's arguments through the tool's schema: the parsed value, or the outcome to return. */
export function parseArgs(
	spec: AnyToolSpec,
	args: unknown,
): { ok: true; data: unknown } | { ok: false; outcome: ToolOutcome } {
	const parsed = spec.parameters.safeParse(args ?? {})
	if (parsed.success) return { ok: true, data: parsed.data }
	return {
		ok: false,
		outcome: fail(
			'invalid_args',
			`Invalid arguments for "${spec.name}": ${z.prettifyError(parsed.error)}`,
		),
	}
}

/**
 * Runs one call of `spec`: arguments parsed by its schema, the tool raced against its timeout
 * and the caller's signal, the result checked by its result schema. Failures come back as error
 * outcomes for the model with a stable code; it throws only when the caller's signal aborted, or
 * (when `rethrowTransient`) for a transient ToolError the caller may retry.
 */
export async function runTool(
	spec: AnyToolSpec,
	args: unknown,
	ctx: ToolContext,
	options: { rethrowTransient?: boolean } = {},
): Promise<ToolOutcome> {
	const parsed = parseArgs(spec, args)
	if (!parsed.ok) return parsed.outcome
	const controller = new AbortController()
	const onAbort = () => controller.abort(ctx.signal.reason)
	ctx.signal.addEventListener('abort', onAbort, { once: true })
	let timer: ReturnType<typeof setTimeout> | undefined
	try {
		const timeout = new Promise<never>((_, reject) => {
			timer = setTimeout(() => {
				const error = new ToolError(
					'timeout',
					`The tool did not finish within ${spec.timeoutMs} ms.`,
				)
				controller.abort(error)
				reject(error)
			}, spec.timeoutMs)
		})
		const value: unknown = await Promise.race([
			spec.execute(parsed.data, { ...ctx, signal: controller.signal }),
			timeout,
		])
		if (spec.result) {
			const checked = spec.result.safeParse(value)
			if (!checked.success) {
				return fail('bad_result', `Tool "${spec.name}" returned an unexpected result.`)
			}
		}
		return { ok: true, text: typeof value === 'string' ? value : JSON.stringify(value ?? null) }
	} catch (error) {
		ctx.signal.throwIfAborted()
		if (error instanceof ToolError) {
			if (error.transient && options.rethrowTransient) throw error
			return fail(error.code, error.message.slice(0, 1_000))
		}
		if (error instanceof SandboxUnavailable) return fail(error.code, error.message)
		if (error instanceof SandboxPathError) return fail(error.code, error.message)
		const message = error instanceof Error ? error.message : String(error)
		return fail('tool_failed', `Tool "${spec.name}" failed: ${message.slice(0, 500)}`)
	} finally {
		if (timer !== undefined) clearTimeout(timer)
		ctx.signal.removeEventListener('abort', onAbort)
	}
}
