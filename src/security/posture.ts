// Security posture checks (like `openclaw security audit`): risky configuration of a deployment,
// from its environment and its tenants' data. Pure: callers pass what they read.
import { decodeBase64 } from './bytes'
import { secret } from './env'
import {
	ignoredSharedEntries,
	isReservedName,
	keyMaterialProblem,
	secretSource,
	sharedSecrets,
} from './secrets'
import { checkUrl } from './ssrf'

export type Severity = 'high' | 'medium' | 'low'

export interface Finding {
	id: string
	severity: Severity
	message: string
	fix: string
}

export interface PostureInput {
	/** The deployment's environment (its `Env`), read by name. */
	env: object
	/**
	 * Agents with their tool profile, the secrets they name (`officialFor`: the provider whose own
	 * endpoint alone receives it) and the URLs they choose, across the tenants looked at.
	 */
	agents: {
		tenantId: string
		id: string
		toolProfile: string
		secrets?: { path: string; name: string; officialFor: string | undefined }[]
		urls?: { path: string; url: string }[]
	}[]
	/** The secrets those tenants have stored (names). */
	tenantSecrets?: { tenantId: string; name: string }[]
	/** Enabled channels: who may talk to which agent, and the secrets they name. */
	channels?: {
		tenantId: string
		id: string
		kind: string
		/** The channel's agent first, then those its bindings name. */
		agentIds: string[]
		dmPolicy: string
		groupPolicy: string
		requireMention: boolean
		secrets: string[]
	}[]
	keys: {
		tenantId: string
		id: string
		role: string
		expiresAt: Date | null
		revokedAt: Date | null
	}[]
}

const RATE_LIMITS = ['RATE_LIMIT_KEY', 'RATE_LIMIT_TENANT', 'RATE_LIMIT_IP', 'RATE_LIMIT_AUTH_FAIL']

/**
 * How to set a Worker secret, deployed and locally (where `npm run dev` reads `.dev.vars`, and
 * fills in the three it needs: the admin token and the data keys).
 */
const putSecret = (name: string, value: string, devFills = true) =>
	`deployed: \`npx wrangler secret put ${name}\` (${value}); locally: a line ${name}=… in .dev.vars${devFills ? ' (`npm run dev` writes it when missing)' : ''}`

