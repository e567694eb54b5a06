// Shared test helpers: an authenticated fetch through the Worker's real entry point.
import { exports } from 'cloudflare:workers'
import { ADMIN_TOKEN } from './admin-token'
import { STATE_WAIT_MS } from './timeouts'

export { ADMIN_TOKEN }
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

/** Inserts an agent straight into D1, past the agents API (no validation, version or audit entry). */
export async function createAgent(
	db: D1Database,
	id: string,
	config: Record<string, unknown>,
	tenantId = 'default',
): Promise<void> {
	await db
		.prepare('INSERT INTO agents (tenant_id, id, name, config) VALUES (?, ?, ?, ?)')
		.bind(tenantId, id, id, JSON.stringify({ model: { primary: 'offline:echo' }, ...config }))
		.run()
}

export interface RunBody {
	runId: string
	status: string
	output?: string | null
	error?: { code: string; message: string } | null
	attempt?: number
	waitingForSlot?: boolean
	[k: string]: unknown
}

/** Sends a message to a session of the default tenant. */
export async function send(
	sessionKey: string,
	body: Record<string, unknown>,
): Promise<{ res: Response; run: RunBody }> {
	const res = await postJson(`/v1/sessions/${sessionKey}/messages`, body)
	const run = (await res.clone().json()) as RunBody
	return { res, run }
}

export async function getRun(sessionKey: string, runId: string, agent = 'main'): Promise<RunBody> {
	const res = await admin(`/v1/sessions/${sessionKey}/runs/${runId}?agent=${agent}`)
	return (await res.json()) as RunBody
}

/** Polls a run until `predicate` holds (default: finished), or fails after `timeoutMs`. */
export async function waitForRun(
	sessionKey: string,
	runId: string,
	predicate: (run: RunBody) => boolean = (r) =>
		['succeeded', 'failed', 'cancelled'].includes(r.status),
	{ agent = 'main', timeoutMs = STATE_WAIT_MS } = {},
): Promise<RunBody> {
	const deadline = Date.now() + timeoutMs
	for (;;) {
		const run = await getRun(sessionKey, runId, agent)
		if (predicate(run)) return run
		if (Date.now() > deadline)
			throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms`)
		await new Promise((r) => setTimeout(r, 20))
	}
}

export async function messagesOf(
	sessionKey: string,
	agent = 'main',
): Promise<
	{ role: string; text: string; runId: string | null; kind: string; compacted: boolean }[]
> {
	const out: {
		role: string
		text: string
		runId: string | null
		kind: string
		compacted: boolean
	}[] = []
	let after = 0
	for (;;) {
		const res = await admin(
			`/v1/sessions/${sessionKey}/messages?agent=${agent}&after=${after}&limit=500`,
		)
		const page = (await res.json()) as {
			messages: {
				role: string
				content: { text: string }[]
				runId: string | null
				kind: string
				compacted: boolean
			}[]
			next: number | null
		}
		for (const m of page.messages) {
			out.push({
				role: m.role,
				text: m.content.map((p) => p.text).join(''),
				runId: m.runId,
				kind: m.kind,
				compacted: m.compacted,
			})
		}
		if (page.next === null) return out
		after = page.next
	}
}

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
	probe: () => Promise<T | undefined>,
	timeoutMs = STATE_WAIT_MS,
): Promise<T> {
	const deadline = Date.now() + timeoutMs
	for (;;) {
		const value = await probe()
		if (value !== undefined) return value
		if (Date.now() > deadline) throw new Error('condition not met in time')
		await new Promise((r) => setTimeout(r, 25))
	}
}
