// `edgeclaw audit list|verify`: the tenant's hash-chained audit log.
import { must } from '@edgeclaw/client'
import type { Command } from 'commander'
import { contextOf } from '../context.ts'
import { EXIT } from '../errors.ts'
import { table } from '../output.ts'

export function registerAudit(program: Command): void {
	const audit = program.command('audit').description('read and verify the audit log')

	audit
		.command('list')
		.description('entries, newest first')
		.option('--action <action>', 'e.g. keys.create')
		.option('--actor <actor>')
		.option('--outcome <outcome>', 'success | failure | deny')
		.option('--from <time>', 'ISO time')
		.option('--to <time>', 'ISO time')
		.option('--trace <traceId>', 'the rows of one W3C trace')
		.option('--limit <n>', 'how many', Number)
		.option('--cursor <cursor>', 'the next page')
		.action(async (options: Record<string, string | number | undefined>, command: Command) => {
			const ctx = contextOf(command)
			const page = await must(ctx.client.GET('/v1/audit', { params: { query: options as never } }))
			ctx.out.result(page, (p) => {
				const rows = p.entries.map((e) => [
					e.seq,
					e.ts.replace('T', ' ').slice(0, 19),
					e.action,
					e.outcome,
					e.actor,
					e.target,
				])
				return (
					table(['seq', 'time', 'action', 'outcome', 'actor', 'target'], rows) +
					(p.nextCursor ? `\nmore: --cursor ${p.nextCursor}` : '')
				)
			})
		})

	audit
		.command('verify')
		.description('check every row of the chain and its kept head (exit 1 when broken)')
		.action(async (_options: unknown, command: Command) => {
			const ctx = contextOf(command)
			const result = await must(ctx.client.GET('/v1/audit/verify'))
			ctx.out.result(result, (r) =>
				[
					r.ok
						? `${ctx.out.paint('green', '✓')} the chain holds: ${r.rows} rows${r.head ? `, head #${r.head.seq}` : ''}${r.keyId ? `, key ${r.keyId}` : ''}`
						: `${ctx.out.paint('red', '✗')} broken at row ${r.brokenAt ?? '?'}: ${r.reason ?? 'unknown'} (${r.rows} rows verified before it)`,
					...r.warnings.map((w) => `  warning: ${w}`),
				].join('\n'),
			)
			if (!result.ok) process.exitCode = EXIT.failed
		})
}
