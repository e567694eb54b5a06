// Which sandbox backends this deployment can use. The isolate backend (Worker Loader) needs only
// its binding; the container backend (Cloudflare Sandbox) also needs a container runtime, which
// local development without Docker does not have (EDGECLAW_CONTAINERS=disabled).

export type BackendState = 'available' | 'disabled' | 'unbound'

export interface SandboxBackends {
	/** JavaScript in a fresh V8 isolate with no network (Worker Loader). */
	isolate: BackendState
	/** Linux containers for exec and file tools (Cloudflare Sandbox SDK). */
	container: BackendState
}

export function sandboxBackends(
	env: Pick<Env, 'LOADER' | 'SANDBOX' | 'EDGECLAW_CONTAINERS'>,
): SandboxBackends {
	return {
		isolate: env.LOADER ? 'available' : 'unbound',
		container: !env.SANDBOX
			? 'unbound'
			: env.EDGECLAW_CONTAINERS === 'disabled'
				? 'disabled'
				: 'available',
	}
}
