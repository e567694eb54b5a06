// Tool calls under the policy engine: every call is an access request — action `tools:invoke` on
// `tenant:<t>/agent:<a>/tool:<name>` — decided like a gateway route (system policies + the
// tenant's own, deny wins, default deny). Conditions can name the tool, its side-effect class,
// the agent, the channel, the session and the UTC hour and weekday. Pure: the clock comes in.
import type { AccessRequest } from '../security/policy'
import type { SessionRef, ToolSubject } from '../security/subject'
import type { SideEffect } from './registry'

export const TOOL_ACTION = 'tools:invoke'

export interface ToolCallTarget extends SessionRef {
	tool: string
	sideEffect: SideEffect
}

export const toolResource = (t: Pick<ToolCallTarget, 'tenantId' | 'agentId' | 'tool'>): string =>
	`tenant:${t.tenantId}/agent:${t.agentId}/tool:${t.tool}`

export function toolAccessRequest(
	subject: ToolSubject,
	target: ToolCallTarget,
	now: number,
): AccessRequest {
	const at = new Date(now)
	return {
		subject: {
			id: subject.id,
			role: subject.role,
			tenant: subject.tenantId,
			kind: subject.kind,
			scopes: subject.scopes,
		},
		resource: toolResource(target),
		resourceTenant: target.tenantId,
		action: TOOL_ACTION,
		context: {
			agent: target.agentId,
			tool: target.tool,
			sideEffect: target.sideEffect,
			channel: subject.channel,
			session: target.sessionKey,
			hour: at.getUTCHours(),
			weekday: at.getUTCDay(),
		},
	}
}

/** Runs stored before tools existed have no subject: they act for nobody, so no tool is allowed. */
export const NO_SUBJECT: ToolSubject = {
	kind: 'api-key',
	id: 'unknown',
	role: 'none',
	tenantId: '',
	scopes: [],
	channel: 'api',
}
