// Helpers for the security tests: tenants, keys of each role, requests as a key.
import { env } from 'cloudflare:test'
import { ADMIN_TOKEN, call } from '../helpers'

export async function tenant(id: string): Promise<void> {
	await env.DB.prepare('INSERT OR IGNORE INTO tenants (id, name) VALUES (?, ?)').bind(id, id).run()
	await env.DB.prepare(
		`INSERT OR IGNORE INTO agents (tenant_id, id, name, config) VALUES (?, 'main', 'main', '{"model":{"primary":"offline:echo"}}')`,
	)
		.bind(id)
		.run()
}

export async function key(
	tenantId: string,
	role: 'admin' | 'operator' | 'member' | 'viewer',
	extra: Record<string, unknown> = {},
): Promise<{ id: string; secret: string }> {
	const res = await call('/v1/keys', {
		method: 'POST',
		headers: {
			authorization: `Bearer ${ADMIN_TOKEN}`,
			'content-type': 'application/json',
			'x-edgeclaw-tenant': tenantId,
		},
		body: JSON.stringify({ name: `${role} key`, role, ...extra }),
	})
	if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`)
	const body = (await res.json()) as { key: { id: string }; secret: string }
	return { id: body.key.id, secret: body.secret }
}

export function as(
	secret: string,
	path: string,
	init: RequestInit & { json?: unknown } = {},
): Promise<Response> {
	const headers = new Headers(init.headers)
	headers.set('authorization', `Bearer ${secret}`)
	let body = init.body
	if (init.json !== undefined) {
		headers.set('content-type', 'application/json')
		body = JSON.stringify(init.json)
	}
	const { json: _, ...rest } = init
	return call(path, { ...rest, headers, ...(body !== undefined ? { body } : {}) })
}
