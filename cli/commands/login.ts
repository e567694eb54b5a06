// `edgeclaw login` / `logout`: store a gateway url and token (0600), checked against GET /v1/me.
import { existsSync, rmSync } from 'node:fs'
import { text } from 'node:stream/consumers'
import { createEdgeclawClient, must } from '@edgeclaw/client'
import type { Command } from 'commander'
import { configPath, writeConfig } from '../config.ts'
import { contextOf } from '../context.ts'
import { CliError, EXIT } from '../errors.ts'

export function registerLogin(program: Command): void {
	program
		.command('login')
		.description('store the gateway url and a token (checked first) in the config file, 0600')
		.option('--token-stdin', 'read the token from stdin instead of prompting')
		.addHelpText(
			'after',
			'\nThe token is an API key (ek_…), a JWT or the admin token. Without --token-stdin it is asked\nfor without echo. EDGECLAW_TOKEN and EDGECLAW_URL override what is stored.',
		)
		.action(async (options: { tokenStdin?: boolean }, command: Command) => {
			const ctx = contextOf(command, { auth: false })
			const flags = command.optsWithGlobals<{ tenant?: string }>()
			// The url the CLI would use (--url, EDGECLAW_URL, the stored one, the local default).
			const url = ctx.gateway.url
			const token = await readToken(options.tokenStdin === true, url)
			const client = createEdgeclawClient({
				baseUrl: url,
				token: () => token,
				tenant: () => flags.tenant,
			})
			const me = await must(client.GET('/v1/me'))
			const path = configPath()
			writeConfig({ url, token, ...(flags.tenant ? { tenant: flags.tenant } : {}) }, path)
			const p = me.principal
			ctx.out.result({ url, principal: p, config: path }, () =>
				[
					`${ctx.out.paint('green', '✓')} signed in to ${url} as ${p.kind} ${p.id} (${p.role}, tenant ${p.tenantId})`,
					`  stored in ${path} (mode 0600)`,
				].join('\n'),
			)
		})

	program
		.command('logout')
		.description('forget the stored url and token (deletes the config file)')
		.action((_options: unknown, command: Command) => {
			const ctx = contextOf(command, { auth: false })
			const path = configPath()
			const removed = existsSync(path)
			rmSync(path, { force: true })
			ctx.out.result({ config: path, removed }, (r) =>
				r.removed ? `removed ${path}` : 'no token was stored',
			)
		})
}

async function readToken(fromStdin: boolean, url: string): Promise<string> {
	if (fromStdin) {
		const token = (await text(process.stdin)).trim()
		if (!token) throw new CliError('--token-stdin: stdin was empty.', EXIT.usage)
		return token
	}
	if (!process.stdin.isTTY)
		throw new CliError(
			'no terminal to ask for the token: pipe it in with --token-stdin.',
			EXIT.usage,
		)
	const { cancel, isCancel, password } = await import('@clack/prompts')
	const answer = await password({ message: `Token for ${url}`, mask: '•' })
	if (isCancel(answer) || !answer.trim()) {
		cancel('not signed in')
		throw new CliError('login cancelled.', EXIT.usage)
	}
	return answer.trim()
}
