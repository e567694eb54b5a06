// `edgeclaw doctor`: the CLI's own configuration, the project's files (inside a checkout) and
// the running gateway — reachable, ready, the token accepted, and its security report
// (GET /v1/admin/security). Exit 1 on any high finding, or when the gateway could not be checked
// (unless --files-only). `npm run security:audit` is this command.
import { ApiError, must } from '@edgeclaw/client'
import type { Command } from 'commander'
import { configExposure, configPath, isLoopback } from '../config.ts'
import { type Context, contextOf } from '../context.ts'
import { EXIT } from '../errors.ts'
import { type Finding, isProject, projectFindings } from '../project-checks.ts'

const ORDER = { high: 0, medium: 1, low: 2 } as const

export function registerDoctor(program: Command): void {
	program
		.command('doctor')
		.description(
			'check the CLI config, the project files and the gateway: readiness, token, security report',
		)
		.option('--files-only', 'check the config and project files only, not a running gateway')
		.option('--dir <dir>', 'the edgeclaw checkout to check', process.cwd())
		.addHelpText(
			'after',
			'\nExit: 0 no high finding · 1 a high finding, or the gateway could not be checked · 2 usage.\nThe security report needs an operator key or the admin token.',
		)
		.action(async (options: { filesOnly?: boolean; dir: string }, command: Command) => {
			const ctx = contextOf(command, { auth: false })
			const findings: Finding[] = [...configFindings(ctx)]
			const project = isProject(options.dir)
			if (project) findings.push(...projectFindings(options.dir))
			const gateway = options.filesOnly
				? { checked: false, summary: 'not checked (--files-only)' }
				: await gatewayFindings(ctx, findings)
			findings.sort((a, b) => ORDER[a.severity] - ORDER[b.severity])
			const failed =
				findings.some((f) => f.severity === 'high') || (!options.filesOnly && !gateway.checked)
			ctx.out.result(
				{ ok: !failed, project: project ? options.dir : null, gateway, findings },
				(r) => render(ctx, r.project, r.gateway, r.findings, failed, options.filesOnly === true),
			)
			if (failed) process.exitCode = EXIT.failed
		})
}

function configFindings(ctx: Context): Finding[] {
	const findings: Finding[] = []
	const path = configPath()
	const exposure = configExposure(path)
	if (exposure !== undefined && exposure !== 0) {
		findings.push({
			id: 'config-readable-by-others',
			severity: 'high',
			message: `${path} (it holds a token) is readable by other users (mode ${(exposure | 0o600).toString(8)}).`,
			fix: `chmod 600 ${path}`,
			source: 'config',
		})
	}
	if (
		ctx.gateway.token &&
		new URL(ctx.gateway.url).protocol === 'http:' &&
		!isLoopback(ctx.gateway.url)
	) {
		findings.push({
			id: 'token-over-http',
			severity: 'high',
			message: `The token is sent to ${ctx.gateway.url} unencrypted.`,
			fix: 'Use the gateway’s https:// URL.',
			source: 'config',
		})
	}
	return findings
}

async function gatewayFindings(
	ctx: Context,
	findings: Finding[],
): Promise<{ checked: boolean; summary: string }> {
	const { client, gateway } = ctx
	const url = gateway.url
	try {
		await must(client.GET('/health'))
	} catch (error) {
		const why = error instanceof ApiError ? error.detail : String(error)
		return {
			checked: false,
			summary: `NOT CHECKED: ${url} is not reachable (${why}); start \`npm run dev\`, pass --url <url>, or --files-only`,
		}
	}
	try {
		await must(client.GET('/ready'))
	} catch (error) {
		if (!(error instanceof ApiError)) throw error
		findings.push({
			id: 'gateway-not-ready',
			severity: 'high',
			message: `${url}/ready: ${error.detail} (${error.code}).`,
			fix: 'See docs/operations.md (D1 migrations applied? lanes reachable?).',
			source: url,
		})
	}
	if (!gateway.token) {
		return {
			checked: false,
			summary: `NOT CHECKED: no token for ${url} (edgeclaw login, or EDGECLAW_TOKEN)`,
		}
	}
	try {
		const report = await must(client.GET('/v1/admin/security'))
		for (const f of report.findings) findings.push({ ...f, source: url })
		return { checked: true, summary: `checked ${url}` }
	} catch (error) {
		if (!(error instanceof ApiError)) throw error
		return {
			checked: false,
			summary: `NOT CHECKED: ${url} answered ${error.status} ${error.code} (request ${error.requestId ?? '-'}); the report needs an operator token`,
		}
	}
}

function render(
	ctx: Context,
	project: string | null,
	gateway: { checked: boolean; summary: string },
	findings: Finding[],
	failed: boolean,
	filesOnly: boolean,
): string {
	const lines = [
		`edgeclaw doctor — config ${configPath()}; files: ${project ? 'checked' : 'not an edgeclaw checkout (skipped)'}; gateway: ${gateway.summary}`,
		'',
	]
	if (findings.length === 0)
		lines.push(gateway.checked ? 'no findings' : 'no findings in what was checked')
	const colour = { high: 'red', medium: 'yellow', low: 'dim' } as const
	for (const f of findings) {
		lines.push(
			`${ctx.out.paint(colour[f.severity], f.severity.toUpperCase().padEnd(6))} ${f.id}  [${f.source}]`,
			`       ${f.message}`,
			`       fix: ${f.fix}`,
		)
	}
	if (!filesOnly && !gateway.checked) lines.push('', 'the gateway was not checked: exit 1')
	else if (failed) lines.push('', 'a high finding: exit 1')
	return lines.join('\n')
}
