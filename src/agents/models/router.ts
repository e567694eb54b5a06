// One model step with failover, as OpenClaw does it: the agent's models in order (primary, then
// fallbacks); per model its auth profiles round-robin, skipping keys in cooldown or disabled;
// retries with exponential backoff and full jitter inside the run's deadline; a circuit breaker
// per provider+model that skips a failing endpoint and lets one probe through half-open. The
// prompt is checked against each model's context window first: no call is sent that must fail.
// Each call resolves its profile's secret for the run's tenant (the tenant's own, or a shared one
// toward an official endpoint) and leaves through the SSRF-guarded fetch. Health is kept per owner
// of the credential used (see health.ts): a tenant's own keys in the tenant's state; the
// deployment's shared keys in shared state, which only provider-side evidence moves — anything a
// tenant's request could cause lands in that tenant's state instead.
import type { LanguageModelV4 } from '@ai-sdk/provider'
import type { Logger } from '../../observability/logger'
import { traceIdOf } from '../../observability/trace'
import type { Credentials } from '../../security/credentials'
import { guardedFetch, OutboundRefused } from '../../security/outbound'
import type { SecretOwner } from '../../security/secrets'
import { checkUrl, type UrlRules } from '../../security/ssrf'
import {
	BREAKER,
	COOLDOWN,
	classify,
	DISABLE,
	type Failure,
	ModelError,
	RETRY_SAME_MODEL,
} from './errors'
import {
	breakerGate,
	type HealthReport,
	type HealthScope,
	type HealthView,
	profileAvailable,
	tenantScope,
} from './health'
import { type ModelBindings, PROVIDERS } from './providers'
import { sleep } from './sleep'
import { callModel, type StepOutput, type StepRequest, StreamInterrupted } from './step'
import { type AuthProfileRef, type ModelTarget, profileKey } from './targets'

/** Attempts at one model (across its profiles) before moving to the next. */
export const MAX_TRIES_PER_MODEL = 3
export const BACKOFF_BASE_MS = 500
export const BACKOFF_CAP_MS = 8_000
/** Output tokens reserved in the context-window check when the agent sets no maxOutputTokens. */
export const DEFAULT_OUTPUT_RESERVE = 4_096
/**
 * A timeout counts against a shared credential only when the call waited at least this long: an
 * agent's own short `modelCallTimeoutMs` is the tenant's choice, not the provider failing.
 */
const SHARED_TIMEOUT_EVIDENCE_MS = 60_000
const MAX_CACHED_MODELS = 32

export interface RouterDeps {
	env: ModelBindings
	/** The fetch providers use (tests replace the network here); wrapped in the SSRF guard. */
	fetch?: typeof fetch
	/** Resolves the secret a profile names, for the run's tenant. */
	credentials: Credentials
	/** The SSRF rules every provider request passes (tenant URLs: https, public; see ssrf.ts). */
	urlRules: UrlRules
	/** The isolate's view of one health scope. */
	health: (scope: HealthScope) => HealthView
	logger: Logger
	random?: () => number
	sleep?: (ms: number, signal: AbortSignal) => Promise<void>
}

/** Rough prompt size in tokens (4 characters per token), system, messages and tool schemas. */
function estimatePromptTokens(req: Pick<StepRequest, 'system' | 'messages' | 'tools'>): number {
	let chars = req.system.length
	for (const m of req.messages) {
		if (m.role === 'system') chars += m.content.length
		else
			for (const p of m.content) {
				if (p.type === 'text') chars += p.text.length
				else if (p.type === 'tool-call') chars += JSON.stringify(p.input ?? null).length + 32
				else if (p.type === 'tool-result') chars += JSON.stringify(p.output).length + 32
			}
		chars += 8
	}
	if (req.tools.length > 0) chars += JSON.stringify(req.tools).length
	return Math.ceil(chars / 4)
}

export class ModelRouter {
	readonly #deps: RouterDeps
	readonly #cursor = new Map<string, number>()
	readonly #fetch: typeof fetch
	/**
	 * Models by target and the key they were built with: a tenant's key can change at any time (a
	 * new key builds a new model), and building one per call costs more than the call's routing.
	 */
	readonly #models = new Map<string, LanguageModelV4>()

	constructor(deps: RouterDeps) {
		this.#deps = deps
		const outbound = deps.fetch ?? ((input, init) => fetch(input, init))
		this.#fetch = guardedFetch(outbound, (url) => checkUrl(url, undefined, deps.urlRules))
	}

