// The agent runtime: one AgentLoop per lane (its logger, round-robin cursors and model instances),
// all lanes of an isolate sharing one view per provider-health scope. Nothing that holds a Durable
// Object stub or another I/O object is shared between objects: workerd forbids using one object's
// I/O from another.
import { credentialsFromEnv } from '../db/credentials'
import { type Logger, loggerFromEnv } from '../observability/logger'
import { tenantUrlRules } from '../security/ssrf'
import { AgentLoop } from './loop'
import { type HealthBackend, type HealthScope, HealthView } from './models/health'

/** The ModelHealth object of the deployment's shared credentials; tenants' are named by scope. */
export const MODEL_HEALTH_NAME = 'global'

/** The ModelHealth object of one scope. */
export function healthBackend(env: Env, scope: HealthScope = 'shared'): HealthBackend {
	const name = scope === 'shared' ? MODEL_HEALTH_NAME : scope
	return env.MODEL_HEALTH.getByName(name) as unknown as HealthBackend
}

const views = new WeakMap<object, Map<HealthScope, HealthView>>()
/** Scopes kept per isolate; a view holds only a 2 s snapshot, so dropping them costs one read each. */
const MAX_HEALTH_VIEWS = 256

/**
 * The isolate's view of one scope's provider health, shared by all its lanes: one snapshot read
 * per 2 s per isolate and scope, or one per lane that finds it stale at the same moment (reads in
 * flight are not shared).
 */
export function healthView(env: Env, scope: HealthScope): HealthView {
	let byScope = views.get(env)
	if (!byScope) {
		byScope = new Map()
		views.set(env, byScope)
	}
	let view = byScope.get(scope)
	if (!view) {
		// One view per tenant that ever ran here would pile up for the isolate's life.
		if (byScope.size >= MAX_HEALTH_VIEWS) byScope.clear()
		view = new HealthView(
			() => healthBackend(env, scope),
			loggerFromEnv(env, { component: 'models' }),
		)
		byScope.set(scope, view)
	}
	return view
}

/** An agent loop for one lane: its own logger and model instances, the isolate's health views. */
export function agentRuntime(env: Env, logger: Logger): AgentLoop {
	return new AgentLoop({
		health: (scope) => healthView(env, scope),
		env,
		credentials: credentialsFromEnv(env),
		urlRules: tenantUrlRules(env),
		logger,
	})
}
