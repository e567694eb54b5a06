// Which executor answers a tool's need, per agent: `auto` runs JavaScript in a Worker Loader
// isolate and shells in the container; `isolate` has no shell; `container` runs everything in
// the container. A missing backend is a SandboxUnavailable that names the remedy, at once. A
// traced run's traceparent goes along with every call (see each backend for how).
import type { SessionRef } from '../security/subject'
import { sandboxBackends } from './backends'
import type { SandboxConfig } from './config'
import { ContainerExecutor, destroySandbox } from './container'
import { type SandboxProvider, type SandboxScope, SandboxUnavailable } from './executor'
import { IsolateExecutor } from './isolate'

export type SandboxEnv = Pick<Env, 'LOADER' | 'SANDBOX' | 'EDGECLAW_CONTAINERS'>

export function sandboxProvider(
	env: SandboxEnv,
	scope: SandboxScope,
	config: SandboxConfig,
	traceparent?: string,
): SandboxProvider {
	return (need) => {
		if (need === 'js' && config.backend !== 'container') {
			if (sandboxBackends(env).isolate !== 'available') {
				throw new SandboxUnavailable(
					'isolate',
					'JavaScript isolates need the LOADER binding ([[worker_loaders]] in wrangler.toml).',
				)
			}
			return new IsolateExecutor(env.LOADER, traceparent ? { traceparent } : {})
		}
		if (need === 'shell' && config.backend === 'isolate') {
			throw new SandboxUnavailable(
				'isolate',
				'This agent runs code in isolates only (sandbox.backend "isolate"): exec and file tools need sandbox.backend "auto" or "container".',
			)
		}
		return new ContainerExecutor(env, scope, config, traceparent)
	}
}

/** Ends a session's own sandbox (session scope), when containers run here at all. */
export async function endSessionSandbox(
	env: SandboxEnv,
	session: SessionRef,
	config: SandboxConfig,
): Promise<void> {
	if (config.scope !== 'session' || sandboxBackends(env).container !== 'available') return
	await destroySandbox(env, { ...session, scope: 'session' })
}