	async step(targets: readonly ModelTarget[], req: StepRequest): Promise<StepOutput> {
		const own = this.#deps.health(tenantScope(req.tenantId))
		const shared = this.#deps.health('shared')
		const notes: string[] = []
		let last: Failure | undefined
		let fits = 0
		const promptTokens = estimatePromptTokens(req)
		const reserve = req.params.maxOutputTokens ?? DEFAULT_OUTPUT_RESERVE
		for (const target of targets) {
			if (promptTokens + reserve > target.contextWindow) {
				notes.push(
					`${target.ref}: prompt of ~${promptTokens} tokens + ${reserve} output does not fit its ${target.contextWindow}-token window`,
				)
				continue
			}
			fits++
			const gate = await this.#breakerGate(target, own)
			if (gate !== 'call') {
				notes.push(`${target.ref}: ${gate}`)
				continue
			}
			const spent = new Set<string>()
			for (let tries = 1; tries <= MAX_TRIES_PER_MODEL; tries++) {
				const profile = await this.#pick(target, spent, own)
				if (profile === null) {
					notes.push(`${target.ref}: no usable auth profile (all cooling down, disabled or unset)`)
					break
				}
				const key = profileKey(target, profile)
				const started = Date.now()
				// Whose credential this call uses: the tenant's own secret, or a shared deployment one.
				let owner: SecretOwner | undefined
				try {
					const credential = await this.#credential(target, profile, req.tenantId)
					owner = credential.owner
					if (isShared(target, owner)) {
						// A shared key cooling down or disabled, or its breaker open, is so for every tenant.
						if (!profileAvailable((await shared.current()).profiles[key], Date.now())) {
							notes.push(`${target.ref}: shared key cooling down or disabled`)
							spent.add(key)
							continue
						}
						const sharedGate = await this.#breakerGate(target, shared)
						if (sharedGate !== 'call') {
							notes.push(`${target.ref}: ${sharedGate} (shared)`)
							break
						}
					}
					const model = await this.#model(target, credential.apiKey)
					const options = req.purpose && PROVIDERS[target.kind].options?.(req.purpose)
					const out = await callModel(model, target.ref, req, options)
					req.onCall({
						model: target.ref,
						...(profile ? { profile: profile.id } : {}),
						inputTokens: out.usage.inputTokens,
						outputTokens: out.usage.outputTokens,
						startedAt: started,
						latencyMs: Date.now() - started,
						outcome: 'ok',
						failover: last !== undefined,
					})
					const ok: HealthReport[] = [
						{ kind: 'profile', key, outcome: 'ok' },
						{ kind: 'breaker', key: target.breakerKey, outcome: 'ok' },
					]
					const views = isShared(target, owner) ? [own, shared] : [own]
					await Promise.all(views.map((view) => view.report(ok)))
					return out
				} catch (error) {
					if (req.signal.aborted) throw req.signal.reason ?? error
					// A key that is not the tenant's to use, or a URL the guard refuses: configuration, so
					// no retry and no health report.
					if (error instanceof OutboundRefused) {
						notes.push(`${target.ref}: provider URL ${error.message}`)
						spent.add(key)
						continue
					}
					if (error instanceof ModelError && error.code === 'provider_not_configured') {
						notes.push(`${target.ref}: ${error.message}`)
						spent.add(key)
						continue
					}
					const interrupted = error instanceof StreamInterrupted
					const failure = classify(interrupted ? error.cause : error)
					req.onCall({
						model: target.ref,
						...(profile ? { profile: profile.id } : {}),
						inputTokens: 0,
						outputTokens: 0,
						startedAt: started,
						latencyMs: Date.now() - started,
						outcome: failure.kind,
						failover: last !== undefined,
						...(failure.status ? { status: failure.status } : {}),
					})
					last = failure
					const scoped =
						isShared(target, owner) && providerEvidence(failure, req.callTimeoutMs) ? shared : own
					await scoped.report(reports(target, key, failure))
					const label = `${target.ref}${profile ? ` [${profile.id}]` : ''}: ${failure.kind}${failure.status ? ` ${failure.status}` : ''} (${failure.message})`
					notes.push(label)
					this.#deps.logger.warn('models.call_failed', {
						model: target.ref,
						profile: profile?.id,
						kind: failure.kind,
						status: failure.status,
						error: failure.message,
						owner,
						traceId: traceIdOf(req.traceparent),
					})
					if (interrupted) {
						throw new ModelError(
							'provider_stream_interrupted',
							`The model's stream broke off after it had started answering: ${label}`,
							{ ...(failure.status ? { status: failure.status } : {}), cause: error },
						)
					}
					if (!RETRY_SAME_MODEL.has(failure.kind)) break
					// This failure may have opened the breaker: then stop calling the model at once.
					const after = await scoped.current()
					if (breakerGate(after.breakers[target.breakerKey], Date.now()) !== 'call') {
						notes.push(`${target.ref}: circuit opened`)
						break
					}
					if (COOLDOWN.has(failure.kind) || DISABLE.has(failure.kind)) {
						spent.add(key)
						continue
					}
					const wait = this.#backoff(tries, failure.retryAfterMs)
					if (tries === MAX_TRIES_PER_MODEL) break
					if (Date.now() + wait >= req.deadline) {
						notes.push(`${target.ref}: no time left before the run's deadline to retry`)
						break
					}
					await (this.#deps.sleep ?? sleep)(wait, req.signal)
				}
			}
		}
		if (fits === 0) {
			throw new ModelError(
				'context_overflow',
				`The prompt does not fit any of the agent's models: ${notes.join('; ')}`,
			)
		}
		throw new ModelError('models_exhausted', `Every model failed: ${notes.join('; ')}`, {
			...(last?.status ? { status: last.status } : {}),
		})
	}

	/** What one scope's breaker says; a half-open one lets this caller through only if it wins the probe. */
	async #breakerGate(
		target: ModelTarget,
		view: HealthView,
	): Promise<'call' | 'circuit open' | 'circuit half-open, another caller is probing'> {
		const gate = breakerGate((await view.current()).breakers[target.breakerKey], Date.now())
		if (gate === 'skip') return 'circuit open'
		if (gate === 'probe' && !(await view.probe(target.breakerKey))) {
			return 'circuit half-open, another caller is probing'
		}
		return 'call'
	}

	/**
	 * Next usable profile round-robin, by the tenant's own state (a shared key's shared state is
	 * checked once the key is resolved); `undefined` = the target needs none; null = none usable.
	 */
	async #pick(
		target: ModelTarget,
		spent: Set<string>,
		own: HealthView,
	): Promise<AuthProfileRef | undefined | null> {
		const snapshot = await own.current()
		const now = Date.now()
		const candidates: (AuthProfileRef | undefined)[] =
			target.profiles.length > 0 ? target.profiles : [undefined]
		const cursorKey = `${target.kind}|${target.baseURL ?? ''}|${target.profiles.map((p) => p.id).join(',')}`
		const start = this.#cursor.get(cursorKey) ?? 0
		for (let i = 0; i < candidates.length; i++) {
			const index = (start + i) % candidates.length
			const profile = candidates[index]
			const key = profileKey(target, profile)
			if (spent.has(key) || !profileAvailable(snapshot.profiles[key], now)) continue
			this.#cursor.set(cursorKey, index + 1)
			return profile
		}
		return null
	}

	#backoff(tries: number, retryAfterMs: number | undefined): number {
		const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (tries - 1))
		const jittered = Math.floor((this.#deps.random ?? Math.random)() * ceiling)
		return Math.max(jittered, Math.min(retryAfterMs ?? 0, BACKOFF_CAP_MS))
	}

	/** The key a profile names, resolved for the tenant; provider_not_configured when refused. */
	async #credential(
		target: ModelTarget,
		profile: AuthProfileRef | undefined,
		tenantId: string,
	): Promise<{ apiKey?: string; owner?: SecretOwner }> {
		if (target.baseURL !== undefined) {
			const checked = checkUrl(target.baseURL, undefined, this.#deps.urlRules)
			if (!checked.ok) {
				throw new ModelError('provider_not_configured', `base URL refused: ${checked.message}`)
			}
		}
		if (!profile) return {}
		const credential = await this.#deps.credentials.resolve({
			tenantId,
			name: profile.secret,
			officialFor: target.officialFor,
		})
		if (!credential.ok) {
			throw new ModelError('provider_not_configured', `[${profile.id}] ${credential.message}`)
		}
		return { apiKey: credential.value, owner: credential.owner }
	}

	async #model(target: ModelTarget, apiKey: string | undefined): Promise<LanguageModelV4> {
		const key = `${target.kind}|${target.baseURL ?? ''}|${target.modelId}|${apiKey ?? ''}`
		let model = this.#models.get(key)
		if (!model) {
			// One lane's router sees a handful of models; a bound keeps rotated keys from piling up.
			if (this.#models.size >= MAX_CACHED_MODELS) this.#models.clear()
			model = await PROVIDERS[target.kind].create({
				ref: target.ref,
				modelId: target.modelId,
				baseURL: target.baseURL,
				apiKey,
				env: this.#deps.env,
				fetch: this.#fetch,
			})
			this.#models.set(key, model)
		}
		return model
	}
}

