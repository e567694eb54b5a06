// Helpers of the Responses API tests: raw calls to /v1/responses and reads of what they answer.
import { expect } from 'vitest'
import { call } from '../../helpers'

export function respond(body: unknown, headers: Record<string, string> = {}, secret: string) {
	return call('/v1/responses', {
		method: 'POST',
		headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', ...headers },
		body: typeof body === 'string' ? body : JSON.stringify(body),
	})
}

export const get = (path: string, secret: string, method = 'GET') =>
	call(path, { method, headers: { authorization: `Bearer ${secret}` } })

export interface ResponseBody {
	id: string
	status: string
	output: { id: string; type: string; content: { type: string; text: string }[] }[]
	usage: { input_tokens: number; output_tokens: number; total_tokens: number }
	[field: string]: unknown
}

/** Creates a response, asserting a 200; its body and session. */
export async function created(body: unknown, secret: string, headers: Record<string, string> = {}) {
	const res = await respond(body, headers, secret)
	expect(res.status, await res.clone().text()).toBe(200)
	return {
		body: (await res.json()) as ResponseBody,
		session: res.headers.get('x-edgeclaw-session') as string,
	}
}
