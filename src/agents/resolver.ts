// The agent runtime of an isolate: one AgentLoop (model router with its round-robin cursors and
// model instances, the shared-health view, the tool registry) per Worker environment.
import type { Logger } from '../observability/logger'
import { builtinTools } from '../tools/builtin'
import { AgentLoop } from './loop'
import { type HealthBackend, HealthView } from './models/health'

/** The deployment's one ModelHealth object. */
export const MODEL_HEALTH_NAME = 'global'

export function healthBackend(env: Env): HealthBackend {
	return env.MODEL_HEALTH.getByName(MODEL_HEALTH_NAME) as unknown as HealthBackend
}

const runtimes = new WeakMap<object, AgentLoop>()

/** The isolate's agent loop for this environment (created on first use). */
export function agentRuntime(env: Env, logger: Logger): AgentLoop {
	let loop = runtimes.get(env)
	if (!loop) {
		loop = new AgentLoop({
			tools: builtinTools(),
			health: new HealthView(healthBackend(env), logger),
			env: env as unknown as Record<string, unknown>,
			logger,
		})
		runtimes.set(env, loop)
	}
	return loop
}
