// Structured logs: JSON lines with request id, tenant and session fields, secrets redacted.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createGateway } from '../../src/gateway/app'
import { Logger, loggerFromEnv } from '../../src/observability/logger'
import { createRedactor, REDACTED } from '../../src/security/redact'
import { captureLogs } from '../fakes/logs'
import { ADMIN_TOKEN } from '../helpers'

describe('redaction', () => {
	const redact = createRedactor(['super-secret-admin-token'])

	it('masks values under secret-looking keys', () => {
		expect(
			redact({
				authorization: 'Bearer x',
				apiKey: 'k',
				api_key: 'k',
				password: 'p',
				nested: { clientSecret: 's' },
				tokens: 3,
			}),
		).toEqual({
			authorization: REDACTED,
			apiKey: REDACTED,
			api_key: REDACTED,
			password: REDACTED,
			nested: { clientSecret: REDACTED },
			tokens: 3,
		})
	})

	it('scrubs credential shapes and known secrets inside strings', () => {
		const text = redact.text(
			'auth Bearer abcdefghijklmnop key ek_ab12cd_0123456789abcdef device ecd_ab12cd34ef56ab78_ZYXWVUTSrqpo-_98 sk-ant-api03-abcdefghijklmnopqrstuv jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.c2lnbmF0dXJlLXZhbHVl and super-secret-admin-token',
		)
		expect(text).not.toMatch(
			/abcdefghijklmnop|0123456789abcdef|ZYXWVUTS|api03|eyJhbGci|super-secret/,
		)
		expect(text.match(/\[REDACTED\]/g)?.length).toBe(6)
	})

	it('survives cycles, errors and deep nesting', () => {
		const a: Record<string, unknown> = { name: 'a' }
		a.self = a
		let deep: Record<string, unknown> = { leaf: true }
		for (let i = 0; i < 20; i++) deep = { deep }
		const out = redact({
			a,
			err: new Error('failed with super-secret-admin-token'),
			deep,
		}) as Record<string, unknown>
		expect((out.a as Record<string, unknown>).self).toBe('[Circular]')
		expect((out.err as { message: string }).message).toBe(`failed with ${REDACTED}`)
		expect(JSON.stringify(out)).toContain('[Truncated]')
	})
})

describe('logger', () => {
	it('writes one JSON object per line with the bound fields, and honours the level', () => {
		const { sink, entries } = captureLogs()
		const log = new Logger({ requestId: 'r1' }, { sink, level: 'info', now: () => 0 }).child({
			tenant: 't1',
			session: 's1',
		})
		log.debug('hidden')
		log.info('shown', { n: 1 })
		log.error('bad', { token: 'abc' })
		expect(entries()).toEqual([
			{
				ts: '1970-01-01T00:00:00.000Z',
				level: 'info',
				msg: 'shown',
				requestId: 'r1',
				tenant: 't1',
				session: 's1',
				n: 1,
			},
			{
				ts: '1970-01-01T00:00:00.000Z',
				level: 'error',
				msg: 'bad',
				requestId: 'r1',
				tenant: 't1',
				session: 's1',
				token: REDACTED,
			},
		])
	})

	it("scrubs the deployment's secrets — admin token, data keys, metrics API token — from every line", () => {
		const { sink, entries } = captureLogs()
		const secrets = {
			EDGECLAW_ADMIN_TOKEN: 'admin-token-0123456789',
			EDGECLAW_SECRETS_KEY: 'secrets-key-0123456789',
			EDGECLAW_AUDIT_KEY: 'audit-key-0123456789',
			EDGECLAW_METRICS_API_TOKEN: 'metrics-token-0123456789',
		}
		const log = loggerFromEnv({ EDGECLAW_LOG_LEVEL: 'info', ...secrets }, {}, { sink })
		log.warn(`upstream said ${Object.values(secrets).join(' and ')}`)
		const line = JSON.stringify(entries())
		for (const value of Object.values(secrets)) expect(line).not.toContain(value)
		expect(entries()[0]?.msg).toContain(REDACTED)
	})

	it('logs every request once with request id, tenant, status and duration, and no credentials', async () => {
		const { sink, entries } = captureLogs()
		const app = createGateway({ sink, generateId: () => 'fixed-id' })
		const res = await app.request(
			'/v1/agents?note=leaky',
			{ headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
			{ ...env, EDGECLAW_LOG_LEVEL: 'info' },
		)
		expect(res.status).toBe(200)
		const access = entries().filter((l) => l.msg === 'request')
		expect(access).toHaveLength(1)
		expect(access[0]).toMatchObject({
			level: 'info',
			requestId: 'fixed-id',
			tenant: 'default',
			method: 'GET',
			path: '/v1/agents',
			status: 200,
		})
		expect(typeof access[0]?.durationMs).toBe('number')
		const all = JSON.stringify(entries())
		expect(all).not.toContain(ADMIN_TOKEN)
		expect(all).not.toContain('leaky')
	})

	it('logs failed authentication without the presented token', async () => {
		const { sink, entries } = captureLogs()
		const app = createGateway({ sink })
		await app.request(
			'/v1/agents',
			{ headers: { authorization: 'Bearer wrong-token-value-123' } },
			{ ...env, EDGECLAW_LOG_LEVEL: 'info' },
		)
		expect(entries().some((l) => l.msg === 'auth.failed' && l.reason === 'unknown_token')).toBe(
			true,
		)
		expect(JSON.stringify(entries())).not.toContain('wrong-token-value-123')
	})
})
