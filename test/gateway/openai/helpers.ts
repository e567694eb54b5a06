// Helpers for the OpenAI-compatible API tests: the real openai SDK wired to the Worker's entry
// point, raw calls, and readers for the error shape and the session's transcript.
import { exports } from 'cloudflare:workers'
import { expect } from 'vitest'
import { ADMIN_TOKEN, BASE, call } from '../../helpers'
import { OpenAI } from './sdk.js'

export const OPENAI_BASE = `${BASE}/v1`

/** The SDK exactly as an application would use it, except that fetch reaches the Worker. */
export function client(apiKey: string, headers: Record<string, string> = {}): OpenAI {
	return new OpenAI({
		apiKey,
		baseURL: OPENAI_BASE,
		// The tests assert single answers; the SDK's own retries (429, 5xx) would hide them.
		maxRetries: 0,
		fetch: (url, init) => {
			const request = new Request(url, init)
			for (const [name, value] of Object.entries(headers)) request.headers.set(name, value)
			return exports.default.fetch(request)
		},
	})
}

export function completion(
	secret: string,
	body: unknown,
	headers: Record<string, string> = {},
): Promise<Response> {
	return call('/v1/chat/completions', {
		method: 'POST',
		headers: {
			authorization: `Bearer ${secret}`,
			'content-type': 'application/json',
			...headers,
		},
		body: typeof body === 'string' ? body : JSON.stringify(body),
	})
}

export interface OpenAIErrorShape {
	error: { message: string; type: string; param: string | null; code: string | null }
}

/** Reads an error response, asserting OpenAI's shape: exactly message, type, param, code. */
export async function openAIError(res: Response): Promise<OpenAIErrorShape['error']> {
	expect(res.headers.get('content-type')).toBe('application/json')
	expect(res.headers.get('x-request-id')).toBeTruthy()
	const body = (await res.json()) as OpenAIErrorShape
	expect(Object.keys(body)).toEqual(['error'])
	expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type'])
	expect(typeof body.error.message).toBe('string')
	expect(body.error.message.length).toBeGreaterThan(0)
	return body.error
}

/** The session's messages as role + text, through the native API. */
export async function transcript(
	sessionKey: string,
	{ agent = 'main', tenant = 'default' } = {},
): Promise<{ role: string; text: string }[]> {
	const res = await call(`/v1/sessions/${sessionKey}/messages?agent=${agent}&limit=500`, {
		headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-edgeclaw-tenant': tenant },
	})
	if (res.status !== 200) throw new Error(`transcript ${sessionKey}: ${res.status}`)
	const page = (await res.json()) as { messages: { role: string; content: { text?: string }[] }[] }
	return page.messages.map((m) => ({
		role: m.role,
		text: m.content.map((p) => p.text ?? '').join(''),
	}))
}

/** Splits an SSE body into its `data:` payloads, asserting the framing on the way. */
export function sseData(text: string): string[] {
	expect(text.endsWith('\n\n')).toBe(true)
	return text
		.split('\n\n')
		.filter((block) => block !== '' && !block.startsWith(':'))
		.map((block) => {
			expect(block.startsWith('data: ')).toBe(true)
			expect(block.includes('\n')).toBe(false)
			return block.slice('data: '.length)
		})
}
