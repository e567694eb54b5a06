// Secret redaction for anything that leaves the process as text: logs, audit data, error details.
// Keys that name secrets are masked whole; string values are scrubbed of credential shapes and of
// the exact secret values the Worker knows (its own tokens).

export const REDACTED = '[REDACTED]'

const SECRET_KEY =
	/(^|[-_.])(authorization|cookie|set-cookie|password|passwd|secret|token|api[-_]?key|private[-_]?key|credentials?|client[-_]?secret|signature)$/i

const SECRET_SHAPES: RegExp[] = [
	/\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
	/\bek_[A-Za-z0-9]{4,}_[A-Za-z0-9_-]{8,}/g, // edgeclaw API keys
	/\becd_[A-Za-z0-9]{4,}_[A-Za-z0-9_-]{8,}/g, // edgeclaw OpenClaw device tokens
	/\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g, // Anthropic / OpenAI keys
	/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs
]

const MAX_DEPTH = 8

/** A redactor scrubs known secret values (e.g. the admin token) besides the generic shapes. */
export interface Redactor {
	(value: unknown): unknown
	text(value: string): string
}

/**
 * Builds a redactor. `knownSecrets` are exact values to mask wherever they appear; values shorter
 * than 8 characters are ignored so that masking cannot shred ordinary text.
 */
export function createRedactor(knownSecrets: readonly (string | undefined)[] = []): Redactor {
	const secrets = knownSecrets.filter((s): s is string => typeof s === 'string' && s.length >= 8)

	const text = (value: string): string => {
		let out = value
		for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED)
		for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED)
		return out
	}

	const walk = (value: unknown, depth: number, seen: WeakSet<object>): unknown => {
		if (typeof value === 'string') return text(value)
		if (value === null || typeof value !== 'object') return value
		if (seen.has(value)) return '[Circular]'
		if (depth >= MAX_DEPTH) return '[Truncated]'
		seen.add(value)
		if (value instanceof Error) {
			return {
				name: value.name,
				message: text(value.message),
				stack: value.stack && text(value.stack),
			}
		}
		if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, seen))
		const out: Record<string, unknown> = {}
		for (const [key, v] of Object.entries(value)) {
			out[key] = SECRET_KEY.test(key) && v != null && v !== '' ? REDACTED : walk(v, depth + 1, seen)
		}
		return out
	}

	const redact = ((value: unknown) => walk(value, 0, new WeakSet())) as Redactor
	redact.text = text
	return redact
}

/** Redactor with the generic shapes only. */
export const redact = createRedactor()
