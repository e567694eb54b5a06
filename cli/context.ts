// What every command gets: the resolved gateway and credentials, the typed client, the output.
import { createEdgeclawClient, type EdgeclawClient } from '@edgeclaw/client'
import type { Command } from 'commander'
import { type Resolved, resolve } from './config.ts'
import { CliError, EXIT } from './errors.ts'
import { createOutput, type Output } from './output.ts'

export interface GlobalFlags {
	json?: boolean
	url?: string
	tenant?: string
}

export interface Context {
	out: Output
	gateway: Resolved
	client: EdgeclawClient
	/** Fails with exit 3 when there is no token to send. */
	requireToken(): void
}

const USER_AGENT = 'edgeclaw-cli/0.1.0'

/**
 * The context of a command's run. Commands that call authenticated routes (all but `login`,
 * `logout`, `status` and `doctor`) fail at once, exit 3, when there is no token to send.
 */
export function contextOf(command: Command, { auth = true }: { auth?: boolean } = {}): Context {
	const flags = command.optsWithGlobals<GlobalFlags>()
	const out = createOutput(flags.json === true)
	const gateway = resolve({ url: flags.url, tenant: flags.tenant })
	const client = createEdgeclawClient({
		baseUrl: gateway.url,
		token: () => gateway.token,
		tenant: () => gateway.tenant,
		headers: { 'user-agent': USER_AGENT },
	})
	const requireToken = () => {
		if (!gateway.token)
			throw new CliError(
				`not signed in to ${gateway.url}: run \`edgeclaw login\` (or set EDGECLAW_TOKEN).`,
				EXIT.auth,
			)
	}
	if (auth) requireToken()
	return { out, gateway, client, requireToken }
}
