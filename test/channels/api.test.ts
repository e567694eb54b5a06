// The Channels API: admin-only, tenant-scoped, audited; configs name tenant secrets that must
// exist, URLs pass the SSRF guard, agents exist; a channel's kind never changes.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway/app'
import { captureLogs } from '../fakes/logs'
import { admin, problem } from '../helpers'
import { as, key, tenant } from '../security/helpers'

const put = (path: string, body: unknown, tenantId = 'chan-api') =>
	admin(path, {
		method: 'PUT',
		headers: { 'content-type': 'application/json', 'x-edgeclaw-tenant': tenantId },
		body: JSON.stringify(body),
	})
const post = (path: string, body: unknown, tenantId = 'chan-api') =>
	admin(path, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-edgeclaw-tenant': tenantId },
		body: JSON.stringify(body),
	})
const get = (path: string, tenantId = 'chan-api') =>
	admin(path, { headers: { 'x-edgeclaw-tenant': tenantId } })

const hookChannel = (id: string, config: Record<string, unknown> = {}) => ({
	id,
	kind: 'webhook',
	agent: 'main',
	config: {
		secrets: { signingSecret: 'HOOK_SECRET' },
		callbackUrl: 'https://hooks.platform.test/cb',
		...config,
	},
})

beforeAll(async () => {
	await tenant('chan-api')
	expect(
		(await put('/v1/secrets/HOOK_SECRET', { value: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }))
			.status,
	).toBe(201)
})

