// Log sinks for tests: a logger that writes nowhere, and a sink that keeps its lines so a test can
// assert on what the Worker logged.
import { Logger } from '../../src/observability/logger'

export const silentLogger = (): Logger =>
	new Logger({}, { sink: { log() {}, warn() {}, error() {} } })

/** A log sink that keeps lines, for asserting on what the Worker logs. */
export function captureLogs(): {
	sink: { log(l: string): void; warn(l: string): void; error(l: string): void }
	lines: string[]
	entries(): Record<string, unknown>[]
} {
	const lines: string[] = []
	const push = (l: string) => {
		lines.push(l)
	}
	return {
		sink: { log: push, warn: push, error: push },
		lines,
		entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
	}
}
