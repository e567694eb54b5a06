// W3C Trace Context (https://www.w3.org/TR/trace-context/): the gateway accepts a caller's
// `traceparent` or starts a trace, and the trace id then follows the request through the lane, the
// tool job, the sandbox and every provider call. Parsing is strict and pure: a malformed header is
// ignored (a new trace starts), never an error.

export const TRACEPARENT_HEADER = 'traceparent'

export interface TraceContext {
	/** 32 lower-case hex digits, not all zero. */
	traceId: string
	/** This hop's span id: 16 lower-case hex digits, not all zero. */
	spanId: string
	/** The caller's sampled flag (bit 0 of trace-flags). */
	sampled: boolean
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)

/**
 * The context a `traceparent` header carries, or undefined when it is absent or malformed
 * (version ff, all-zero ids, upper case, wrong lengths; a version-00 header with extra fields).
 */
export function parseTraceparent(header: string | null | undefined): TraceContext | undefined {
	if (!header || header.length > 512) return undefined
	const m = TRACEPARENT.exec(header.trim())
	if (!m) return undefined
	const [, version, traceId, spanId, flags, rest] = m as unknown as [
		string,
		string,
		string,
		string,
		string,
		string | undefined,
	]
	if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
	if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined
	return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 }
}

/** The header value of a context (always version 00). */
export function formatTraceparent(ctx: TraceContext): string {
	return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`
}

// Ids from one randomUUID (122 random bits, dashes dropped): one call into the runtime's CSPRNG
// instead of a buffer, a copy and 16 string conversions per id.
const uuidHex = (): string => crypto.randomUUID().replaceAll('-', '')

function randomHex(byteLength: 8 | 16): string {
	for (;;) {
		const value = uuidHex().slice(32 - 2 * byteLength)
		if (value !== ZERO_TRACE.slice(0, 2 * byteLength)) return value
	}
}

/** A new trace, sampled. */
export function startTrace(): TraceContext {
	return { traceId: randomHex(16), spanId: randomHex(8), sampled: true }
}

/** A new span of the same trace (the next hop's parent id). */
export function childSpan(parent: TraceContext): TraceContext {
	return { ...parent, spanId: randomHex(8) }
}

/** The caller's trace continued with a span of our own, or a new trace. */
export function continueTrace(header: string | null | undefined): TraceContext {
	const incoming = parseTraceparent(header)
	return incoming ? childSpan(incoming) : startTrace()
}

/** The trace id of a `traceparent` value, when it is well formed. */
export const traceIdOf = (header: string | null | undefined): string | undefined =>
	parseTraceparent(header)?.traceId