describe('channels API', () => {
	it('creates, lists, reads, replaces and deletes a channel, with its webhook URL', async () => {
		const created = await post('/v1/channels', hookChannel('crud'))
		expect(created.status).toBe(201)
		expect(created.headers.get('location')).toBe('/v1/channels/crud')
		const body = (await created.json()) as Record<string, unknown>
		expect(body).toMatchObject({
			id: 'crud',
			kind: 'webhook',
			agent: 'main',
			enabled: true,
			webhookUrl: 'http://edgeclaw.test/hooks/chan-api/crud',
			config: { dmPolicy: 'pairing', secrets: { signingSecret: 'HOOK_SECRET' } },
		})
		// The config holds secret names only; the value is nowhere in the answer.
		expect(JSON.stringify(body)).not.toContain('whsec_')
		const listed = (await (await get('/v1/channels')).json()) as { channels: { id: string }[] }
		expect(listed.channels.map((c) => c.id)).toContain('crud')
		const replaced = await put('/v1/channels/crud', {
			...hookChannel('crud'),
			id: undefined,
			enabled: false,
			config: { ...hookChannel('crud').config, dmPolicy: 'open' },
		})
		expect(replaced.status).toBe(200)
		expect(await replaced.json()).toMatchObject({ enabled: false, config: { dmPolicy: 'open' } })
		expect(
			(
				await admin('/v1/channels/crud', {
					method: 'DELETE',
					headers: { 'x-edgeclaw-tenant': 'chan-api' },
				})
			).status,
		).toBe(204)
		expect((await get('/v1/channels/crud')).status).toBe(404)
		const audit = await env.DB.prepare(
			"SELECT action FROM audit_log WHERE tenant_id = 'chan-api' AND target = 'channel:crud' ORDER BY seq",
		).all<{ action: string }>()
		expect(audit.results.map((r) => r.action)).toEqual([
			'channel.created',
			'channel.updated',
			'channel.deleted',
		])
	})

	it('refuses an unknown kind, a secret the tenant has not stored, a refused URL and a missing agent, by field', async () => {
		const cases: [unknown, string][] = [
			[{ ...hookChannel('bad1'), kind: 'carrier-pigeon' }, 'kind'],
			[
				hookChannel('bad2', { secrets: { signingSecret: 'NOT_STORED' } }),
				'config.secrets.signingSecret',
			],
			[hookChannel('bad3', { callbackUrl: 'http://169.254.169.254/latest' }), 'config'],
			[{ ...hookChannel('bad4'), agent: 'ghost' }, 'agent'],
			[hookChannel('bad5', { dmPolicy: 'sometimes' }), 'config.dmPolicy'],
			[
				hookChannel('bad6', { bindings: [{ space: 'T1', agent: 'ghost' }] }),
				'config.bindings.0.agent',
			],
			[
				hookChannel('bad7', { secrets: { signingSecret: 'EDGECLAW_ADMIN_TOKEN' } }),
				'config.secrets.signingSecret',
			],
		]
		for (const [body, path] of cases) {
			const res = await post('/v1/channels', body)
			expect(res.status, path).toBe(400)
			const p = await problem(res)
			expect(p.code).toBe('validation_failed')
			expect((p.errors as { path: string }[]).map((e) => e.path)).toContain(path)
		}
		expect((await get('/v1/channels/bad2')).status).toBe(404)
	})

	it('keeps ids unique and kinds fixed', async () => {
		expect((await post('/v1/channels', hookChannel('fixed'))).status).toBe(201)
		expect((await problem(await post('/v1/channels', hookChannel('fixed')))).code).toBe('conflict')
		const res = await put('/v1/channels/fixed', { kind: 'discord', agent: 'main', config: {} })
		expect(res.status).toBe(409)
	})

	it('is for admins: an operator may read and approve pairing but not create; another tenant sees nothing', async () => {
		const operator = await key('chan-api', 'operator')
		const member = await key('chan-api', 'member')
		expect((await as(operator.secret, '/v1/channels')).status).toBe(200)
		expect(
			(await as(operator.secret, '/v1/channels', { method: 'POST', json: hookChannel('op') }))
				.status,
		).toBe(403)
		expect((await as(member.secret, '/v1/channels')).status).toBe(403)
		await tenant('chan-other')
		const stranger = await key('chan-other', 'admin')
		expect((await as(stranger.secret, '/v1/channels/fixed')).status).toBe(404)
	})

	it('register returns the webhook URL and what to do for a platform without an API for it', async () => {
		const res = await post('/v1/channels/fixed/register', {})
		expect(res.status).toBe(200)
		expect(await res.json()).toMatchObject({
			webhookUrl: 'http://edgeclaw.test/hooks/chan-api/fixed',
			registered: false,
		})
	})

	it('register answers 409 when a secret the channel names is gone (the tenant’s to fix)', async () => {
		for (const name of ['TG_GONE_TOKEN', 'TG_GONE_SECRET']) {
			expect((await put(`/v1/secrets/${name}`, { value: 'abc_123-def' })).status).toBe(201)
		}
		const created = await post('/v1/channels', {
			id: 'tg-gone',
			kind: 'telegram',
			agent: 'main',
			config: {
				secrets: { botToken: 'TG_GONE_TOKEN', webhookSecret: 'TG_GONE_SECRET' },
				apiBase: 'https://tg-gone.platform.test',
			},
		})
		expect(created.status).toBe(201)
		const deleted = await admin('/v1/secrets/TG_GONE_TOKEN', {
			method: 'DELETE',
			headers: { 'x-edgeclaw-tenant': 'chan-api' },
		})
		expect(deleted.status).toBe(204)
		const res = await post('/v1/channels/tg-gone/register', {})
		expect(res.status).toBe(409)
		expect((await problem(res)).detail).toContain('TG_GONE_TOKEN')
	})

	it('logs an unreadable secret as verify_failed, never as a bad signature, and answers 401', async () => {
		expect(
			(await put('/v1/secrets/HOOK_GONE', { value: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }))
				.status,
		).toBe(201)
		const created = await post(
			'/v1/channels',
			hookChannel('unreadable', { secrets: { signingSecret: 'HOOK_GONE' } }),
		)
		expect(created.status).toBe(201)
		await admin('/v1/secrets/HOOK_GONE', {
			method: 'DELETE',
			headers: { 'x-edgeclaw-tenant': 'chan-api' },
		})
		const { sink, entries } = captureLogs()
		const app = createGateway({ sink })
		const res = await app.request(
			'/hooks/chan-api/unreadable',
			{
				method: 'POST',
				headers: {
					'webhook-id': 'msg_1',
					'webhook-timestamp': '1',
					'webhook-signature': 'v1,AAAA',
				},
				body: '{}',
			},
			{ ...env, EDGECLAW_LOG_LEVEL: 'info' },
		)
		expect(res.status).toBe(401)
		const messages = entries().map((e) => e.msg)
		expect(messages).toContain('channel.verify_failed')
		expect(messages).not.toContain('channel.bad_signature')
	})

	it('lists no dead letters for a channel that failed nothing, and 404 for an unknown one', async () => {
		expect(await (await get('/v1/channels/fixed/deliveries?status=failed')).json()).toEqual({
			deliveries: [],
		})
		expect((await get('/v1/channels/none/deliveries')).status).toBe(404)
		expect((await get('/v1/channels/fixed/deliveries?status=sent')).status).toBe(400)
	})
})
