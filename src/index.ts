// Worker entry: `fetch` is the gateway, `queue` consumes tool jobs (and their dead letters),
// `scheduled` evaluates alerts and prunes rollups; the Durable Object classes the bindings name
// are re-exported from here. Each handler loads its code on first use: the isolate's startup
// evaluates only the Durable Object classes, so an isolate that only hosts objects never builds
// the gateway's routes and schemas, and the gateway's isolate builds them once, on its first request.
import type { Gateway } from './gateway/app'

export { Sandbox } from '@cloudflare/sandbox'
export { AuditChain } from '../durable-objects/audit-chain'
export { AuthLockout } from '../durable-objects/auth-lockout'
export { GatewayConnection } from '../durable-objects/gateway-connection'
export { ModelHealth } from '../durable-objects/model-health'
export { ScheduleTimer } from '../durable-objects/schedule-timer'
export { SessionLane } from '../durable-objects/session-lane'
export { TenantGate } from '../durable-objects/tenant-gate'
export { TenantPairing } from '../durable-objects/tenant-pairing'

/** The gateway, built once per isolate; concurrent first requests share the one build. */
let building: Promise<Gateway> | undefined
let gateway: Gateway | undefined
const loadGateway = async (): Promise<Gateway> => {
	building ??= import('./gateway/app').then((m) => m.createGateway())
	gateway = await building
	return gateway
}

export default {
	// Once built, a request goes straight to the gateway (no await on the hot path).
	fetch(request, env, ctx) {
		if (gateway) return gateway.fetch(request, env, ctx)
		return loadGateway().then((g) => g.fetch(request, env, ctx))
	},
	async queue(batch, env, ctx) {
		const [{ resolveAgent }, { database }, { loggerFromEnv }, { placeMetrics }, tools, toolbox] =
			await Promise.all([
				import('./agents/lookup'),
				import('./db/client'),
				import('./observability/logger'),
				import('./observability/writers'),
				import('./tools/consumer'),
				import('./tools/toolbox'),
			])
		const logger = loggerFromEnv(env, { queue: batch.queue })
		const db = database(env.DB)
		// One writer per batch; its rollups go to D1 once, when the batch is done.
		const metrics = placeMetrics(env, { logger, waitUntil: (p) => ctx.waitUntil(p) })
		await tools.handleToolJobBatch(batch, {
			toolbox: toolbox.createToolbox(env, {
				logger,
				waitUntil: (p) => ctx.waitUntil(p),
			}),
			lane: (name) => env.SESSION_LANE.getByName(name),
			agent: (tenantId, agentId) => resolveAgent(db, tenantId, agentId),
			logger,
			now: Date.now,
			metrics: metrics.sink,
		})
		if (metrics.rollups) ctx.waitUntil(metrics.rollups.settled())
	},
	async scheduled(controller, env) {
		const [{ runSchedule }, { loggerFromEnv }] = await Promise.all([
			import('./observability/schedule'),
			import('./observability/logger'),
		])
		await runSchedule(env, controller.scheduledTime, loggerFromEnv(env, { cron: controller.cron }))
	},
} satisfies ExportedHandler<Env>
