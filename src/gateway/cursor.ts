// Opaque page cursors for keyset pagination: the sort key of a page's last row as base64 JSON,
// read back only when every part has the type the route expects (else a 400 naming the field).
import { ProblemError } from './problem'

type Part = string | number | null
type Kind = 'string' | 'number' | 'number?'

export const encodeCursor = (key: readonly Part[]): string => btoa(JSON.stringify(key))

const fits = (value: unknown, kind: Kind): boolean =>
	kind === 'number?'
		? value === null || typeof value === 'number'
		: typeof value === kind && (kind !== 'number' || Number.isFinite(value))

/** The key a cursor holds, one part per kind; throws `validation_failed` for anything else. */
export function decodeCursor(raw: string, kinds: readonly Kind[]): Part[] {
	try {
		const key = JSON.parse(atob(raw)) as unknown
		if (
			Array.isArray(key) &&
			key.length === kinds.length &&
			kinds.every((k, i) => fits(key[i], k))
		) {
			return key as Part[]
		}
	} catch {}
	throw new ProblemError(
		'validation_failed',
		'Invalid request; query field "cursor": not a cursor from this API.',
	)
}
