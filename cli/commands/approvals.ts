// `edgeclaw approvals list|approve|deny`: tool calls waiting for a human.
import { must } from '@edgeclaw/client'
import type { Command } from 'commander'
import { type Context, contextOf } from '../context.ts'
import { CliError, EXIT } from '../errors.ts'
import { table, when } from '../output.ts'

interface Where {
	session?: string
	agent?: string
}

export function registerApprovals(program: Command): void {
	const approvals = program
		.command('approvals')
		.description('list and decide tool calls waiting for approval')

	approvals
		.command('list')
		.description('pending approvals across the tenant’s sessions, newest first')
		.option('-a, --agent <id>', 'only this agent’s')
		.option('--limit <n>', 'sessions to ask (1–100)', Number)
		.action(async (options: { agent?: string; limit?: number }, command: Command) => {
			const ctx = contextOf(command)
			const result = await must(ctx.client.GET('/v1/approvals', { params: { query: options } }))
			ctx.out.result(result, (r) =>
				table(
					['id', 'agent', 'session', 'tool', 'args', 'expires'],
					r.approvals.map((a) => [
						a.id,
						a.agentId,
						a.sessionKey,
						a.tool,
						JSON.stringify(a.args ?? {}).slice(0, 60),
						when(a.deadlineAt),
					]),
				),
			)
		})

	for (const [name, description] of [
		['approve', 'allow the call (once; --always for every later call of the tool in the session)'],
		['deny', 'refuse the call'],
	] as const) {
		const command = approvals
			.command(name)
			.description(description)
			.argument('<approvalId>')
			.option('-s, --session <key>', 'its session (default: found among the pending ones)')
			.option('-a, --agent <id>', 'its agent (with --session)', 'main')
		if (name === 'approve') command.option('--always', 'allow-always instead of allow-once')
		command.action(
			async (approvalId: string, options: Where & { always?: boolean }, cmd: Command) => {
				const ctx = contextOf(cmd)
				const where = options.session
					? { session: options.session, agent: options.agent ?? 'main' }
					: await find(ctx, approvalId)
				const decision = name === 'deny' ? 'deny' : options.always ? 'allow-always' : 'allow-once'
				const decided = await must(
					ctx.client.POST('/v1/sessions/{sessionKey}/approvals/{approvalId}', {
						params: {
							path: { sessionKey: where.session, approvalId },
							query: { agent: where.agent },
						},
						body: { decision },
					}),
				)
				ctx.out.result(decided, (a) => `${a.id} (${a.tool}): ${a.status}`)
			},
		)
	}
}

async function find(ctx: Context, approvalId: string): Promise<{ session: string; agent: string }> {
	const { approvals } = await must(
		ctx.client.GET('/v1/approvals', { params: { query: { limit: 100 } } }),
	)
	const hit = approvals.find((a) => a.id === approvalId)
	if (!hit)
		throw new CliError(
			`no pending approval ${approvalId} (decided, expired, or in a quieter session: pass --session and --agent).`,
			EXIT.notFound,
		)
	return { session: hit.sessionKey, agent: hit.agentId }
}
