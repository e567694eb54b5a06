// Reading a verified JSON body for a plugin's `parse`: every failure is an InboundInvalid that
// says what is wrong (which field, why), never an exception of another kind.
import type { z } from 'zod'
import { InboundInvalid } from './plugin'

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** The body as JSON; InboundInvalid when it is not UTF-8 JSON. */
export function readJson(body: Uint8Array): unknown {
	try {
		return JSON.parse(decoder.decode(body))
	} catch {
		throw new InboundInvalid('the body is not UTF-8 JSON')
	}
}

/** `value` read by `schema`; InboundInvalid naming the first bad fields (at most three). */
export function readShape<S extends z.ZodType>(
	schema: S,
	value: unknown,
	what: string,
): z.output<S> {
	const parsed = schema.safeParse(value)
	if (parsed.success) return parsed.data
	const issues = parsed.error.issues
		.slice(0, 3)
		.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
	throw new InboundInvalid(`not ${what}: ${issues.join('; ')}`)
}
