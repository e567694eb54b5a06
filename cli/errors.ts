// Exit codes, documented in docs/cli.md: scripts branch on them.
import type { ApiError } from '@edgeclaw/client'

export const EXIT = {
	ok: 0,
	/** A check failed (status, doctor, audit verify), a run failed, or a request failed. */
	failed: 1,
	/** The command line was wrong: unknown command or option, missing argument, bad file. */
	usage: 2,
	/** Not signed in, or the credentials were refused (401) or not allowed (403). */
	auth: 3,
	/** What was asked for does not exist (404). */
	notFound: 4,
	/** Interrupted (Ctrl-C) outside a run. */
	interrupted: 130,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** A failure the CLI explains itself (not an answer of the gateway). */
export class CliError extends Error {
	override readonly name = 'CliError'
	readonly exitCode: ExitCode
	constructor(message: string, exitCode: ExitCode = EXIT.failed) {
		super(message)
		this.exitCode = exitCode
	}
}

/** The exit code of a gateway's problem. */
export function exitCodeOf(error: ApiError): ExitCode {
	if (error.status === 401 || error.status === 403) return EXIT.auth
	if (error.status === 404) return EXIT.notFound
	return EXIT.failed
}

/** What to tell the user about a problem: code, detail, request id, the fields at fault, a hint. */
export function describeProblem(error: ApiError): string {
	const lines = [
		`${error.detail} (${error.code}${error.requestId ? `, request ${error.requestId}` : ''})`,
	]
	for (const field of error.errors) lines.push(`  ${field.path || '(body)'}: ${field.message}`)
	if (error.status === 401)
		lines.push('hint: sign in with `edgeclaw login` (or set EDGECLAW_TOKEN).')
	if (error.code === 'network_error')
		lines.push(
			'hint: is the gateway running? `npm run dev` starts it locally; --url picks another.',
		)
	return lines.join('\n')
}
