// An agent's config as the editor holds it: JSON text shown with a stable key order, parsed back
// with the error placed by line and column, and the server's field errors sorted to their field.
import type { FieldError } from '../api'
import { errorsAt } from '../ui/fields'

/** JSON with object keys sorted at every depth, two-space indented: two versions diff line by line. */
export function stableJson(value: unknown): string {
	return JSON.stringify(sortKeys(value), null, 2)
}

function sortKeys(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(sortKeys)
	if (value !== null && typeof value === 'object') {
		const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
			a < b ? -1 : a > b ? 1 : 0,
		)
		return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]))
	}
	return value
}

export type ParsedConfig =
	| { ok: true; config: Record<string, unknown> }
	| { ok: false; message: string }

/** The editor's text as a config object, or why not (with the line and column when JSON says where). */
export function parseConfig(text: string): ParsedConfig {
	let value: unknown
	try {
		value = JSON.parse(text)
	} catch (error) {
		return { ok: false, message: placeError(text, (error as Error).message) }
	}
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		return { ok: false, message: 'The config must be a JSON object ({ … }).' }
	}
	return { ok: true, config: value as Record<string, unknown> }
}

/** "… at position 42" → "… at position 42 (line 3, column 5)", unless the engine said so already. */
function placeError(text: string, message: string): string {
	const at = /position (\d+)/.exec(message)
	if (!at?.[1] || /line \d+/i.test(message)) return message
	const { line, column } = lineAndColumn(text, Number(at[1]))
	return `${message} (line ${line}, column ${column})`
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
	const before = text.slice(0, offset).split('\n')
	return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 }
}

export type AgentField = 'id' | 'name' | 'config' | 'other'

/** The server's field errors by the editor field they belong to (`config.model.primary` → config). */
export const errorsByField = (errors: readonly FieldError[]): Record<AgentField, FieldError[]> =>
	errorsAt(errors, ['id', 'name', 'config'] as const)
