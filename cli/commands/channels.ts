// `edgeclaw channels list|pairing|approve`: messaging channels and who may talk through them.
import { must } from '@edgeclaw/client'
import type { Command } from 'commander'
import { contextOf } from '../context.ts'
import { table, when } from '../output.ts'

export function registerChannels(program: Command): void {
	const channels = program
		.command('channels')
		.description('list channels; see and approve pairing requests')

	channels
		.command('list')
		.description('the tenant’s channels')
		.action(async (_options: unknown, command: Command) => {
			const ctx = contextOf(command)
			const result = await must(ctx.client.GET('/v1/channels'))
			ctx.out.result(result, (r) =>
				table(
					['id', 'kind', 'agent', 'enabled', 'webhook'],
					r.channels.map((c) => [c.id, c.kind, c.agent, c.enabled ? 'yes' : 'no', c.webhookUrl]),
				),
			)
		})

	channels
		.command('pairing')
		.description('pending pairing codes of a channel, and the senders pairing admitted')
		.argument('<channelId>')
		.action(async (channelId: string, _options: unknown, command: Command) => {
			const ctx = contextOf(command)
			const result = await must(
				ctx.client.GET('/v1/channels/{channelId}/pairing', { params: { path: { channelId } } }),
			)
			ctx.out.result(result, (r) =>
				[
					'pending:',
					table(
						['code', 'sender', 'name', 'expires'],
						r.pending.map((p) => [p.code, p.senderId, p.senderName, when(p.expiresAt)]),
					),
					'admitted:',
					table(
						['sender', 'since'],
						r.admitted.map((a) => [a.senderId, when(a.createdAt)]),
					),
				].join('\n'),
			)
		})

	channels
		.command('approve')
		.description('admit the sender who sent this pairing code (OpenClaw’s `pairing approve`)')
		.argument('<channelId>')
		.argument('<code>')
		.action(async (channelId: string, code: string, _options: unknown, command: Command) => {
			const ctx = contextOf(command)
			const result = await must(
				ctx.client.POST('/v1/channels/{channelId}/pairing/{code}/approve', {
					params: { path: { channelId, code } },
				}),
			)
			ctx.out.result(result, () => `paired: code ${code} on ${channelId}`)
		})
}
