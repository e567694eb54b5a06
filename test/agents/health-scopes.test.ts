// Provider health is kept per scope of the credential used: one tenant's failing turns never switch
// a model off for another tenant. A tenant's own keys (and key-less models) live in the tenant's
// state; the deployment's shared keys in shared state, which only the provider's own evidence
// (an HTTP status it sent, a long timeout) moves.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
	BREAKER_THRESHOLD,
	type HealthBackend,
	type HealthScope,
	HealthView,
	tenantScope,
} from '../../src/agents/models/health'
import { ModelRouter } from '../../src/agents/models/router'
import type { StepRequest } from '../../src/agents/models/step'
import type { ModelTarget } from '../../src/agents/models/targets'
import { healthBackend } from '../../src/agents/runtime'
import type { SecretOwner } from '../../src/security/secrets'
import { silentLogger } from '../fakes/logs'
import { anthropic, type Reply, scriptedFetch } from '../fakes/provider-wire'
import { admin, postJson, problem } from '../helpers'

const silent = silentLogger()

async function tenant(id: string): Promise<void> {
	await env.DB.prepare('INSERT INTO tenants (id, name) VALUES (?, ?)').bind(id, id).run()
	await env.DB.prepare('INSERT INTO agents (tenant_id, id, name, config) VALUES (?, ?, ?, ?)')
		.bind(id, 'main', 'Main', JSON.stringify({ model: { primary: 'offline:echo' } }))
		.run()
}

/** A turn in a tenant's session, as its platform admin (any role's turn is the same to health). */
async function turnIn(tenantId: string, session: string, content: string) {
	const res = await postJson(
		`/v1/sessions/${session}/messages`,
		{ content, wait: true },
		{ 'x-edgeclaw-tenant': tenantId },
	)
	return (await res.json()) as { status: string; output?: string; error?: { message: string } }
}

const asTenant = (tenantId: string, path: string, init: RequestInit = {}) =>
	admin(path, {
		...init,
		headers: {
			'x-edgeclaw-tenant': tenantId,
			'content-type': 'application/json',
			...(init.headers as Record<string, string>),
		},
	})

describe('model health per tenant', () => {
	it("one tenant's failing turns open its own breaker, never another tenant's", async () => {
		await tenant('noisy')
		await tenant('quiet')
		// Twice three attempts of 500: past the breaker's threshold, in the noisy tenant only.
		expect((await turnIn('noisy', 'f1', '/fail 500')).status).toBe('failed')
		expect((await turnIn('noisy', 'f2', '/fail 500')).status).toBe('failed')
		const noisy = await healthBackend(env, tenantScope('noisy')).snapshot()
		expect(noisy.breakers['offline||echo']).toMatchObject({ state: 'open' })
		const blocked = await turnIn('noisy', 'f3', 'hello')
		expect(blocked.error?.message).toContain('circuit open')
		// The other tenant, and the shared state, never saw it.
		expect((await turnIn('quiet', 'q1', 'hello')).output).toBe('echo: hello')
		expect(
			(await healthBackend(env, 'shared').snapshot()).breakers['offline||echo'],
		).toBeUndefined()

		// The tenant sees its own state and the shared one; its admin closes its breaker.
		const seen = await asTenant('noisy', '/v1/provider-health')
		expect(seen.status).toBe(200)
		const body = (await seen.json()) as {
			tenant: { scope: string; breakers: { key: string; state: string }[] }
			shared: { scope: string }
		}
		expect(body.tenant.scope).toBe('tenant:noisy')
		expect(body.tenant.breakers).toContainEqual(
			expect.objectContaining({ key: 'offline||echo', state: 'open' }),
		)
		expect(body.shared.scope).toBe('shared')
		const reset = await asTenant('noisy', '/v1/provider-health/reset', {
			method: 'POST',
			body: JSON.stringify({ kind: 'breaker', key: 'offline||echo' }),
		})
		expect(reset.status).toBe(200)
		expect(
			(await healthBackend(env, tenantScope('noisy')).snapshot()).breakers['offline||echo'],
		).toBeUndefined()
		const again = await asTenant('noisy', '/v1/provider-health/reset', {
			method: 'POST',
			body: JSON.stringify({ kind: 'breaker', key: 'offline||echo' }),
		})
		expect(again.status).toBe(404)
		expect((await problem(again)).code).toBe('not_found')
		const audited = await env.DB.prepare(
			"SELECT actor FROM audit_log WHERE tenant_id = 'noisy' AND action = 'provider.breaker_reset'",
		).first<{ actor: string }>()
		expect(audited?.actor).toBe('admin-token')
	})

	it("a 401 disables the tenant's key for that tenant only; the platform admin sees and re-enables it", async () => {
		await tenant('locked')
		await tenant('open')
		expect((await turnIn('locked', 'a1', '/fail 401')).status).toBe('failed')
		const next = await turnIn('locked', 'a2', 'hello')
		expect(next.error?.message).toContain('no usable auth profile')
		expect((await turnIn('open', 'b1', 'hello')).output).toBe('echo: hello')

		const scoped = await admin('/v1/admin/providers?scope=locked')
		expect(scoped.status).toBe(200)
		const view = (await scoped.json()) as { scope: string; profiles: { key: string }[] }
		expect(view.scope).toBe('tenant:locked')
		expect(view.profiles.map((p) => p.key)).toContain('offline||-')
		const shared = (await (await admin('/v1/admin/providers')).json()) as {
			scope: string
			profiles: { key: string }[]
		}
		expect(shared.scope).toBe('shared')
		expect(shared.profiles.map((p) => p.key)).not.toContain('offline||-')

		const enabled = await postJson('/v1/admin/providers/enable', {
			key: 'offline||-',
			scope: 'locked',
		})
		expect(enabled.status).toBe(200)
		expect(
			(await healthBackend(env, tenantScope('locked')).snapshot()).profiles['offline||-'],
		).toBeUndefined()
	})

	it('keeps the platform views and resets to the platform admin', async () => {
		const key = await postJson('/v1/keys', { name: 'ops', role: 'admin' })
		const { secret } = (await key.json()) as { secret: string }
		const asKey = (path: string, init: RequestInit = {}) =>
			admin(path, { ...init, headers: { authorization: `Bearer ${secret}` } })
		expect((await asKey('/v1/admin/providers')).status).toBe(403)
		expect(
			(
				await asKey('/v1/admin/providers/reset', {
					method: 'POST',
					headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
					body: JSON.stringify({ kind: 'breaker', key: 'x|y|z', scope: 'shared' }),
				})
			).status,
		).toBe(403)
		expect((await asKey('/v1/provider-health')).status).toBe(200)
		expect((await admin('/v1/admin/providers?scope=Not_A_Tenant')).status).toBe(400)
	})
})

