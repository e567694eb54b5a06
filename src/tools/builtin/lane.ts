// Built-in lane tools: cheap, read-only, no I/O beyond the run itself, so they run inside the
// session's lane. Everything that touches a sandbox or the network is a tool job (see index.ts).
import { z } from 'zod'
import type { ToolSpec } from '../registry'

export const timeNow: ToolSpec<{ timezone?: string | undefined }> = {
	name: 'time_now',
	description:
		'The current date and time. Optionally in an IANA time zone such as "Europe/Paris" (default UTC).',
	parameters: z.object({ timezone: z.string().min(1).max(64).optional() }).strict(),
	sideEffect: 'read',
	groups: ['group:session'],
	timeoutMs: 1_000,
	idempotent: true,
	placement: 'lane',
	async execute({ timezone }, ctx) {
		const now = new Date(ctx.now())
		const zone = timezone ?? 'UTC'
		let local: string
		try {
			local = new Intl.DateTimeFormat('en-CA', {
				timeZone: zone,
				dateStyle: 'short',
				timeStyle: 'long',
				hourCycle: 'h23',
			}).format(now)
		} catch {
			throw new Error(`unknown time zone "${zone}"`)
		}
		return { iso: now.toISOString(), epochMs: now.getTime(), timezone: zone, local }
	},
}

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
