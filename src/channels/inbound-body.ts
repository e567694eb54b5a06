// Reading a verified inbound body: bytes to text to JSON to the shape a plugin expects, where
// every failure is InboundInvalid (a 400 the platform sees), never an error of another kind.
import type { z } from 'zod'
import { InboundInvalid } from './plugin'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** The body as text; bytes that are not UTF-8 are InboundInvalid. */
export function textOf(body: Uint8Array, what: string): string {
	try {
		return strictUtf8.decode(body)
	} catch {
		throw new InboundInvalid(`${what}: the body is not UTF-8`)
	}
}

/** The body's JSON value; text that is not JSON is InboundInvalid. */
export function jsonOf(text: string, what: string): unknown {
	try {
		return JSON.parse(text)
	} catch {
		throw new InboundInvalid(`${what}: the body is not JSON`)
	}
}

/** The body's JSON value, from bytes: both steps' failures are InboundInvalid. */
export const bodyJson = (body: Uint8Array, what: string): unknown =>
	jsonOf(textOf(body, what), what)

/** `value` as `schema` reads it; the first mismatch, with its path, is InboundInvalid. */
export function shapeOf<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
	const parsed = schema.safeParse(value)
	if (parsed.success) return parsed.data
	const issue = parsed.error.issues[0]
	const path = issue && issue.path.length > 0 ? issue.path.join('.') : 'body'
	throw new InboundInvalid(`${what}: ${path}: ${issue?.message ?? 'unreadable'}`)
}
