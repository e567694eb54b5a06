// `edgeclaw agents list|get|set|versions`.
import { readFileSync } from 'node:fs'
import { ApiError, must } from '@edgeclaw/client'
import type { Command } from 'commander'
import { contextOf } from '../context.ts'
import { CliError, EXIT } from '../errors.ts'
import { table, when } from '../output.ts'

export function registerAgents(program: Command): void {
	const agents = program
		.command('agents')
		.description('list, read, create or replace agents, and their versions')

	agents
		.command('list')
		.description('the tenant’s agents')
		.action(async (_options: unknown, command: Command) => {
			const ctx = contextOf(command)
			const result = await must(ctx.client.GET('/v1/agents'))
			ctx.out.result(result, (r) =>
				table(
					['id', 'name', 'version', 'model', 'updated'],
					r.agents.map((a) => [a.id, a.name, a.version, a.config.model.primary, when(a.updatedAt)]),
				),
			)
		})

	agents
		.command('get')
		.description('one agent with its whole config (JSON)')
		.argument('<id>')
		.action(async (id: string, _options: unknown, command: Command) => {
			const ctx = contextOf(command)
			const agent = await must(
				ctx.client.GET('/v1/agents/{agentId}', { params: { path: { agentId: id } } }),
			)
			ctx.out.result(agent, (a) => JSON.stringify(a, null, 2))
		})

	agents
		.command('set')
		.description(
			'create the agent, or replace its name and config (a new version), from a JSON file',
		)
		.argument('<id>')
		.requiredOption(
			'-f, --file <file>',
			'JSON with {name, config} (`-` reads stdin); an `agents get` answer works as is',
		)
		.option('--expected-version <n>', 'fail (412) unless the agent is at this version', Number)
		.action(
			async (id: string, options: { file: string; expectedVersion?: number }, command: Command) => {
				const ctx = contextOf(command)
				const { name, config } = readAgentFile(options.file, id)
				let agent: Awaited<ReturnType<typeof replace>>
				const replace = () =>
					must(
						ctx.client.PUT('/v1/agents/{agentId}', {
							params: { path: { agentId: id } },
							body: {
								name,
								config,
								...(options.expectedVersion !== undefined
									? { expectedVersion: options.expectedVersion }
									: {}),
							} as never,
						}),
					)
				try {
					agent = await replace()
				} catch (error) {
					if (
						!(error instanceof ApiError && error.status === 404) ||
						options.expectedVersion !== undefined
					)
						throw error
					agent = await must(ctx.client.POST('/v1/agents', { body: { id, name, config } as never }))
				}
				ctx.out.result(agent, (a) => `${a.id} is at version ${a.version}`)
			},
		)

	agents
		.command('versions')
		.description('an agent’s earlier configs, newest first')
		.argument('<id>')
		.action(async (id: string, _options: unknown, command: Command) => {
			const ctx = contextOf(command)
			const result = await must(
				ctx.client.GET('/v1/agents/{agentId}/versions', { params: { path: { agentId: id } } }),
			)
			ctx.out.result(result, (r) =>
				table(
					['version', 'name', 'model', 'by', 'at'],
					r.versions.map((v) => [
						v.version,
						v.name,
						(v.config as { model?: { primary?: string } }).model?.primary,
						v.actor,
						when(v.createdAt),
					]),
				),
			)
		})
}

function readAgentFile(
	file: string,
	id: string,
): { name: string; config: Record<string, unknown> } {
	let raw: string
	try {
		raw = readFileSync(file === '-' ? 0 : file, 'utf8')
	} catch (error) {
		throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.usage)
	}
	let parsed: unknown
	try {
		parsed = JSON.parse(raw)
	} catch (error) {
		throw new CliError(`${file} is not JSON: ${(error as Error).message}`, EXIT.usage)
	}
	const body = parsed as { name?: unknown; config?: unknown }
	if (
		typeof body !== 'object' ||
		body === null ||
		typeof body.config !== 'object' ||
		body.config === null
	)
		throw new CliError(`${file}: expected {"name": …, "config": {…}}`, EXIT.usage)
	return {
		name: typeof body.name === 'string' ? body.name : id,
		config: body.config as Record<string, unknown>,
	}
}
