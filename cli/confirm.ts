// Destructive commands ask first on a terminal; elsewhere they need --yes.
import { CliError, EXIT } from './errors.ts'

export async function confirmed(question: string, yes: boolean | undefined): Promise<void> {
	if (yes) return
	if (!process.stdin.isTTY || !process.stdout.isTTY)
		throw new CliError(`${question} — not a terminal, so pass --yes to confirm.`, EXIT.usage)
	// The prompt library loads only when a prompt is shown (it is most of the CLI's start-up).
	const { confirm: ask, isCancel } = await import('@clack/prompts')
	const answer = await ask({ message: question, initialValue: false })
	if (isCancel(answer) || answer !== true)
		throw new CliError('not confirmed; nothing changed.', EXIT.usage)
}
