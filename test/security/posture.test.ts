// The posture report on secrets and outbound URLs: data keys, the shared list, the loopback flag,
// and agents that name a secret where it may not go or choose a URL the guard refuses — in the
// pure rules and in GET /v1/admin/security over configs that reached D1 without the save check.
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { assessPosture, type PostureInput } from '../../src/security/posture'
import { ADMIN_TOKEN, call } from '../helpers'
import { tenant } from './helpers'

const limiter = { limit: async () => ({ success: true }) }
const CLEAN = {
	EDGECLAW_ADMIN_TOKEN: 'x'.repeat(40),
	EDGECLAW_KEY_PEPPER: 'pepper-pepper',
	EDGECLAW_SECRETS_KEY: btoa('s'.repeat(32)),
	EDGECLAW_AUDIT_KEY: btoa('a'.repeat(32)),
	RATE_LIMIT_KEY: limiter,
	RATE_LIMIT_TENANT: limiter,
	RATE_LIMIT_IP: limiter,
	RATE_LIMIT_AUTH_FAIL: limiter,
}

const ids = (over: Record<string, unknown>, rest: Partial<PostureInput> = {}) =>
	assessPosture({ env: { ...CLEAN, ...over }, agents: [], keys: [], ...rest }).map(
		(f) => `${f.severity}:${f.id}`,
	)

describe('posture: data keys and outbound settings', () => {
	it('is quiet for a clean deployment', () => {
		expect(ids({})).toEqual([])
	})

	it('says how to set a missing secret both deployed and locally', () => {
		const [finding] = assessPosture({
			env: { ...CLEAN, EDGECLAW_AUDIT_KEY: '' },
			agents: [],
			keys: [],
		})
		expect(finding?.fix).toContain('`npx wrangler secret put EDGECLAW_AUDIT_KEY`')
		expect(finding?.fix).toContain('locally: a line EDGECLAW_AUDIT_KEY=… in .dev.vars')
	})

	it('flags EDGECLAW_SECRETS_KEY and EDGECLAW_AUDIT_KEY unset or not 32 bytes', () => {
		expect(ids({ EDGECLAW_SECRETS_KEY: '' })).toEqual(['high:secrets-key-unset'])
		expect(ids({ EDGECLAW_AUDIT_KEY: undefined })).toEqual(['high:audit-key-unset'])
		expect(ids({ EDGECLAW_SECRETS_KEY: btoa('short') })).toEqual(['high:secrets-key-invalid'])
		expect(ids({ EDGECLAW_AUDIT_KEY: 'replace-with-32-random-bytes-base64' })).toEqual([
			'high:audit-key-invalid',
		])
		expect(ids({ EDGECLAW_SECRETS_KEY_PREVIOUS: 'nope' })).toEqual([
			'medium:secrets-key-previous-invalid',
		])
		expect(ids({ EDGECLAW_SECRETS_KEY_PREVIOUS: btoa('p'.repeat(32)) })).toEqual([])
	})

	it('flags EDGECLAW_SHARED_SECRETS naming an EDGECLAW_* secret, and entries it ignores', () => {
		expect(ids({ EDGECLAW_SHARED_SECRETS: 'ANTHROPIC_API_KEY,EDGECLAW_ADMIN_TOKEN' })).toEqual([
			'high:shared-secrets-reserved',
		])
		expect(ids({ EDGECLAW_SHARED_SECRETS: 'ANTHROPIC_API_KEY,TEAM_KEY:anthropic' })).toEqual([])
		expect(ids({ EDGECLAW_SHARED_SECRETS: 'LOOSE_KEY' })).toEqual(['low:shared-secrets-ignored'])
	})

	it('warns while EDGECLAW_DEV_ALLOW_LOOPBACK is on', () => {
		expect(ids({ EDGECLAW_DEV_ALLOW_LOOPBACK: '1' })).toEqual(['medium:dev-loopback-on'])
		expect(ids({ EDGECLAW_DEV_ALLOW_LOOPBACK: '' })).toEqual([])
	})
})