export function assessPosture({
	env,
	agents,
	keys,
	tenantSecrets = [],
	channels = [],
}: PostureInput): Finding[] {
	const out: Finding[] = []
	const str = (k: string) => secret(env, k) ?? ''
	const admin = str('EDGECLAW_ADMIN_TOKEN')
	if (!admin) {
		out.push({
			id: 'admin-token-unset',
			severity: 'high',
			message:
				'EDGECLAW_ADMIN_TOKEN is not set: nobody can administer tenants (every /v1 call with it is 401).',
			fix: putSecret('EDGECLAW_ADMIN_TOKEN', '32+ random characters'),
		})
	} else if (admin.length < 24) {
		out.push({
			id: 'admin-token-weak',
			severity: 'high',
			message: `EDGECLAW_ADMIN_TOKEN is only ${admin.length} characters long.`,
			fix: 'Use at least 32 random characters, e.g. `openssl rand -base64 32`.',
		})
	}
	const cors = str('EDGECLAW_CORS_ORIGINS')
	if (cors.split(',').some((o) => o.trim() === '*')) {
		out.push({
			id: 'cors-wildcard',
			severity: 'medium',
			message:
				'EDGECLAW_CORS_ORIGINS allows any origin; browsers on any site can call the API with a token they hold.',
			fix: 'List the exact origins of your front ends.',
		})
	}
	if (str('EDGECLAW_RATE_LIMITS') === 'disabled') {
		out.push({
			id: 'rate-limits-disabled',
			severity: 'high',
			message:
				'EDGECLAW_RATE_LIMITS is "disabled": no request limits per IP, key or tenant (failed-auth limits still apply).',
			fix: 'Remove the variable; it exists for local benchmarks.',
		})
	}
	for (const name of RATE_LIMITS) {
		const binding = (env as Partial<Record<string, { limit?: unknown }>>)[name]
		if (!binding || typeof binding.limit !== 'function') {
			out.push({
				id: `rate-limit-missing:${name}`,
				severity: 'high',
				message: `The ${name} rate limiting binding is missing: ${name === 'RATE_LIMIT_AUTH_FAIL' ? 'credential guessing is unthrottled' : 'requests are not limited'}.`,
				fix: `Add the [[ratelimits]] binding "${name}" to wrangler.toml.`,
			})
		}
	}
	const auditKey = str('EDGECLAW_AUDIT_KEY').trim()
	const auditKeyBytes = auditKey ? decodeBase64(auditKey) : undefined
	if (!auditKeyBytes || auditKeyBytes.length < 32) {
		out.push({
			id: auditKey ? 'audit-key-invalid' : 'audit-key-unset',
			severity: 'high',
			message: auditKey
				? 'EDGECLAW_AUDIT_KEY is not base64 of 32 bytes: the audit chain is hashed with plain SHA-256 and its checkpoints are not signed.'
				: 'EDGECLAW_AUDIT_KEY is not set: the audit chain is hashed with plain SHA-256 (anyone who can write D1 can recompute it) and its checkpoints are not signed.',
			fix: `${putSecret('EDGECLAW_AUDIT_KEY', '`openssl rand -base64 32`')}; keep the old one as EDGECLAW_AUDIT_KEY_PREVIOUS when rotating.`,
		})
	}
	if (!str('EDGECLAW_KEY_PEPPER')) {
		out.push({
			id: 'key-pepper-unset',
			severity: 'low',
			message:
				'API key hashes are plain SHA-256: a leaked D1 copy can be checked against candidate keys offline.',
			fix: `${putSecret('EDGECLAW_KEY_PEPPER', 'random characters', false)}; keys created afterwards use HMAC-SHA-256.`,
		})
	}
	if ((str('EDGECLAW_JWT_JWKS') || str('EDGECLAW_JWT_JWKS_URL')) && !str('EDGECLAW_JWT_AUDIENCE')) {
		out.push({
			id: 'jwt-no-audience',
			severity: 'medium',
			message:
				'JWTs are accepted without an audience check: a token minted for another application works here.',
			fix: 'Set EDGECLAW_JWT_AUDIENCE (for Cloudflare Access: the application AUD tag).',
		})
	}
	out.push(...keySettings(str), ...outboundSettings(str))
	const stored = new Set(tenantSecrets.map((s) => `${s.tenantId}\u0000${s.name}`))
	const shared = sharedSecrets(str('EDGECLAW_SHARED_SECRETS'))
	for (const a of agents) out.push(...agentOutbound(a, stored, shared, str))
	for (const a of agents.filter((x) => x.toolProfile === 'full')) {
		out.push({
			id: `agent-full-tools:${a.tenantId}/${a.id}`,
			severity: 'medium',
			message: `Agent ${a.tenantId}/${a.id} uses the "full" tool profile: every tool, including exec and web, is open to whoever can message it.`,
			fix: 'Use a narrower profile (minimal, messaging, coding) plus an allow list.',
		})
	}
	out.push(...channelExposure(channels, agents, stored))
	for (const k of keys.filter((x) => !x.revokedAt && x.role === 'admin' && !x.expiresAt)) {
		out.push({
			id: `admin-key-no-expiry:${k.tenantId}/${k.id}`,
			severity: 'low',
			message: `Admin key ${k.id} of tenant ${k.tenantId} never expires.`,
			fix: 'Rotate it into a key with expiresInDays, or revoke it.',
		})
	}
	return out
}

