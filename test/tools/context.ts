// A ToolContext for tests: defaults for every field, each replaceable.
import { Logger } from '../../src/observability/logger'
import { SandboxConfig } from '../../src/sandbox/config'
import { SandboxUnavailable } from '../../src/sandbox/executor'
import { ToolsConfig } from '../../src/tools/config'
import type { ToolContext } from '../../src/tools/registry'

export const silentLogger = (): Logger =>
	new Logger({}, { sink: { log() {}, warn() {}, error() {} } })

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
		secret: () => undefined,
		logger: silentLogger(),
		...over,
	}
}
