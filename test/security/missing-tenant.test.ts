// Writes for a tenant that has no row: the platform admin (who may name any tenant) gets 404
// not_found on every route that writes a tenant-owned row, never a 500 with SQL in the log.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createAgentRow } from '../../src/agents/store'
import { database } from '../../src/db/client'
import { isForeignKeyViolation } from '../../src/db/errors'
import { insertPolicy } from '../../src/db/policies'
import { createGateway } from '../../src/gateway/app'
import { captureLogs } from '../fakes/logs'
import { ADMIN_TOKEN, admin } from '../helpers'

const GHOST = 'no-such-tenant'
const agentConfig = { model: { primary: 'offline:echo' } }

/** Every route that writes a tenant-owned row (D1 or a session lane), with a valid body. */
const WRITES: [string, string, unknown?][] = [
	[
		'POST',
		'/v1/policies',
		{ id: 'p1', effect: 'deny', resources: ['*'], actions: ['agents:delete'] },
	],
	['POST', '/v1/keys', { name: 'k', role: 'viewer' }],
	['POST', '/v1/keys/0123456789abcdef/rotate'],
	['POST', '/v1/agents', { id: 'a1', name: 'A', config: agentConfig }],
	['PUT', '/v1/agents/main', { name: 'A', config: agentConfig }],
	['POST', '/v1/sessions/s1/messages', { content: 'hi' }],
	['POST', '/v1/sessions/s1/reset'],
	['DELETE', '/v1/sessions/s1'],
	['POST', '/v1/sessions/s1/runs/r1/cancel'],
	['POST', '/v1/sessions/s1/approvals/a1', { decision: 'deny' }],
]

const asGhost = (method: string, path: string, body?: unknown) =>
	admin(path, {
		method,
		headers: {
			'x-edgeclaw-tenant': GHOST,
			...(body !== undefined && { 'content-type': 'application/json' }),
		},
		...(body !== undefined && { body: JSON.stringify(body) }),
	})

describe('writes for a tenant without a row', () => {
	for (const [method, path, body] of WRITES) {
		it(`${method} ${path} → 404 not_found`, async () => {
			const res = await asGhost(method, path, body)
			const text = await res.text()
			expect(res.status, text).toBe(404)
			expect(res.headers.get('content-type')).toBe('application/problem+json')
			expect(JSON.parse(text)).toMatchObject({ code: 'not_found', status: 404 })
			expect(text).not.toMatch(/FOREIGN KEY|insert into|SQLITE/i)
		})
	}

	it('POST /v1/chat/completions → 404 in the OpenAI error shape', async () => {
		const res = await asGhost('POST', '/v1/chat/completions', {
			model: 'main',
			messages: [{ role: 'user', content: 'hi' }],
		})
		expect(res.status).toBe(404)
		const body = (await res.json()) as { error: { message: string; type: string } }
		expect(body.error.type).toBe('invalid_request_error')
	})

	it('logs a missing parent as a warning, without SQL, parameters or a stack', async () => {
		const { sink, entries } = captureLogs()
		const app = createGateway({ sink })
		const res = await app.request(
			'/v1/policies',
			{
				method: 'POST',
				headers: {
					authorization: `Bearer ${ADMIN_TOKEN}`,
					'content-type': 'application/json',
					'x-edgeclaw-tenant': GHOST,
				},
				body: JSON.stringify({
					id: 'logged',
					effect: 'allow',
					resources: ['*'],
					actions: ['agents:read'],
				}),
			},
			{ ...env, EDGECLAW_LOG_LEVEL: 'info' },
		)
		expect(res.status).toBe(404)
		const lines = entries()
		expect(lines.some((l) => l.msg === 'db.missing_parent' && l.level === 'warn')).toBe(true)
		expect(lines.some((l) => l.level === 'error')).toBe(false)
		expect(JSON.stringify(lines)).not.toMatch(/insert into|FOREIGN KEY|params|stack/i)
	})
})

describe('foreign-key failures', () => {
	it('are recognised through drizzle and raw D1 errors alike', async () => {
		const viaDrizzle = await insertPolicy(database(env.DB), {
			tenantId: GHOST,
			id: 'x',
			description: '',
			effect: 'deny',
			resources: ['*'],
			actions: ['*'],
			conditions: [],
			priority: 0,
			enabled: true,
		}).catch((error: unknown) => error)
		expect(isForeignKeyViolation(viaDrizzle)).toBe(true)
		const raw = await env.DB.prepare(
			'INSERT INTO api_keys (id, tenant_id, name, secret_hash, role) VALUES (?, ?, ?, ?, ?)',
		)
			.bind('fk-raw', GHOST, 'k', 'sha256:00', 'viewer')
			.run()
			.catch((error: unknown) => error)
		expect(isForeignKeyViolation(raw)).toBe(true)
		expect(isForeignKeyViolation(new Error('UNIQUE constraint failed: agents.id'))).toBe(false)
		expect(isForeignKeyViolation('FOREIGN KEY constraint failed')).toBe(false)
	})

	it('are not mistaken for a taken agent id (a 409) when the tenant vanished after the check', async () => {
		const created = createAgentRow(
			env.DB,
			GHOST,
			'late',
			{ name: 'Late', config: agentConfig as never },
			'admin-token',
		)
		await expect(created).rejects.toSatisfy(isForeignKeyViolation)
	})
})