describe('shared credentials move shared state only on provider evidence', () => {
	const target: ModelTarget = {
		ref: 'claude:claude-sonnet-4-5',
		kind: 'anthropic',
		modelId: 'claude-sonnet-4-5',
		baseURL: undefined,
		officialFor: 'anthropic',
		profiles: [{ id: 'p', secret: 'ANTHROPIC_API_KEY' }],
		contextWindow: 200_000,
		breakerKey: 'anthropic||claude-sonnet-4-5',
	}

	/** A router whose one key resolves as the platform's shared key, or as the tenant's own. */
	function router(reply: () => Reply, owner: SecretOwner = 'shared') {
		const backends = new Map<HealthScope, HealthBackend>()
		const backend = (scope: HealthScope) => {
			let b = backends.get(scope)
			if (!b) {
				b = env.MODEL_HEALTH.getByName(
					`${scope}-${crypto.randomUUID()}`,
				) as unknown as HealthBackend
				backends.set(scope, b)
			}
			return b
		}
		const views = new Map<HealthScope, HealthView>()
		const wire = scriptedFetch(() => reply())
		const r = new ModelRouter({
			env: {},
			credentials: { resolve: async () => ({ ok: true, value: 'sk-ant-key', owner }) },
			urlRules: { httpsOnly: true },
			fetch: wire.fetch,
			logger: silent,
			random: () => 0,
			sleep: async () => {},
			health: (scope) => {
				let v = views.get(scope)
				if (!v) {
					v = new HealthView(backend(scope), silent, 0)
					views.set(scope, v)
				}
				return v
			},
		})
		return { r, backend, exchanges: wire.exchanges }
	}

	const request = (tenantId: string, callTimeoutMs = 120_000): StepRequest => ({
		tenantId,
		system: 'test',
		messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
		tools: [],
		toolChoice: 'auto',
		params: {},
		signal: new AbortController().signal,
		deadline: Date.now() + 60_000,
		callTimeoutMs,
		onDelta: () => {},
		onCall: () => {},
	})

	it("the provider's 500s open the shared breaker for every tenant", async () => {
		const { r, backend, exchanges } = router(() => ({
			status: anthropic.server.status,
			headers: anthropic.server.headers,
			body: anthropic.server.body,
		}))
		await r.step([target], request('a')).catch(() => {})
		await r.step([target], request('a')).catch(() => {})
		expect((await backend('shared').snapshot()).breakers[target.breakerKey]).toMatchObject({
			state: 'open',
		})
		const sent = exchanges.length
		const other = await r.step([target], request('b')).catch((e: Error) => e)
		expect((other as Error).message).toContain('circuit open')
		expect(exchanges.length).toBe(sent)
	})

	it("a failure the tenant's request could cause stays in that tenant's state", async () => {
		// A body that is not the provider's protocol carries no status from the provider.
		const { r, backend } = router(() => ({
			raw: '<html>not a stream</html>',
			contentType: 'text/event-stream',
		}))
		for (let i = 0; i < BREAKER_THRESHOLD; i++) await r.step([target], request('a')).catch(() => {})
		expect((await backend('shared').snapshot()).breakers[target.breakerKey]).toBeUndefined()
		expect((await backend(tenantScope('a')).snapshot()).breakers[target.breakerKey]).toMatchObject({
			state: 'open',
		})
		// A tenant's own short call timeout is its choice, not the provider failing.
		const slow = router(() => 'hang')
		await slow.r.step([target], request('a', 1_000)).catch(() => {})
		expect((await slow.backend('shared').snapshot()).breakers[target.breakerKey]).toBeUndefined()
		expect(
			(await slow.backend(tenantScope('a')).snapshot()).breakers[target.breakerKey]?.failures,
		).toBeGreaterThan(0)
	})

	it("a 401 from the provider disables a shared key for everyone; a tenant's own key only for it", async () => {
		const { r, backend } = router(() => ({
			status: anthropic.unauthorized.status,
			headers: anthropic.unauthorized.headers,
			body: anthropic.unauthorized.body,
		}))
		await r.step([target], request('a')).catch(() => {})
		const key = 'anthropic||ANTHROPIC_API_KEY'
		expect((await backend('shared').snapshot()).profiles[key]?.disabled?.reason).toBe('auth')
		const mine = router(
			() => ({
				status: anthropic.unauthorized.status,
				headers: anthropic.unauthorized.headers,
				body: anthropic.unauthorized.body,
			}),
			'tenant',
		)
		await mine.r.step([target], request('a')).catch(() => {})
		expect((await mine.backend('shared').snapshot()).profiles[key]).toBeUndefined()
		expect((await mine.backend(tenantScope('a')).snapshot()).profiles[key]?.disabled?.reason).toBe(
			'auth',
		)
	})
})
