// `edgeclaw sessions list|show|export|reset|delete` and `edgeclaw logs` (a session's events).
import { must } from '@edgeclaw/client'
import type { Command } from 'commander'
import { confirmed } from '../confirm.ts'
import { contextOf } from '../context.ts'
import { CliError, EXIT } from '../errors.ts'
import { followEvents, type SessionEvent } from '../events.ts'
import { table, when } from '../output.ts'

const agentOption = (c: Command) =>
	c.option('-a, --agent <id>', 'the agent the session belongs to', 'main')

export function parseCount(value: string): number {
	const n = Number(value)
	if (!Number.isInteger(n) || n < 0)
		throw new CliError(`${value}: expected a whole number.`, EXIT.usage)
	return n
}

export function registerSessions(program: Command): void {
	const sessions = program
		.command('sessions')
		.description('list, show, export, reset and delete sessions')

	sessions
		.command('list')
		.description('the tenant’s sessions, newest first')
		.option('-a, --agent <id>', 'only this agent’s')
		.option('--limit <n>', 'how many (1–100)', parseCount)
		.option('--cursor <cursor>', 'the next page (from a previous --json answer)')
		.action(
			async (options: { agent?: string; limit?: number; cursor?: string }, command: Command) => {
				const ctx = contextOf(command)
				const page = await must(ctx.client.GET('/v1/sessions', { params: { query: options } }))
				ctx.out.result(page, (p) => {
					const rows = p.sessions.map((s) => [
						s.sessionKey,
						s.agent,
						s.messageCount,
						s.lastRunStatus,
						s.queuedRuns,
						s.stuckSince ? `since ${when(s.stuckSince)}` : '',
						when(s.updatedAt),
					])
					const next = p.nextCursor ? `\nmore: --cursor ${p.nextCursor}` : ''
					return (
						table(
							['session', 'agent', 'messages', 'last run', 'queued', 'stuck', 'updated'],
							rows,
						) + next
					)
				})
			},
		)

	agentOption(
		sessions
			.command('show')
			.description('a session: counts, runs, the active run')
			.argument('<key>'),
	).action(async (key: string, options: { agent: string }, command: Command) => {
		const ctx = contextOf(command)
		const params = { path: { sessionKey: key }, query: { agent: options.agent } }
		const session = await must(ctx.client.GET('/v1/sessions/{sessionKey}', { params }))
		ctx.out.result(session, (s) => {
			return [
				`session   ${s.sessionKey} (agent ${s.agent})`,
				`messages  ${s.messages.active} active, ${s.messages.compacted} compacted, ~${s.messages.tokens} tokens; ${s.compactions} compactions`,
				`runs      ${s.runs.total} total, ${s.runs.running} running, ${s.runs.queued} queued${s.activeRunId ? `; active ${s.activeRunId}` : ''}`,
				`events    last #${s.lastEventSeq}`,
				`created   ${when(s.createdAt)}, updated ${when(s.updatedAt)}`,
			].join('\n')
		})
	})

	agentOption(
		sessions
			.command('export')
			.description('the session as JSON Lines (session, messages, runs) on stdout')
			.argument('<key>'),
	).action(async (key: string, options: { agent: string }, command: Command) => {
		const ctx = contextOf(command)
		const body = await must(
			ctx.client.GET('/v1/sessions/{sessionKey}/export', {
				params: { path: { sessionKey: key }, query: { agent: options.agent } },
				parseAs: 'text',
			}),
		)
		// Already JSON Lines: --json changes nothing.
		process.stdout.write(String(body))
	})

	agentOption(
		sessions
			.command('reset')
			.description('empty the transcript (active and queued runs are cancelled)')
			.argument('<key>'),
	).action(async (key: string, options: { agent: string }, command: Command) => {
		const ctx = contextOf(command)
		const result = await must(
			ctx.client.POST('/v1/sessions/{sessionKey}/reset', {
				params: { path: { sessionKey: key }, query: { agent: options.agent } },
			}),
		)
		ctx.out.result(result, () => `reset ${key}`)
	})

	agentOption(
		sessions
			.command('delete')
			.description('delete the session: its storage, history and index row')
			.argument('<key>'),
	)
		.option('-y, --yes', 'do not ask')
		.action(async (key: string, options: { agent: string; yes?: boolean }, command: Command) => {
			const ctx = contextOf(command)
			await confirmed(`Delete session ${key} of ${options.agent} and all its history?`, options.yes)
			await must(
				ctx.client.DELETE('/v1/sessions/{sessionKey}', {
					params: { path: { sessionKey: key }, query: { agent: options.agent } },
				}),
			)
			ctx.out.result({ deleted: key }, () => `deleted ${key}`)
		})

	agentOption(
		program
			.command('logs')
			.description(
				'a session’s events: the stored ones, then (--follow) live ones, resumed if the connection drops',
			)
			.argument('<key>', 'the session key'),
	)
		.option('-f, --follow', 'keep following new events (Ctrl-C stops)')
		.option('--after <seq>', 'events after this seq (default: all kept)', parseCount, 0)
		.action(
			async (
				key: string,
				options: { agent: string; follow?: boolean; after: number },
				command: Command,
			) => {
				const ctx = contextOf(command)
				const abort = new AbortController()
				process.once('SIGINT', () => abort.abort())
				// Without --follow: up to the last event there is now.
				const last = options.follow
					? Number.POSITIVE_INFINITY
					: (
							await must(
								ctx.client.GET('/v1/sessions/{sessionKey}', {
									params: { path: { sessionKey: key }, query: { agent: options.agent } },
								}),
							)
						).lastEventSeq
				if (last <= options.after) return
				await followEvents(ctx.client, {
					sessionKey: key,
					agent: options.agent,
					after: options.after,
					signal: abort.signal,
					onEvent: (event) => {
						process.stdout.write(`${ctx.out.json ? JSON.stringify(event) : formatEvent(event)}\n`)
						return event.seq < last ? undefined : false
					},
					onReconnect: (seq) => ctx.out.note(`(stream dropped; resuming after #${seq})`),
				})
			},
		)
}

/** One line per event: seq, time, type, run, the interesting part of its data. */
export function formatEvent(event: SessionEvent): string {
	const d = event.data
	const detail =
		event.type === 'delta'
			? JSON.stringify(d.text)
			: event.type === 'final'
				? JSON.stringify(d.output)
				: JSON.stringify(d)
	return `#${event.seq} ${when(event.ts)} ${event.type.padEnd(18)} ${event.runId ?? '-'} ${detail}`
}
