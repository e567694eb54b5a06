// What an agent config sends out, and where: every secret it names (auth profiles, the default key
// of a built-in provider used without a `providers` entry — by a chat or the embedding model — MCP servers) and every URL it chooses
// (provider base URLs, MCP servers), each with its config path. Saving a config checks both lists
// under the same rules the runtime applies; the posture report reads them too.
import { secretSource } from '../security/secrets'
import { checkUrl, type UrlRules } from '../security/ssrf'
import type { AgentConfig } from './config'
import { officialProvider } from './models/providers'
import { targetOf, targetsFor } from './models/targets'

export interface SecretReference {
	/** Where the config names it, e.g. `providers.x.profiles.0.secret` (relative to the config). */
	path: string
	name: string
	/** The provider whose official endpoint alone receives it (where a shared secret may go). */
	officialFor: string | undefined
	/** The provider (id) or MCP server (`mcp:<id>`) that sends it. */
	via: string
	/** The default key of a built-in provider the config uses without a `providers` entry. */
	implicit?: true
}

export interface UrlReference {
	path: string
	url: string
	via: string
}

export interface FieldIssue {
	path: string
	message: string
}

export function secretReferences(config: AgentConfig): SecretReference[] {
	const out: SecretReference[] = []
	for (const [id, provider] of Object.entries(config.providers)) {
		const officialFor = officialProvider(provider.kind, provider.baseURL)
		provider.profiles.forEach((p, i) => {
			out.push({
				path: `providers.${id}.profiles.${i}.secret`,
				name: p.secret,
				officialFor,
				via: id,
			})
		})
	}
	const modelRefs: [string, ReturnType<typeof targetOf>][] = targetsFor(config).map((target, i) => [
		i === 0 ? 'model.primary' : `model.fallbacks.${i - 1}`,
		target,
	])
	if (config.embedding) {
		modelRefs.push(['embedding.model', targetOf(config, config.embedding.model)])
	}
	for (const [path, target] of modelRefs) {
		const id = target.ref.slice(0, target.ref.indexOf(':'))
		const implicitKey = config.providers[id] ? undefined : target.profiles[0]
		if (implicitKey) {
			out.push({
				path,
				name: implicitKey.secret,
				officialFor: target.officialFor,
				via: id,
				implicit: true,
			})
		}
	}
	config.tools.mcp.forEach((server, i) => {
		if (server.secret) {
			out.push({
				path: `tools.mcp.${i}.secret`,
				name: server.secret,
				officialFor: undefined,
				via: `mcp:${server.id}`,
			})
		}
	})
	return out
}

export function urlReferences(config: AgentConfig): UrlReference[] {
	const out: UrlReference[] = []
	for (const [id, provider] of Object.entries(config.providers)) {
		if (provider.baseURL)
			out.push({ path: `providers.${id}.baseURL`, url: provider.baseURL, via: id })
	}
	config.tools.mcp.forEach((server, i) => {
		out.push({ path: `tools.mcp.${i}.url`, url: server.url, via: `mcp:${server.id}` })
	})
	const beat = config.heartbeat?.delivery
	if (beat?.type === 'webhook') {
		out.push({ path: 'heartbeat.delivery.url', url: beat.url, via: 'heartbeat' })
	}
	return out
}

export interface OutboundFacts {
	/** Names the tenant has stored. */
	tenantSecrets: ReadonlySet<string>
	/** EDGECLAW_SHARED_SECRETS, parsed (name → provider). */
	shared: ReadonlyMap<string, string>
	/** The deployment has a non-empty value under this name. */
	deploymentHas(name: string): boolean
	urlRules: UrlRules
}

/**
 * Why a config may not be saved: each secret it names must be the tenant's own, or a shared
 * deployment secret sent only to its provider's official endpoint; each URL it chooses must pass
 * the SSRF guard for tenant URLs. Paths are relative to the config; empty = fine.
 */
export function outboundIssues(config: AgentConfig, facts: OutboundFacts): FieldIssue[] {
	const issues: FieldIssue[] = []
	for (const ref of secretReferences(config)) {
		const source = secretSource(ref.name, {
			tenantHas: facts.tenantSecrets.has(ref.name),
			officialFor: ref.officialFor,
			shared: facts.shared,
			deploymentHas: facts.deploymentHas(ref.name),
		})
		if (source.ok) continue
		const message = ref.implicit
			? `"${ref.via}:" models use the secret ${ref.name} unless a "providers.${ref.via}" entry names another: ${source.message}`
			: source.message
		issues.push({ path: ref.path, message })
	}
	for (const ref of urlReferences(config)) {
		const checked = checkUrl(ref.url, undefined, facts.urlRules)
		if (!checked.ok) issues.push({ path: ref.path, message: `URL refused: ${checked.message}` })
	}
	return issues
}
