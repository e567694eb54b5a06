// Shared test helpers: an authenticated fetch through the Worker's real entry point.
import { exports } from 'cloudflare:workers'

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef'
export const BASE = 'http://edgeclaw.test'

export function call(path: string, init: RequestInit = {}): Promise<Response> {
	return exports.default.fetch(new Request(`${BASE}${path}`, init))
}

export function admin(path: string, init: RequestInit = {}): Promise<Response> {
	const headers = new Headers(init.headers)
	if (!headers.has('authorization')) headers.set('authorization', `Bearer ${ADMIN_TOKEN}`)
	return call(path, { ...init, headers })
}

export function postJson(
	path: string,
	body: unknown,
	headers: HeadersInit = {},
): Promise<Response> {
	return admin(path, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body: JSON.stringify(body),
	})
}

/** Reads a problem+json response, asserting the envelope's shape along the way. */
export async function problem(res: Response): Promise<Record<string, unknown>> {
	if (res.headers.get('content-type') !== 'application/problem+json') {
		throw new Error(
			`expected problem+json, got ${res.headers.get('content-type')}: ${await res.text()}`,
		)
	}
	return (await res.json()) as Record<string, unknown>
}

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
