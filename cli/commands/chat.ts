// `edgeclaw chat` (interactive, streaming) and `edgeclaw send` (one shot).
//
// chat: each line you type is a message to the session's lane; the answer streams in from the
// session's event stream (followed from its last event, resumed if the connection drops). A tool
// call that needs approval asks at the prompt ([y] once, [a] always, [n] deny). Ctrl-C cancels
// the running turn; Ctrl-C with no turn running, Ctrl-D or `/exit` leaves. Lines starting with
// `/exit`, `/quit` or `/reset` are the CLI's; every other line — `/tool …` included — goes to the
// agent. Lines may come from a pipe: `printf 'hello\n' | edgeclaw chat`.
import { text } from 'node:stream/consumers'
import { must } from '@edgeclaw/client'
import type { Command } from 'commander'
import { Chat, type ChatTarget } from '../chat-session.ts'
import { contextOf } from '../context.ts'
import { CliError, EXIT } from '../errors.ts'

type TargetOptions = ChatTarget

const addTarget = (command: Command) =>
	command
		.option('-a, --agent <id>', 'the agent', 'main')
		.option('-s, --session <key>', 'the session key', 'main')

export function registerChat(program: Command): void {
	addTarget(
		program
			.command('chat')
			.description('talk to an agent: the answer streams in, approvals are asked at the prompt'),
	)
		.addHelpText(
			'after',
			'\nCtrl-C cancels the running turn (twice: leave); Ctrl-D or /exit leaves; /reset empties the session.\nWith --json every event of your turns is printed as one JSON line.',
		)
		.action(async (options: TargetOptions, command: Command) => {
			const ctx = contextOf(command)
			ctx.requireToken()
			process.exitCode = await new Chat(ctx, options).run()
		})

	addTarget(
		program
			.command('send')
			.description(
				'send one message and print the answer (the message from the arguments, else stdin)',
			)
			.argument('[message...]', 'the message; read from stdin when omitted'),
	)
		.option('--no-wait', 'print the run id at once instead of waiting for the answer')
		.option('--timeout <ms>', 'how long to wait for the answer', parseMs, 60_000)
		.option('--mode <mode>', 'followup | collect | steer | interrupt', 'followup')
		.option('--idempotency-key <key>', 'the same key again returns the same run')
		.action(
			async (
				words: string[],
				options: TargetOptions & {
					wait: boolean
					timeout: number
					mode: string
					idempotencyKey?: string
				},
				command: Command,
			) => {
				const ctx = contextOf(command)
				ctx.requireToken()
				const content = words.length > 0 ? words.join(' ') : (await text(process.stdin)).trim()
				if (!content)
					throw new CliError('nothing to send: give a message or pipe one in.', EXIT.usage)
				if (!['followup', 'collect', 'steer', 'interrupt'].includes(options.mode))
					throw new CliError(
						`--mode ${options.mode}: expected followup, collect, steer or interrupt.`,
						EXIT.usage,
					)
				const result = await must(
					ctx.client.POST('/v1/sessions/{sessionKey}/messages', {
						params: { path: { sessionKey: options.session } },
						body: {
							content,
							agent: options.agent,
							mode: options.mode as 'followup',
							wait: options.wait,
							waitTimeoutMs: options.timeout,
							...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
						},
					}),
				)
				ctx.out.result(result, (r) => {
					if (!options.wait) return r.runId
					if (r.status === 'succeeded') return r.output ?? ''
					if (r.error) return ''
					return `run ${r.runId} is ${r.status}; follow it with \`edgeclaw logs ${options.session} --follow\``
				})
				if (result.error && !ctx.out.json)
					ctx.out.error(`${result.error.message} (${result.error.code}, run ${result.runId})`)
				if (result.status === 'failed' || result.status === 'cancelled')
					process.exitCode = EXIT.failed
			},
		)
}

export function parseMs(value: string): number {
	const ms = Number(value)
	if (!Number.isInteger(ms) || ms < 1 || ms > 600_000)
		throw new CliError(`${value}: expected milliseconds, 1–600000.`, EXIT.usage)
	return ms
}
