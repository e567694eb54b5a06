// Worker entry: `fetch` is the gateway, `queue` consumes tool jobs (and their dead letters),
// `scheduled` evaluates alerts and prunes rollups; the Durable Object classes the bindings name
// are re-exported from here.
import { resolveAgent } from './agents/lookup'
import { database } from './db/client'
import { createGateway } from './gateway/app'
import { loggerFromEnv } from './observability/logger'
import { runSchedule } from './observability/schedule'
import { placeMetrics } from './observability/writers'
import { handleToolJobBatch } from './tools/consumer'
import { createToolbox } from './tools/toolbox'

export { Sandbox } from '@cloudflare/sandbox'
export { AuditChain } from '../durable-objects/audit-chain'
export { AuthLockout } from '../durable-objects/auth-lockout'
export { GatewayConnection } from '../durable-objects/gateway-connection'
export { ModelHealth } from '../durable-objects/model-health'
export { ScheduleTimer } from '../durable-objects/schedule-timer'
export { SessionLane } from '../durable-objects/session-lane'
export { TenantGate } from '../durable-objects/tenant-gate'
export { TenantPairing } from '../durable-objects/tenant-pairing'

const gateway = createGateway()

export default {
	fetch: gateway.fetch,
	async queue(batch, env, ctx) {
		const logger = loggerFromEnv(env, { queue: batch.queue })
		const db = database(env.DB)
		// One writer per batch; its rollups go to D1 once, when the batch is done.
		const metrics = placeMetrics(env, { logger, waitUntil: (p) => ctx.waitUntil(p) })
		await handleToolJobBatch(batch, {
			toolbox: createToolbox(env, {
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
		await runSchedule(env, controller.scheduledTime, loggerFromEnv(env, { cron: controller.cron }))
	},
} satisfies ExportedHandler<Env>