/** (EDGECLAW_AUDIT_KEY has its own check above: what the chain does without it.) */
const KEY_SETTINGS = [
	['EDGECLAW_SECRETS_KEY', 'encrypts tenant secrets: without it no tenant can store one', 'high'],
] as const

/** The data keys: set, and 32 bytes of base64 each. */
function keySettings(str: (k: string) => string): Finding[] {
	const out: Finding[] = []
	for (const [name, role, severity] of KEY_SETTINGS) {
		const problem = keyMaterialProblem(str(name))
		if (problem === undefined) continue
		out.push({
			id: problem === 'unset' ? `${kebab(name)}-unset` : `${kebab(name)}-invalid`,
			severity,
			message:
				problem === 'unset'
					? `${name} is not set; it ${role}.`
					: `${name} is not 32 bytes of base64 (${problem === 'wrong_length' ? 'wrong length' : 'not base64'}); it ${role}.`,
			fix: putSecret(name, '`openssl rand -base64 32`'),
		})
	}
	const previous = str('EDGECLAW_SECRETS_KEY_PREVIOUS')
	if (previous && keyMaterialProblem(previous) !== undefined) {
		out.push({
			id: 'secrets-key-previous-invalid',
			severity: 'medium',
			message:
				'EDGECLAW_SECRETS_KEY_PREVIOUS is set but is not 32 bytes of base64: rows sealed under the old key cannot be opened.',
			fix: 'Set it to the exact previous EDGECLAW_SECRETS_KEY, or delete it once rotation is done.',
		})
	}
	return out
}

/** What tenant configs may reach: shared deployment secrets, loopback. */
function outboundSettings(str: (k: string) => string): Finding[] {
	const out: Finding[] = []
	const reserved = str('EDGECLAW_SHARED_SECRETS')
		.split(',')
		.map((n) => n.trim())
		.filter(isReservedName)
	if (reserved.length > 0) {
		out.push({
			id: 'shared-secrets-reserved',
			severity: 'high',
			message: `EDGECLAW_SHARED_SECRETS names ${reserved.join(', ')}: deployment credentials are never shared with tenants (the names are ignored).`,
			fix: 'Remove every EDGECLAW_* name from EDGECLAW_SHARED_SECRETS.',
		})
	}
	const ignored = ignoredSharedEntries(str('EDGECLAW_SHARED_SECRETS')).filter(
		(e) => !isReservedName(e),
	)
	if (ignored.length > 0) {
		out.push({
			id: 'shared-secrets-ignored',
			severity: 'low',
			message: `EDGECLAW_SHARED_SECRETS entries ${ignored.join(', ')} are ignored: a shared secret must be a built-in default key (ANTHROPIC_API_KEY, OPENAI_API_KEY) or name its provider (NAME:anthropic, NAME:openai).`,
			fix: 'Write each entry as NAME:anthropic or NAME:openai.',
		})
	}
	if (str('EDGECLAW_DEV_ALLOW_LOOPBACK') === '1') {
		out.push({
			id: 'dev-loopback-on',
			severity: 'medium',
			message:
				'EDGECLAW_DEV_ALLOW_LOOPBACK is "1": tenant provider and MCP URLs may reach loopback addresses, over plain http. Local development only.',
			fix: 'Set EDGECLAW_DEV_ALLOW_LOOPBACK = "" in this environment\'s [vars].',
		})
	}
	return out
}

