// `edgeclaw`: drive an edgeclaw gateway from a terminal. Commands live in ./commands, one file per
// noun; each speaks to the gateway through the typed client (@edgeclaw/client) only.
import { ApiError } from '@edgeclaw/client'
import { Command, CommanderError, Option } from 'commander'
import { registerAgents } from './commands/agents.ts'
import { registerApprovals } from './commands/approvals.ts'
import { registerAudit } from './commands/audit.ts'
import { registerChannels } from './commands/channels.ts'
import { registerChat } from './commands/chat.ts'
import { registerDoctor } from './commands/doctor.ts'
import { registerKeys } from './commands/keys.ts'
import { registerLogin } from './commands/login.ts'
import { registerSessions } from './commands/sessions.ts'
import { registerStatus } from './commands/status.ts'
import { CliError, describeProblem, EXIT, type ExitCode, exitCodeOf } from './errors.ts'
import { createOutput } from './output.ts'

const EXIT_CODES_HELP = `
Exit codes: 0 ok · 1 a check, run or request failed · 2 usage · 3 not signed in or not allowed
(401/403) · 4 not found (404) · 130 interrupted.

Gateway and token: --url, else EDGECLAW_URL, else the one \`edgeclaw login\` stored, else
http://127.0.0.1:8787; the token from EDGECLAW_TOKEN, else the stored one, else EDGECLAW_ADMIN_TOKEN, else
(loopback only) EDGECLAW_ADMIN_TOKEN from ./.dev.vars. Docs: docs/cli.md`

export function buildProgram(): Command {
	const program = new Command('edgeclaw')
		.description(
			'Drive an edgeclaw gateway: chat with agents, run sessions, keys, approvals and audits.',
		)
		.version('0.1.0', '-v, --version')
		.addOption(new Option('--json', 'print results as JSON (for scripts)'))
		.addOption(new Option('--url <url>', 'the gateway (default: see below)'))
		.addOption(new Option('--tenant <id>', 'the tenant the platform admin token acts in'))
		.showSuggestionAfterError(true)
		.configureHelp({ showGlobalOptions: true, sortSubcommands: false })
		.addHelpText('after', EXIT_CODES_HELP)
		// Usage errors and --help throw instead of exiting: main() picks the exit code.
		.exitOverride()
		.configureOutput({
			writeErr: (text) => process.stderr.write(text),
			writeOut: (text) => process.stdout.write(text),
		})
	registerLogin(program)
	registerStatus(program)
	registerDoctor(program)
	registerChat(program)
	registerSessions(program)
	registerAgents(program)
	registerApprovals(program)
	registerKeys(program)
	registerAudit(program)
	registerChannels(program)
	return program
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function main(argv: string[]): Promise<ExitCode> {
	const program = buildProgram()
	const json = argv.includes('--json')
	const out = createOutput(json)
	try {
		await program.parseAsync(argv)
		return (process.exitCode as ExitCode | undefined) ?? EXIT.ok
	} catch (error) {
		if (error instanceof CommanderError) {
			// --help and --version "fail" with 0; everything else commander refuses is usage.
			return error.exitCode === 0 ? EXIT.ok : EXIT.usage
		}
		if (error instanceof ApiError) {
			if (json) out.note(JSON.stringify({ error: problemJson(error) }))
			else out.error(describeProblem(error))
			return exitCodeOf(error)
		}
		if (error instanceof CliError) {
			if (json) out.note(JSON.stringify({ error: { code: 'cli_error', detail: error.message } }))
			else out.error(error.message)
			return error.exitCode
		}
		out.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
		return EXIT.failed
	}
}

function problemJson(error: ApiError) {
	return {
		status: error.status,
		code: error.code,
		detail: error.detail,
		requestId: error.requestId ?? null,
		...(error.errors.length > 0 ? { errors: error.errors } : {}),
	}
}
