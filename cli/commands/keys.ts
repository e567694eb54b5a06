// `edgeclaw keys create|list|revoke|rotate`: the tenant's API keys.
import { must } from '@edgeclaw/client'
import type { Command } from 'commander'
import { confirmed } from '../confirm.ts'
import { contextOf } from '../context.ts'
import { CliError, EXIT } from '../errors.ts'
import { table, when } from '../output.ts'

const ROLES = ['admin', 'operator', 'member', 'viewer'] as const
type Role = (typeof ROLES)[number]

const collect = (value: string, previous: string[] = []) => [...previous, value]

export function registerKeys(program: Command): void {
	const keys = program.command('keys').description('create, list, revoke and rotate API keys')

	keys
		.command('list')
		.description('the tenant’s keys (never their secrets)')
		.action(async (_options: unknown, command: Command) => {
			const ctx = contextOf(command)
			const result = await must(ctx.client.GET('/v1/keys'))
			ctx.out.result(result, (r) =>
				table(
					['id', 'name', 'role', 'scopes', 'expires', 'last used', 'revoked'],
					r.keys.map((k) => [
						k.id,
						k.name,
						k.role,
						k.scopes.join(',') || '(role)',
						when(k.expiresAt),
						when(k.lastUsedAt),
						when(k.revokedAt),
					]),
				),
			)
		})

	keys
		.command('create')
		.description('a new key; its secret is printed once — store it now')
		.requiredOption('--name <name>', 'what it is for')
		.requiredOption('--role <role>', ROLES.join(' | '))
		.option(
			'--scope <action>',
			'limit it to an action pattern (repeatable), e.g. sessions:*',
			collect,
		)
		.option('--expires-in-days <n>', 'lifetime in days', Number)
		.action(
			async (
				options: { name: string; role: string; scope?: string[]; expiresInDays?: number },
				command: Command,
			) => {
				const ctx = contextOf(command)
				if (!ROLES.includes(options.role as Role))
					throw new CliError(`--role ${options.role}: expected ${ROLES.join(', ')}.`, EXIT.usage)
				const created = await must(
					ctx.client.POST('/v1/keys', {
						body: {
							name: options.name,
							role: options.role as Role,
							...(options.scope ? { scopes: options.scope } : {}),
							...(options.expiresInDays !== undefined
								? { expiresInDays: options.expiresInDays }
								: {}),
						},
					}),
				)
				ctx.out.result(created, (c) => `${c.secret}\n`)
				if (!ctx.out.json)
					ctx.out.note(
						`key ${created.key.id} (${created.key.role}) created; the secret above is shown once.`,
					)
			},
		)

	keys
		.command('revoke')
		.description('revoke a key at once')
		.argument('<keyId>')
		.option('-y, --yes', 'do not ask')
		.action(async (keyId: string, options: { yes?: boolean }, command: Command) => {
			const ctx = contextOf(command)
			await confirmed(`Revoke key ${keyId}? Whatever uses it stops working.`, options.yes)
			await must(ctx.client.DELETE('/v1/keys/{keyId}', { params: { path: { keyId } } }))
			ctx.out.result({ revoked: keyId }, () => `revoked ${keyId}`)
		})

	keys
		.command('rotate')
		.description('a new key with the same name, role and scopes; the old one is revoked')
		.argument('<keyId>')
		.action(async (keyId: string, _options: unknown, command: Command) => {
			const ctx = contextOf(command)
			const created = await must(
				ctx.client.POST('/v1/keys/{keyId}/rotate', { params: { path: { keyId } } }),
			)
			ctx.out.result(created, (c) => `${c.secret}\n`)
			if (!ctx.out.json)
				ctx.out.note(
					`key ${keyId} revoked; its successor ${created.key.id}'s secret is above, shown once.`,
				)
		})
}