/** An agent that sends a secret where it may not go, or to a URL the guard would refuse. */
function agentOutbound(
	agent: PostureInput['agents'][number],
	stored: ReadonlySet<string>,
	shared: ReadonlyMap<string, string>,
	str: (k: string) => string,
): Finding[] {
	const out: Finding[] = []
	const name = `${agent.tenantId}/${agent.id}`
	for (const ref of agent.secrets ?? []) {
		const source = secretSource(ref.name, {
			tenantHas: stored.has(`${agent.tenantId}\u0000${ref.name}`),
			officialFor: ref.officialFor,
			shared,
			deploymentHas: str(ref.name) !== '',
		})
		if (source.ok || (source.reason !== 'reserved' && source.reason !== 'shared_not_official')) {
			continue
		}
		out.push({
			id: `agent-${source.reason === 'reserved' ? 'reserved-secret' : 'shared-secret-custom-url'}:${name}:${ref.path}`,
			severity: 'high',
			message:
				source.reason === 'reserved'
					? `Agent ${name} names the deployment secret ${ref.name} at ${ref.path}; calls refuse it, but the config predates the rule or bypassed the API.`
					: `Agent ${name} names the shared secret ${ref.name} at ${ref.path} with a custom base URL or an MCP server; calls refuse to send it there.`,
			fix: `Store the tenant's own key (PUT /v1/secrets/${ref.name}) or use the provider's official endpoint, then save the agent again.`,
		})
	}
	for (const ref of agent.urls ?? []) {
		const checked = checkUrl(ref.url, undefined, { httpsOnly: true })
		if (checked.ok) continue
		out.push({
			id: `agent-url-${checked.reason === 'scheme' ? 'not-https' : 'refused'}:${name}:${ref.path}`,
			severity: 'high',
			message: `Agent ${name} sends requests to ${ref.url} (${ref.path}): ${checked.message}.`,
			fix: 'Use a public https endpoint; loopback is for local development only.',
		})
	}
	return out
}

const kebab = (name: string): string =>
	name
		.replace(/^EDGECLAW_/, '')
		.toLowerCase()
		.replaceAll('_', '-')

/**
 * Channels that let strangers reach an agent: open DMs (worse when the agent has the coding or
 * full tools), groups where anyone may address it without a mention, and credentials that are not
 * stored (the channel cannot verify or answer).
 */
function channelExposure(
	channels: NonNullable<PostureInput['channels']>,
	agents: PostureInput['agents'],
	stored: ReadonlySet<string>,
): Finding[] {
	const out: Finding[] = []
	const profile = new Map(agents.map((a) => [`${a.tenantId}/${a.id}`, a.toolProfile]))
	for (const ch of channels) {
		const name = `${ch.tenantId}/${ch.id}`
		// The most powerful agent the channel reaches, its own or one a binding names.
		const powerful = ch.agentIds.find((id) => {
			const tools = profile.get(`${ch.tenantId}/${id}`)
			return tools === 'full' || tools === 'coding'
		})
		const reach = powerful
			? `, reaching agent ${powerful} with the "${profile.get(`${ch.tenantId}/${powerful}`)}" tools`
			: ''
		if (ch.dmPolicy === 'open') {
			out.push({
				id: `channel-open-dm:${name}`,
				severity: powerful ? 'high' : 'medium',
				message: `Channel ${name} (${ch.kind}) lets anyone who finds the bot message its agents${reach}.`,
				fix: 'Set dmPolicy to "pairing" (the default) or "allowlist".',
			})
		}
		if (ch.groupPolicy === 'open' && (!ch.requireMention || powerful)) {
			out.push({
				id: `channel-open-groups:${name}`,
				severity: powerful ? 'medium' : 'low',
				message: ch.requireMention
					? `Channel ${name} answers whoever mentions it in any group it is added to${reach}.`
					: `Channel ${name} answers every message in any group it is added to, mentioned or not${reach}.`,
				fix: 'Set groupPolicy to "allowlist" with the groups you mean.',
			})
		}
		for (const secretName of ch.secrets.filter((n) => !stored.has(`${ch.tenantId}\u0000${n}`))) {
			out.push({
				id: `channel-secret-missing:${name}:${secretName}`,
				severity: 'medium',
				message: `Channel ${name} names the secret ${secretName}, which tenant ${ch.tenantId} has not stored: its webhooks are refused and its replies fail.`,
				fix: `PUT /v1/secrets/${secretName} in tenant ${ch.tenantId}.`,
			})
		}
	}
	return out
}
