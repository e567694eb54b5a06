// Embeddings of an agent's embedding model (`/v1/embeddings`): its ref resolves to a target as a
// chat model's does (provider entry or built-in kind, auth profiles by secret name), each
// profile's key is resolved for the tenant under the one credential rule, and every provider
// request leaves through the SSRF-guarded fetch. One attempt per request: no failover, breaker or
// cooldown (an embedding names one model; the client retries), and the first profile whose key
// resolves is the one used.
import type { ModelCallRecord } from '../../observability/usage'
import type { Credentials } from '../../security/credentials'
import { guardedFetch, OutboundRefused } from '../../security/outbound'
import { checkUrl, type UrlRules } from '../../security/ssrf'
import type { AgentConfig, EmbeddingConfig } from '../config'
import { embedMany } from './embed-many'
import { classify, ModelError } from './errors'
import { type ModelBindings, PROVIDERS } from './providers'
import { type AuthProfileRef, type ModelTarget, targetOf } from './targets'

export interface EmbedDeps {
	env: ModelBindings
	credentials: Credentials
	urlRules: UrlRules
	/** The fetch providers use (tests replace the network here); wrapped in the SSRF guard. */
	fetch?: typeof fetch
	now?: () => number
}

export interface EmbedRequest {
	tenantId: string
	config: AgentConfig & { embedding: EmbeddingConfig }
	values: string[]
	dimensions: number | undefined
	signal?: AbortSignal
}

export type EmbedOutcome =
	| { ok: true; embeddings: number[][]; tokens: number; call: ModelCallRecord }
	/** `call`: the provider call that failed, when one was made (it is accounted too). */
	| { ok: false; error: ModelError; call?: ModelCallRecord }

/** Whether the kind of the agent's embedding model takes a requested vector length. */
export function takesDimensions(config: AgentConfig & { embedding: EmbeddingConfig }): boolean {
	return PROVIDERS[targetOf(config, config.embedding.model).kind].embedDimensions === true
}

/** Tokens when the provider reports none (Workers AI): 4 characters per token, one at least. */
const estimateTokens = (values: readonly string[]): number =>
	values.reduce((n, text) => n + Math.max(1, Math.ceil(text.length / 4)), 0)

/** The first profile whose key resolves for the tenant (none needed: no key). */
async function keyFor(
	deps: EmbedDeps,
	target: ModelTarget,
	tenantId: string,
): Promise<{ apiKey?: string; profile?: AuthProfileRef }> {
	if (target.baseURL !== undefined) {
		const checked = checkUrl(target.baseURL, undefined, deps.urlRules)
		if (!checked.ok) {
			throw new ModelError('provider_not_configured', `base URL refused: ${checked.message}`)
		}
	}
	if (target.profiles.length === 0) return {}
	const refused: string[] = []
	for (const profile of target.profiles) {
		const credential = await deps.credentials.resolve({
			tenantId,
			name: profile.secret,
			officialFor: target.officialFor,
		})
		if (credential.ok) return { apiKey: credential.value, profile }
		refused.push(`[${profile.id}] ${credential.message}`)
	}
	throw new ModelError('provider_not_configured', refused.join('; '))
}

/** Embeds `values` with the agent's embedding model, in order. */
export async function embedTexts(deps: EmbedDeps, req: EmbedRequest): Promise<EmbedOutcome> {
	const now = deps.now ?? Date.now
	const target = targetOf(req.config, req.config.embedding.model)
	const spec = PROVIDERS[target.kind]
	let key: { apiKey?: string; profile?: AuthProfileRef }
	try {
		if (!spec.embed) {
			throw new ModelError('provider_not_configured', `${target.kind} serves no embedding models`)
		}
		key = await keyFor(deps, target, req.tenantId)
	} catch (error) {
		return { ok: false, error: asModelError(error) }
	}
	const outbound = deps.fetch ?? ((input, init) => fetch(input, init))
	const startedAt = now()
	const record = (outcome: string, inputTokens: number, status?: number): ModelCallRecord => ({
		model: target.ref,
		...(key.profile && { profile: key.profile.id }),
		inputTokens,
		outputTokens: 0,
		startedAt,
		latencyMs: now() - startedAt,
		outcome,
		...(status !== undefined && { status }),
	})
	try {
		const model = await spec.embed({
			ref: target.ref,
			modelId: target.modelId,
			baseURL: target.baseURL,
			apiKey: key.apiKey,
			env: deps.env,
			fetch: guardedFetch(outbound, (url) => checkUrl(url, undefined, deps.urlRules)),
		})
		const result = await embedMany({
			model,
			values: req.values,
			...(req.dimensions !== undefined && { dimensions: req.dimensions }),
			...(req.signal && { abortSignal: req.signal }),
		})
		const reported = result.tokens
		const tokens = Number.isFinite(reported) && reported > 0 ? reported : estimateTokens(req.values)
		return { ok: true, embeddings: result.embeddings, tokens, call: record('ok', tokens) }
	} catch (error) {
		if (error instanceof ModelError && error.code === 'provider_not_configured') {
			return { ok: false, error }
		}
		// A URL the guard refuses is configuration, not the provider failing.
		if (error instanceof OutboundRefused) {
			const message = `${target.ref}: provider URL ${error.message}`
			return { ok: false, error: new ModelError('provider_not_configured', message) }
		}
		const failure = classify(error)
		return {
			ok: false,
			error: new ModelError('embedding_failed', `${target.ref}: ${failure.message}`, {
				...(failure.status !== undefined && { status: failure.status }),
				cause: error,
			}),
			call: record(failure.kind, 0, failure.status),
		}
	}
}

function asModelError(error: unknown): ModelError {
	if (error instanceof ModelError) return error
	return new ModelError('provider_not_configured', String(error), { cause: error })
}
