// One tool call from the model to its outcome, inside the lane: the tool must be one the agent
// sees, its arguments must parse, the policy engine must allow it for every principal of the run
// (default deny), an elevated tool must get a human's approval, and then it runs — in the lane
// (`lane` tools) or as a tool job on Queues. Every refusal is an error outcome the model reads,
// with a stable code; every decision names the policy that made it and is recorded.
import type { AccessRequest, Decision } from '../security/policy'
import type { SessionRef, ToolSubject } from '../security/subject'
import type { ToolsConfig } from './config'
import { decideForEvery, deniedText } from './principals'
import {
	type AnyToolSpec,
	fail,
	parseArgs,
	runTool,
	type ToolContext,
	type ToolOutcome,
	toolMatches,
} from './registry'

export interface ToolCall {
	callId: string
	name: string
	/** Parsed from the model's JSON; untrusted. */
	args: unknown
}

export type ApprovalDecision = 'allowed' | 'denied' | 'expired'

/** A call that was decided without reaching the queue consumer (lane tools, refusals). */
export interface CallRecord {
	callId: string
	tool: string
	args: unknown
	decision: Decision
	/** Every principal the call was decided for (the run's starter first). */
	principals: readonly ToolSubject[]
	status: 'succeeded' | 'failed' | 'denied' | 'timeout'
	durationMs: number
	bytesOut: number
	code?: string
}

export interface InvokerPorts {
	decide(request: AccessRequest): Promise<Decision>
	/** Waits for a human's decision on a call to an elevated tool (with its deadline). */
	approve(
		call: ToolCall,
		spec: AnyToolSpec,
		principals: readonly ToolSubject[],
	): Promise<ApprovalDecision>
	/** Runs a `job` tool through the queue; resolves with its outcome (or a timeout). */
	dispatch(
		call: ToolCall,
		spec: AnyToolSpec,
		principals: readonly ToolSubject[],
	): Promise<ToolOutcome>
	/** The context a `lane` tool runs with. */
	context(call: ToolCall): ToolContext
	/** Why the sandbox `spec` runs in cannot run here for this agent, or undefined. */
	unavailable(spec: AnyToolSpec): string | undefined
	record(entry: CallRecord): void
	/** A denial for the audit log; `principal` is the one the policy denied. */
	denied(entry: {
		tool: string
		policyId: string
		reason: string
		principal: string | undefined
		principals: readonly ToolSubject[]
	}): void
}

export interface InvokerOptions extends SessionRef {
	/**
	 * Every principal whose message the run carries at the moment of a call (its starter first):
	 * read per call, because a run takes steered messages between its steps.
	 */
	principals(): readonly ToolSubject[]
	tools: ToolsConfig
	now(): number
}

export class ToolInvoker {
	readonly #ports: InvokerPorts
	readonly #options: InvokerOptions

	constructor(ports: InvokerPorts, options: InvokerOptions) {
		this.#ports = ports
		this.#options = options
	}

	/** True when calls to `spec` wait for a human's approval. */
	isElevated(spec: AnyToolSpec): boolean {
		return this.#options.tools.elevated.some((entry) => toolMatches(spec, entry))
	}

	async invoke(visible: readonly AnyToolSpec[], call: ToolCall): Promise<ToolOutcome> {
		const o = this.#options
		const spec = visible.find((t) => t.name === call.name)
		if (!spec)
			return fail('tool_unavailable', `Tool "${call.name}" is not available to this agent.`)
		const parsed = parseArgs(spec, call.args)
		if (!parsed.ok) return parsed.outcome
		const started = o.now()
		const principals = o.principals()
		const decision = await decideForEvery(
			(request) => this.#ports.decide(request),
			principals,
			{
				tenantId: o.tenantId,
				agentId: o.agentId,
				sessionKey: o.sessionKey,
				tool: spec.name,
				sideEffect: spec.sideEffect,
			},
			started,
		)
		if (decision.effect === 'deny') {
			this.#ports.record({
				...base(call, decision, principals),
				status: 'denied',
				durationMs: 0,
				bytesOut: 0,
				code: 'tool_denied',
			})
			this.#ports.denied({
				tool: spec.name,
				policyId: decision.policyId,
				reason: decision.reason,
				principal: decision.principal,
				principals,
			})
			return fail('tool_denied', deniedText(spec.name, decision, principals.length))
		}
		// A call that can only fail (no sandbox for it here) says so now, instead of waiting for a
		// human to approve it first.
		const missing = this.#ports.unavailable(spec)
		if (missing !== undefined) {
			this.#ports.record({
				...base(call, decision, principals),
				status: 'failed',
				durationMs: 0,
				bytesOut: 0,
				code: 'sandbox_unavailable',
			})
			return fail('sandbox_unavailable', missing)
		}
		if (this.isElevated(spec)) {
			const approval = await this.#ports.approve(call, spec, principals)
			if (approval !== 'allowed') {
				const code = approval === 'denied' ? 'approval_denied' : 'approval_expired'
				this.#ports.record({
					...base(call, decision, principals),
					status: 'denied',
					durationMs: o.now() - started,
					bytesOut: 0,
					code,
				})
				return fail(
					code,
					approval === 'denied'
						? `A human declined this call to "${spec.name}".`
						: `No one approved this call to "${spec.name}" in time.`,
				)
			}
		}
		if (spec.placement === 'job') {
			return this.#ports.dispatch({ ...call, args: parsed.data }, spec, principals)
		}
		const outcome = await runTool(spec, parsed.data, this.#ports.context(call))
		this.#ports.record({
			...base(call, decision, principals),
			status: outcome.ok ? 'succeeded' : outcome.code === 'timeout' ? 'timeout' : 'failed',
			durationMs: o.now() - started,
			bytesOut: outcome.text.length,
			...(outcome.code !== undefined && { code: outcome.code }),
		})
		return outcome
	}
}

const base = (call: ToolCall, decision: Decision, principals: readonly ToolSubject[]) => ({
	callId: call.callId,
	tool: call.name,
	args: call.args,
	decision,
	principals,
})
