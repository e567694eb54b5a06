// Destructive commands ask first on a terminal; elsewhere they need --yes.
import { confirm as ask, isCancel } from '@clack/prompts'
import { CliError, EXIT } from './errors.ts'

export async function confirmed(question: string, yes: boolean | undefined): Promise<void> {
	if (yes) return
	if (!process.stdin.isTTY || !process.stdout.isTTY)
		throw new CliError(`${question} — not a terminal, so pass --yes to confirm.`, EXIT.usage)
	const answer = await ask({ message: question, initialValue: false })
	if (isCancel(answer) || answer !== true)
		throw new CliError('not confirmed; nothing changed.', EXIT.usage)
}
