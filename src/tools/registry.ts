// The tool registry: what tools exist, which an agent may see, and how one call is validated and
// executed in-process with a timeout. The model's arguments are never trusted: they are parsed
// with the tool's zod schema first. Default deny: an agent sees only the tools its profile or
// allow list names, minus its deny list.
import { z } from 'zod'

export type SideEffect = 'read' | 'write' | 'external' | 'exec'

export interface ToolContext {
	tenantId: string
	agentId: string
	sessionKey: string
	runId: string
	signal: AbortSignal
	now(): number
}

export interface ToolSpec<Args = unknown> {
	name: string
	description: string
	parameters: z.ZodType<Args>
	sideEffect: SideEffect
	/** Groups the tool belongs to, e.g. `group:session`. */
	groups: readonly string[]
	timeoutMs: number
	execute(args: Args, ctx: ToolContext): Promise<unknown>
}

/** Tool names each profile opens (OpenClaw's profiles; more tools join them as they land). */
export const PROFILES: Record<'minimal' | 'coding' | 'messaging' | 'full', readonly string[]> = {
	minimal: ['group:session'],
	coding: ['group:session'],
	messaging: ['group:session'],
	full: ['*'],
}

export interface ToolSelection {
	profile: keyof typeof PROFILES
	allow: readonly string[]
	deny: readonly string[]
}

export interface ToolOutcome {
	ok: boolean
	/** JSON (or an error message) as text, for the model. */
	text: string
}

const matches = (spec: ToolSpec<never>, entry: string): boolean =>
	entry === '*' || entry === spec.name || spec.groups.includes(entry)

export class ToolRegistry {
	readonly #tools = new Map<string, ToolSpec<never>>()

	register<Args>(spec: ToolSpec<Args>): this {
		if (this.#tools.has(spec.name)) throw new Error(`tool "${spec.name}" is registered twice`)
		this.#tools.set(spec.name, spec as unknown as ToolSpec<never>)
		return this
	}

	get names(): string[] {
		return [...this.#tools.keys()]
	}

	/** The tools an agent may call: (profile ∪ allow) − deny; deny wins. */
	forAgent(selection: ToolSelection): ToolSpec<never>[] {
		const open = [...PROFILES[selection.profile], ...selection.allow]
		return [...this.#tools.values()].filter(
			(spec) =>
				open.some((entry) => matches(spec, entry)) &&
				!selection.deny.some((entry) => matches(spec, entry)),
		)
	}

	/**
	 * Runs one call of a tool from `visible` (the agent's tools): unknown or hidden tools, invalid
	 * arguments, failures and timeouts come back as error outcomes for the model, never throws —
	 * except when the run itself is aborted.
	 */
	async execute(
		visible: readonly ToolSpec<never>[],
		name: string,
		args: unknown,
		ctx: ToolContext,
	): Promise<ToolOutcome> {
		const spec = visible.find((t) => t.name === name)
		if (!spec) return { ok: false, text: `Tool "${name}" is not available to this agent.` }
		const parsed = spec.parameters.safeParse(args ?? {})
		if (!parsed.success) {
			return {
				ok: false,
				text: `Invalid arguments for "${name}": ${z.prettifyError(parsed.error)}`,
			}
		}
		const controller = new AbortController()
		const onAbort = () => controller.abort(ctx.signal.reason)
		ctx.signal.addEventListener('abort', onAbort, { once: true })
		let timer: ReturnType<typeof setTimeout> | undefined
		try {
			const timeout = new Promise<never>((_, reject) => {
				timer = setTimeout(() => {
					controller.abort(new Error('timeout'))
					reject(new ToolTimeout(spec.timeoutMs))
				}, spec.timeoutMs)
			})
			const value = await Promise.race([
				spec.execute(parsed.data, { ...ctx, signal: controller.signal }),
				timeout,
			])
			return { ok: true, text: typeof value === 'string' ? value : JSON.stringify(value ?? null) }
		} catch (error) {
			ctx.signal.throwIfAborted()
			if (error instanceof ToolTimeout) return { ok: false, text: error.message }
			const message = error instanceof Error ? error.message : String(error)
			return { ok: false, text: `Tool "${name}" failed: ${message.slice(0, 500)}` }
		} finally {
			if (timer !== undefined) clearTimeout(timer)
			ctx.signal.removeEventListener('abort', onAbort)
		}
	}
}

class ToolTimeout extends Error {
	constructor(ms: number) {
		super(`The tool did not finish within ${ms} ms.`)
	}
}
