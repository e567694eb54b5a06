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

export function contextOf(command: Command): Context {
	const flags = command.optsWithGlobals<GlobalFlags>()
	const out = createOutput(flags.json === true)
	const gateway = resolve({ url: flags.url, tenant: flags.tenant })
	const client = createEdgeclawClient({
		baseUrl: gateway.url,
		token: () => gateway.token,
		tenant: () => gateway.tenant,
		headers: { 'user-agent': USER_AGENT },
	})
	return {
		out,
		gateway,
		client,
		requireToken() {
			if (!gateway.token)
				throw new CliError(
					`not signed in to ${gateway.url}: run \`edgeclaw login\` (or set EDGECLAW_TOKEN).`,
					EXIT.auth,
				)
		},
	}
}