/**
 * Whether a call used a credential the deployment shares with every tenant: a shared deployment
 * secret, or (no key at all) what the provider spends of the deployment's (the Workers AI binding).
 */
const isShared = (target: ModelTarget, owner: SecretOwner | undefined): boolean =>
	owner === 'shared' || (owner === undefined && PROVIDERS[target.kind].sharedWithoutKey === true)

/**
 * Evidence from the provider itself: an HTTP status it sent, or no answer within a timeout long
 * enough that the tenant's own settings did not cause it. Only such failures move shared state.
 */
function providerEvidence(failure: Failure, callTimeoutMs: number): boolean {
	if (failure.status !== undefined) return true
	return failure.kind === 'timeout' && callTimeoutMs >= SHARED_TIMEOUT_EVIDENCE_MS
}

function reports(target: ModelTarget, key: string, failure: Failure): HealthReport[] {
	const out: HealthReport[] = []
	if (COOLDOWN.has(failure.kind) || DISABLE.has(failure.kind)) {
		out.push({
			kind: 'profile',
			key,
			outcome: failure.kind,
			message: failure.message,
			...(failure.retryAfterMs ? { retryAfterMs: failure.retryAfterMs } : {}),
		})
	}
	if (BREAKER.has(failure.kind))
		out.push({ kind: 'breaker', key: target.breakerKey, outcome: 'failure' })
	return out
}
