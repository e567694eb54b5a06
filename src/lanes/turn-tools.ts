// The tool invoker of one run: policy through the toolbox, approvals and tool jobs through the
// lane's tool calls, lane tools with the toolbox's context, every decision recorded. Built once
// per turn; the model's calls go through it. A call is decided for every principal whose message
// the run carries at that moment (its starter, then each sender whose message it took).
import type { ToolExecution } from '../db/tool-executions'
import { traceIdOf } from '../observability/trace'
import { actorOf, type SessionRef, type ToolSubject } from '../security/subject'
import { ToolInvoker } from '../tools/invoker'
import { toolPoint } from '../tools/metrics'
import { NO_SUBJECT, toolResource } from '../tools/policy'
import { actorsOf } from '../tools/principals'
import type { LaneHost } from './host'
import { laneName } from './name'
import { type RunRecord, runPrincipals } from './store'
import type { LaneToolCalls } from './tool-calls'
import type { TurnContext } from './turn'

/** The run's invoker, and what the turn tells it when the run took steered messages. */
export interface RunInvoker {
	invoker: ToolInvoker
	tookSteer(): void
}

export function runInvoker(
	ctx: { host: LaneHost; tools: LaneToolCalls; sessions?: TurnContext['sessions'] },
	run: RunRecord,
	session: SessionRef,
	signal: AbortSignal,
): RunInvoker {
	const { host } = ctx
	const { toolbox } = host
	const agent = run.agent
	const nobody = { ...NO_SUBJECT, tenantId: session.tenantId }
	const subject = run.subject ?? nobody
	const actor = actorOf(subject)
	const traceparent = run.trace ?? undefined
	const origin = { laneName: laneName(session), session, runId: run.id, subject, traceparent }
	// A running run's input changes only when it takes steered messages, so its principals are
	// read from storage once, and again after each steer — not on every call.
	let principals: ToolSubject[] | undefined
	const invoker = new ToolInvoker(
		{
			decide: (request) => toolbox.decide(request),
			approve: (call, spec, principals) =>
				ctx.tools.approve(
					run.id,
					call,
					spec,
					{
						timeoutMs: agent.config.tools.approvalTimeoutMs,
						principals: actorsOf(principals),
						separateApprover: agent.config.tools.separateApprover,
						traceparent,
					},
					signal,
				),
			dispatch: (call, spec, principals) =>
				ctx.tools.dispatch({ ...origin, principals: [...principals] }, call, spec, signal),
			unavailable: (spec) => toolbox.unavailable(agent, spec),
			context: (call) => ({
				...toolbox.context({
					...session,
					runId: run.id,
					callId: call.callId,
					signal,
					agent,
					traceparent,
					// The run's starter as stored (what the turn's pinned memory is read for, too).
					subject: run.subject ?? undefined,
				}),
				sessions: ctx.sessions?.(run, { callId: call.callId, signal }),
			}),
			record: (entry) => {
				const execution: ToolExecution = {
					id: host.newId(),
					tenantId: session.tenantId,
					agentId: session.agentId,
					sessionKey: session.sessionKey,
					runId: run.id,
					callId: entry.callId,
					actor,
					principals: actorsOf(entry.principals),
					tool: entry.tool,
					args: entry.args,
					decision: entry.decision.effect,
					policyId: entry.decision.policyId,
					placement: 'lane',
					status: entry.status,
					code: entry.code,
					attempts: 1,
					startedAt: host.now() - entry.durationMs,
					durationMs: entry.durationMs,
					bytesIn: JSON.stringify(entry.args ?? null).length,
					bytesOut: entry.bytesOut,
					traceId: traceIdOf(traceparent),
				}
				toolbox.record(execution)
				// A lane tool ran here; a job tool is measured here only when refused before its job.
				host.metrics.write(
					toolPoint(execution, { placement: 'lane', traceId: traceIdOf(traceparent) }),
				)
			},
			denied: (entry) =>
				toolbox.audit({
					tenantId: session.tenantId,
					actor,
					action: 'tool.denied',
					target: toolResource({ ...session, tool: entry.tool }),
					outcome: 'deny',
					traceId: traceIdOf(traceparent),
					data: {
						policy: entry.policyId,
						reason: entry.reason,
						...(entry.principal !== undefined && { principal: entry.principal }),
						principals: actorsOf(entry.principals),
						session: session.sessionKey,
						runId: run.id,
					},
				}),
		},
		{
			tenantId: session.tenantId,
			agentId: session.agentId,
			sessionKey: session.sessionKey,
			// The run as stored now: the steers it has taken are in its input.
			principals: () => (principals ??= runPrincipals(host.store.runs.get(run.id) ?? run, nobody)),
			tools: agent.config.tools,
			now: host.now,
		},
	)
	return {
		invoker,
		tookSteer: () => {
			principals = undefined
		},
	}
}
