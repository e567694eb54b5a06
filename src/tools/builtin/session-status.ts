// session_status: who the current run is for (tenant, agent, session, run). It reads only its own
// context, so it runs in the session's lane.
import { z } from 'zod'
import type { ToolSpec } from '../registry'

export const sessionStatus: ToolSpec<Record<string, never>> = {
	name: 'session_status',
	description: 'Identity of the current session and run: tenant, agent, session key, run id.',
	parameters: z.object({}).strict(),
	sideEffect: 'read',
	groups: ['group:session'],
	timeoutMs: 1_000,
	idempotent: true,
	placement: 'lane',
	async execute(_args, ctx) {
		return {
			tenant: ctx.tenantId,
			agent: ctx.agentId,
			session: ctx.sessionKey,
			run: ctx.runId,
			time: new Date(ctx.now()).toISOString(),
		}
	},
}