describe('posture: where agents send secrets', () => {
	const agent = (
		secrets: { path: string; name: string; officialFor: string | undefined }[],
		urls: { path: string; url: string }[] = [],
	) => ({ tenantId: 't', id: 'a', toolProfile: 'minimal', secrets, urls })
	const shared = { EDGECLAW_SHARED_SECRETS: 'ANTHROPIC_API_KEY', ANTHROPIC_API_KEY: 'sk-ant-x' }
	const path = 'providers.x.profiles.0.secret'

	it('flags a shared secret with a custom base URL, unless the tenant holds its own', () => {
		const custom = agent([{ path, name: 'ANTHROPIC_API_KEY', officialFor: undefined }])
		expect(ids(shared, { agents: [custom] })).toEqual([
			`high:agent-shared-secret-custom-url:t/a:${path}`,
		])
		expect(
			ids(shared, {
				agents: [custom],
				tenantSecrets: [{ tenantId: 't', name: 'ANTHROPIC_API_KEY' }],
			}),
		).toEqual([])
		const official = agent([{ path, name: 'ANTHROPIC_API_KEY', officialFor: 'anthropic' }])
		expect(ids(shared, { agents: [official] })).toEqual([])
	})

	it('flags an agent naming an EDGECLAW_* secret', () => {
		const bad = agent([{ path, name: 'EDGECLAW_ADMIN_TOKEN', officialFor: undefined }])
		expect(ids({}, { agents: [bad] })).toEqual([`high:agent-reserved-secret:t/a:${path}`])
	})

	it('flags any tenant URL that is not https, or that the guard refuses', () => {
		const urls = [
			{ path: 'providers.x.baseURL', url: 'http://llm.example.com/v1' },
			{ path: 'tools.mcp.0.url', url: 'https://169.254.169.254/mcp' },
			{ path: 'providers.y.baseURL', url: 'http://127.0.0.1:8080/v1' },
			{ path: 'providers.z.baseURL', url: 'https://llm.example.com/v1' },
		]
		expect(ids({}, { agents: [agent([], urls)] })).toEqual([
			'high:agent-url-not-https:t/a:providers.x.baseURL',
			'high:agent-url-refused:t/a:tools.mcp.0.url',
			'high:agent-url-refused:t/a:providers.y.baseURL',
		])
	})
})

describe('GET /v1/admin/security', () => {
	it('reports an agent that reached D1 naming the admin token at a metadata address', async () => {
		await tenant('posture-t')
		const config = {
			model: { primary: 'x:gpt' },
			providers: {
				x: {
					kind: 'openai-compatible',
					baseURL: 'http://169.254.169.254/v1',
					profiles: [{ id: 'p', secret: 'EDGECLAW_ADMIN_TOKEN' }],
				},
			},
		}
		await env.DB.prepare(
			"INSERT INTO agents (tenant_id, id, name, config) VALUES ('posture-t', 'exfil', 'exfil', ?)",
		)
			.bind(JSON.stringify(config))
			.run()
		const res = await call('/v1/admin/security', {
			headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-edgeclaw-tenant': 'posture-t' },
		})
		const body = (await res.json()) as { ok: boolean; findings: { id: string; severity: string }[] }
		expect(body.ok).toBe(false)
		expect(body.findings.map((f) => f.id)).toEqual(
			expect.arrayContaining([
				'agent-reserved-secret:posture-t/exfil:providers.x.profiles.0.secret',
				'agent-url-refused:posture-t/exfil:providers.x.baseURL',
			]),
		)
		expect(JSON.stringify(body)).not.toContain(ADMIN_TOKEN)
	})
})

describe('posture: channels', () => {
	const channel = (over: Record<string, unknown> = {}) => ({
		tenantId: 't1',
		id: 'tg',
		kind: 'telegram',
		agentIds: ['main'],
		dmPolicy: 'pairing',
		groupPolicy: 'allowlist',
		requireMention: true,
		secrets: ['TG_TOKEN'],
		...over,
	})
	const stored = [{ tenantId: 't1', name: 'TG_TOKEN' }]
	const agent = (toolProfile: string) => [{ tenantId: 't1', id: 'main', toolProfile }]

	it('is quiet for a paired channel whose secrets are stored', () => {
		expect(
			ids({}, { channels: [channel()], tenantSecrets: stored, agents: agent('minimal') }),
		).toEqual([])
	})

	it('flags open DMs, worse when the agent has powerful tools', () => {
		const open = [channel({ dmPolicy: 'open' })]
		expect(ids({}, { channels: open, tenantSecrets: stored, agents: agent('minimal') })).toEqual([
			'medium:channel-open-dm:t1/tg',
		])
		expect(ids({}, { channels: open, tenantSecrets: stored, agents: agent('coding') })).toEqual([
			'high:channel-open-dm:t1/tg',
		])
	})

	it('rates a channel by the most powerful agent its bindings reach', () => {
		const bound = [channel({ dmPolicy: 'open', agentIds: ['main', 'coder'] })]
		const agents = [...agent('minimal'), { tenantId: 't1', id: 'coder', toolProfile: 'coding' }]
		expect(ids({}, { channels: bound, tenantSecrets: stored, agents })).toEqual([
			'high:channel-open-dm:t1/tg',
		])
		const groups = [channel({ groupPolicy: 'open', agentIds: ['coder'] })]
		expect(ids({}, { channels: groups, tenantSecrets: stored, agents })).toEqual([
			'medium:channel-open-groups:t1/tg',
		])
	})

	it('flags groups answered without a mention, and secrets the tenant has not stored', () => {
		const loud = [
			channel({ groupPolicy: 'open', requireMention: false, secrets: ['TG_TOKEN', 'GONE'] }),
		]
		expect(ids({}, { channels: loud, tenantSecrets: stored, agents: agent('minimal') })).toEqual([
			'low:channel-open-groups:t1/tg',
			'medium:channel-secret-missing:t1/tg:GONE',
		])
	})
})
