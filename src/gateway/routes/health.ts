// Liveness (`/health`, no I/O) and readiness (`/ready`, D1 + a lane round trip). Both are public:
// load balancers and uptime checks call them without credentials.
import { createRoute, z } from '@hono/zod-openapi'
import { version } from '../../../package.json'
import { sandboxBackends } from '../../sandbox/backends'
import { createRouter, json, notReadyResponse } from '../openapi'
import { ProblemError } from '../problem'
import { checkReadiness } from '../readiness'

/** The deployed version: package.json's, bundled at build time. */
export const VERSION: string = version

const Health = z
	.object({ status: z.literal('ok'), version: z.string(), time: z.string() })
	.openapi('Health')

const Check = z.object({ ok: z.boolean(), ms: z.number(), reason: z.string().optional() })
const Ready = z
	.object({
		status: z.literal('ready'),
		checks: z.object({ d1: Check, lane: Check }),
		sandbox: z.object({
			isolate: z.enum(['available', 'disabled', 'unbound']),
			container: z.enum(['available', 'disabled', 'unbound']),
		}),
	})
	.openapi('Ready')

const health = createRoute({
	method: 'get',
	path: '/health',
	tags: ['operations'],
	summary: 'Liveness: the Worker runs (no I/O)',
	responses: { 200: json(Health, 'Alive') },
})

const ready = createRoute({
	method: 'get',
	path: '/ready',
	tags: ['operations'],
	summary: 'Readiness: D1 answers with the schema applied and a SessionLane round trip succeeds',
	responses: { 200: json(Ready, 'Ready to serve'), ...notReadyResponse },
})

export const healthRoutes = createRouter()
	.openapi(health, (c) =>
		c.json({ status: 'ok' as const, version: VERSION, time: new Date().toISOString() }, 200),
	)
	.openapi(ready, async (c) => {
		const result = await checkReadiness(c.env)
		const sandbox = sandboxBackends(c.env)
		if (!result.ready) {
			const failing = (Object.keys(result.checks) as (keyof typeof result.checks)[]).filter(
				(name) => !result.checks[name].ok,
			)
			throw new ProblemError('not_ready', `Not ready: ${failing.join(', ')} failed.`, {
				extensions: { failing, checks: result.checks, sandbox },
				headers: { 'retry-after': '5' },
				cause: result.errors,
			})
		}
		return c.json({ status: 'ready' as const, checks: result.checks, sandbox }, 200)
	})
