// Which executor answers a tool's need, per agent: `auto` runs JavaScript in a Worker Loader
// isolate and shells in the container; `isolate` has no shell; `container` runs everything in
// the container. A missing backend is a SandboxUnavailable that names the remedy, at once. A
// traced run's traceparent goes along with every call (see each backend for how).
import type { SessionRef } from '../security/subject'
import { sandboxBackends } from './backends'
import type { SandboxConfig } from './config'
import { ContainerExecutor, destroySandbox, unavailableReason } from './container'
import {
	type SandboxNeed,
	type SandboxProvider,
	type SandboxScope,
	SandboxUnavailable,
} from './executor'
import { IsolateExecutor } from './isolate'

export type SandboxEnv = Pick<Env, 'LOADER' | 'SANDBOX' | 'EDGECLAW_CONTAINERS'>

const NO_LOADER =
	'JavaScript isolates need the LOADER binding ([[worker_loaders]] in wrangler.toml).'
const ISOLATE_ONLY =
	'This agent runs code in isolates only (sandbox.backend "isolate"): exec and file tools need sandbox.backend "auto" or "container".'

/**
 * Why a need cannot be met here for this agent (the same rules `sandboxProvider` applies), or
 * undefined: the lane asks before a call waits for its approval.
 */
export function sandboxUnavailable(
	env: SandboxEnv,
	config: SandboxConfig,
	need: SandboxNeed,
): string | undefined {
	if (need === 'js' && config.backend !== 'container') {
		return sandboxBackends(env).isolate === 'available' ? undefined : NO_LOADER
	}
	if (need === 'shell' && config.backend === 'isolate') return ISOLATE_ONLY
	return unavailableReason(env)
}

export function sandboxProvider(
	env: SandboxEnv,
	scope: SandboxScope,
	config: SandboxConfig,
	traceparent?: string,
): SandboxProvider {
	return (need) => {
		if (need === 'js' && config.backend !== 'container') {
			if (sandboxBackends(env).isolate !== 'available')
				throw new SandboxUnavailable('isolate', NO_LOADER)
			return new IsolateExecutor(env.LOADER, traceparent ? { traceparent } : {})
		}
		if (need === 'shell' && config.backend === 'isolate') {
			throw new SandboxUnavailable('isolate', ISOLATE_ONLY)
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
