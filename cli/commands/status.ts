// `edgeclaw status`: is the gateway alive and ready, who am I there, how are the providers.
import { ApiError, must } from '@edgeclaw/client'
import type { Command } from 'commander'
import { type Context, contextOf } from '../context.ts'
import { EXIT } from '../errors.ts'

type Settled<T> = { ok: true; value: T } | { ok: false; error: ApiError }

async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
	try {
		return { ok: true, value: await promise }
	} catch (error) {
		if (error instanceof ApiError) return { ok: false, error }
		throw error
	}
}

export function registerStatus(program: Command): void {
	program
		.command('status')
		.description(
			'health, readiness, sandbox backends, who you are and the providers (exit 1 if not ready)',
		)
		.action(async (_options: unknown, command: Command) => {
			const ctx = contextOf(command, { auth: false })
			const report = await statusReport(ctx)
			ctx.out.result(report, (r) => render(ctx, r))
			if (!report.alive || !report.ready) process.exitCode = EXIT.failed
			else if (report.principal !== null && 'error' in report.principal)
				process.exitCode = EXIT.auth
		})
}

async function statusReport(ctx: Context) {
	const { client, gateway } = ctx
	const [health, ready] = await Promise.all([
		settle(must(client.GET('/health'))),
		settle(must(client.GET('/ready'))),
	])
	const signedIn = gateway.token !== undefined
	const [me, providers] = signedIn
		? await Promise.all([
				settle(must(client.GET('/v1/me'))),
				settle(must(client.GET('/v1/provider-health'))),
			])
		: [undefined, undefined]
	return {
		url: gateway.url,
		alive: health.ok,
		version: health.ok ? health.value.version : null,
		ready: ready.ok,
		readiness: ready.ok ? ready.value : { error: problem(ready.error) },
		token: gateway.tokenSource,
		principal: me?.ok ? me.value.principal : me ? { error: problem(me.error) } : null,
		providers: providers?.ok
			? providers.value
			: providers
				? { error: problem(providers.error) }
				: null,
	}
}

const problem = (e: ApiError) => ({
	status: e.status,
	code: e.code,
	detail: e.detail,
	requestId: e.requestId ?? null,
})

type Report = Awaited<ReturnType<typeof statusReport>>

function render(ctx: Context, r: Report): string {
	const ok = (good: boolean, text: string) =>
		`${ctx.out.paint(good ? 'green' : 'red', good ? '✓' : '✗')} ${text}`
	const lines = [`gateway   ${r.url}`]
	lines.push(ok(r.alive, r.alive ? `alive, version ${r.version}` : 'not answering /health'))
	if ('error' in r.readiness)
		lines.push(ok(false, `not ready: ${r.readiness.error.detail} (${r.readiness.error.code})`))
	else {
		const { checks, sandbox } = r.readiness
		lines.push(ok(true, `ready: d1 ${checks.d1.ms} ms, lane ${checks.lane.ms} ms`))
		lines.push(`  sandbox: isolate ${sandbox.isolate}, container ${sandbox.container}`)
	}
	if (r.principal === null) lines.push(ok(false, 'not signed in (edgeclaw login)'))
	else if ('error' in r.principal)
		lines.push(
			ok(
				false,
				`token (${r.token}) refused: ${r.principal.error.detail} (${r.principal.error.code})`,
			),
		)
	else {
		const p = r.principal
		lines.push(
			ok(
				true,
				`signed in as ${p.kind} ${p.id} (${p.role}, tenant ${p.tenantId}; token from ${r.token})`,
			),
		)
	}
	if (r.providers && !('error' in r.providers)) {
		const all = [...r.providers.tenant.breakers, ...r.providers.shared.breakers]
		const open = all.filter((b) => b.state !== 'closed')
		lines.push(
			open.length === 0
				? ok(
						true,
						`providers: ${all.length === 0 ? 'no calls yet' : `${all.length} circuit(s) closed`}`,
					)
				: ok(false, `providers: ${open.map((b) => `${b.key} ${b.state}`).join(', ')}`),
		)
	}
	return lines.join('\n')
}
