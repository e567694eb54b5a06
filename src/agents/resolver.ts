// The agent runtime: one AgentLoop per lane (its logger, round-robin cursors and model instances),
// all lanes of an isolate sharing one view of provider health. Nothing that holds a Durable Object
// stub or another I/O object is shared between objects: workerd forbids using one object's I/O
// from another.
import { type Logger, loggerFromEnv } from '../observability/logger'
import { credentialsFromEnv } from '../security/credentials'
import { tenantUrlRules } from '../security/ssrf'
import { AgentLoop } from './loop'
import { type HealthBackend, HealthView } from './models/health'

/** The deployment's one ModelHealth object. */
export const MODEL_HEALTH_NAME = 'global'

export function healthBackend(env: Env): HealthBackend {
	return env.MODEL_HEALTH.getByName(MODEL_HEALTH_NAME) as unknown as HealthBackend
}

const views = new WeakMap<object, HealthView>()

/**
 * The isolate's view of provider health, shared by all its lanes: one snapshot read per 2 s per
 * isolate, or one per lane that finds it stale at the same moment (reads in flight are not shared).
 */
export function sharedHealth(env: Env): HealthView {
	let view = views.get(env)
	if (!view) {
		view = new HealthView(() => healthBackend(env), loggerFromEnv(env, { component: 'models' }))
		views.set(env, view)
	}
	return view
}

/** An agent loop for one lane: its own logger and model instances, the isolate's shared health. */
export function agentRuntime(env: Env, logger: Logger): AgentLoop {
	return new AgentLoop({
		health: sharedHealth(env),
		env: env as unknown as Record<string, unknown>,
		credentials: credentialsFromEnv(env),
		urlRules: tenantUrlRules(env),
		logger,
	})
}
