// A ToolContext for tests: defaults for every field, each replaceable.
import { SandboxConfig } from '../../src/sandbox/config'
import { SandboxUnavailable } from '../../src/sandbox/executor'
import type { Credential, Credentials } from '../../src/security/credentials'
import { ToolsConfig } from '../../src/tools/config'
import type { ToolContext } from '../../src/tools/registry'
import { silentLogger } from './logs'

/** Resolves names from `secrets` as the tenant's own; anything else is not found. */
export function tenantCredentials(secrets: Record<string, string> = {}): Credentials {
	return { resolve: async ({ name }) => tenantCredential(secrets, name) }
}

export function tenantCredential(secrets: Record<string, string>, name: string): Credential {
	const value = secrets[name]
	return value !== undefined
		? { ok: true, value, owner: 'tenant' }
		: { ok: false, reason: 'not_found', message: `${name} is not a secret of this tenant` }
}

export function toolContext(over: Partial<ToolContext> = {}): ToolContext {
	return {
		tenantId: 'default',
		agentId: 'main',
		sessionKey: 's1',
		runId: 'run-1',
		callId: 'call-1',
		signal: new AbortController().signal,
		now: Date.now,
		tools: ToolsConfig.parse({}),
		sandboxConfig: SandboxConfig.parse({}),
		sandbox: () => {
			throw new SandboxUnavailable('container', 'no sandbox in this test')
		},
		fetch: async () => {
			throw new Error('no network in this test')
		},
		credential: async (name) => tenantCredential({}, name),
		logger: silentLogger(),
		...over,
	}
}
