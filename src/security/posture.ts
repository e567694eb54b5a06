// Security posture checks (like `openclaw security audit`): risky configuration of a deployment,
// from its environment and its tenants' data. Pure: callers pass what they read.
import { decodeBase64 } from './audit-key'

export type Severity = 'high' | 'medium' | 'low'

export interface Finding {
	id: string
	severity: Severity
	message: string
	fix: string
}

export interface PostureInput {
	env: Record<string, unknown>
	/** Agents with their tool profile, across the tenants looked at. */
	agents: { tenantId: string; id: string; toolProfile: string }[]
	keys: {
		tenantId: string
		id: string
		role: string
		expiresAt: Date | null
		revokedAt: Date | null
	}[]
}

const RATE_LIMITS = ['RATE_LIMIT_KEY', 'RATE_LIMIT_TENANT', 'RATE_LIMIT_IP', 'RATE_LIMIT_AUTH_FAIL']

export function assessPosture({ env, agents, keys }: PostureInput): Finding[] {
	const out: Finding[] = []
	const str = (k: string) => (typeof env[k] === 'string' ? (env[k] as string) : '')
	const admin = str('EDGECLAW_ADMIN_TOKEN')
	if (!admin) {
		out.push({
			id: 'admin-token-unset',
			severity: 'high',
			message:
				'EDGECLAW_ADMIN_TOKEN is not set: nobody can administer tenants (every /v1 call with it is 401).',
			fix: 'wrangler secret put EDGECLAW_ADMIN_TOKEN (32+ random characters)',
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
		const binding = env[name] as { limit?: unknown } | undefined
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
			fix: 'wrangler secret put EDGECLAW_AUDIT_KEY (`openssl rand -base64 32`); keep the old one as EDGECLAW_AUDIT_KEY_PREVIOUS when rotating.',
		})
	}
	if (!str('EDGECLAW_KEY_PEPPER')) {
		out.push({
			id: 'key-pepper-unset',
			severity: 'low',
			message:
				'API key hashes are plain SHA-256: a leaked D1 copy can be checked against candidate keys offline.',
			fix: 'wrangler secret put EDGECLAW_KEY_PEPPER (keys created afterwards use HMAC-SHA-256).',
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
	for (const a of agents.filter((x) => x.toolProfile === 'full')) {
		out.push({
			id: `agent-full-tools:${a.tenantId}/${a.id}`,
			severity: 'medium',
			message: `Agent ${a.tenantId}/${a.id} uses the "full" tool profile: every tool, including exec and web, is open to whoever can message it.`,
			fix: 'Use a narrower profile (minimal, messaging, coding) plus an allow list.',
		})
	}
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
