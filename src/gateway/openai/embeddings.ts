// POST /v1/embeddings: OpenAI's Embeddings API over an agent's embedding model (`embedding` in its
// config). The model names the agent as in chat completions; no session or run is involved. The
// call is held to the tenant's daily token budget first, and its tokens are accounted like a run's
// model calls: a `model_call` metric point (purpose `embedding`) and the D1 day totals.
import { createRoute } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AgentConfig, EmbeddingConfig } from '../../agents/config'
import { resolveAgent } from '../../agents/lookup'
import { embedTexts, takesDimensions } from '../../agents/models/embeddings'
import type { ModelError } from '../../agents/models/errors'
import type { AgentSnapshot } from '../../agents/runner'
import { database } from '../../db/client'
import { credentialsFromEnv } from '../../db/credentials'
import { tenantLimits } from '../../db/tenants'
import { addUsage, utcDay } from '../../db/usage'
import { type ModelCallRecord, modelCallMetric } from '../../observability/usage'
import { tenantUrlRules } from '../../security/ssrf'
import { waitUntil } from '../audit'
import { authorizeRule } from '../authz'
import type { GatewayEnv } from '../context'
import { checkTenantBudget } from '../lane/client'
import { jsonBody } from '../middleware/body'
import { bearerAuth, createRouter } from '../openapi'
import { ProblemError } from '../problem'
import {
	EmbeddingList,
	type EmbeddingList as EmbeddingListBody,
	EmbeddingRequest,
	embeddingErrors,
	MAX_EMBEDDING_INPUT_CHARS,
	MAX_EMBEDDING_INPUTS,
} from './embedding-schemas'
import { badParam, modelNotFound, unsupported } from './errors'
import { agentIdOf } from './names'
import { openAIErrors } from './schemas'

const create = createRoute({
	method: 'post',
	path: '/v1/embeddings',
	tags: ['openai'],
	security: bearerAuth,
	summary: "Embeddings (OpenAI-compatible): vectors from an agent's embedding model",
	description: `\`model\` is \`edgeclaw/<agentId>\` (or \`<agentId>\`) of an agent whose config names an embedding model (\`embedding.model\`); another agent is 400. \`input\` is a text or up to ${MAX_EMBEDDING_INPUTS} texts of at most ${MAX_EMBEDDING_INPUT_CHARS} characters; token arrays are refused. \`encoding_format: "base64"\` answers each vector as base64 of little-endian float32s. The tokens count toward the tenant's daily budget. Errors use OpenAI's shape. See docs/openai.md.`,
	middleware: [jsonBody()] as const,
	request: {
		body: { required: true, content: { 'application/json': { schema: EmbeddingRequest } } },
	},
	responses: {
		200: {
			description: 'One embedding per input, in input order',
			content: { 'application/json': { schema: EmbeddingList } },
		},
		...openAIErrors,
		...embeddingErrors,
	},
})

/** The texts of `input`, or a 400 naming what is wrong with it. */
export function textsOf(input: EmbeddingRequest['input']): string[] {
	const items = typeof input === 'string' ? [input] : input
	const paramOf = (i: number) => (typeof input === 'string' ? 'input' : `input.${i}`)
	if (items.length === 0)
		throw badParam('input', '`input` must hold at least one text.', 'empty_input')
	if (items.length > MAX_EMBEDDING_INPUTS) {
		throw badParam(
			'input',
			`\`input\` holds ${items.length} texts; at most ${MAX_EMBEDDING_INPUTS} are allowed per request.`,
			'too_many_inputs',
		)
	}
	return items.map((item, i) => {
		if (typeof item !== 'string') {
			throw unsupported(
				'input',
				"Token arrays are not supported: send `input` as text (a string or an array of strings); the agent's embedding model tokenizes it.",
				'unsupported_value',
			)
		}
		if (item.length === 0)
			throw badParam(paramOf(i), 'An input text must not be empty.', 'empty_input')
		if (item.length > MAX_EMBEDDING_INPUT_CHARS) {
			throw badParam(
				paramOf(i),
				`An input text has ${item.length} characters; at most ${MAX_EMBEDDING_INPUT_CHARS} are allowed.`,
				'input_too_long',
			)
		}
		return item
	})
}

/** Little-endian float32 bytes of a vector, base64: what OpenAI's `encoding_format: "base64"` is. */
export function float32Base64(vector: readonly number[]): string {
	const bytes = new Uint8Array(vector.length * 4)
	const view = new DataView(bytes.buffer)
	vector.forEach((v, i) => {
		view.setFloat32(i * 4, v, true)
	})
	let binary = ''
	for (let i = 0; i < bytes.length; i += 0x8000) {
		binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
	}
	return btoa(binary)
}

type EmbeddingAgent = AgentSnapshot & { config: AgentConfig & { embedding: EmbeddingConfig } }

const hasEmbedding = (agent: AgentSnapshot): agent is EmbeddingAgent =>
	agent.config.embedding !== undefined

/** Accounts one provider call: its metric point now, its tokens to the D1 day totals. */
function account(c: Context<GatewayEnv>, agent: EmbeddingAgent, call: ModelCallRecord): void {
	const record: ModelCallRecord = { ...call, purpose: 'embedding' }
	c.get('metrics').write(modelCallMetric(agent, record, c.get('trace')?.traceId))
	const write = addUsage(database(c.env.DB), [
		{
			tenantId: agent.tenantId,
			day: utcDay(call.startedAt ?? Date.now()),
			agentId: agent.id,
			model: call.model,
			calls: 1,
			errors: call.outcome === 'ok' ? 0 : 1,
			inputTokens: call.inputTokens,
			outputTokens: 0,
			latencyMs: call.latencyMs,
		},
	]).catch((error: unknown) => c.get('logger').error('usage.write_failed', { error }))
	waitUntil(c, write)
}

/** The problem of a call that gave no embeddings. */
function embeddingFailure(error: ModelError): ProblemError {
	if (error.code === 'provider_not_configured') {
		return new ProblemError(
			'model_unavailable',
			`The agent's embedding model cannot be called here: ${error.message.slice(0, 1_000)}`,
			{ extensions: { reason: 'provider_not_configured' } },
		)
	}
	// The provider refused this request as such (e.g. a length its model cannot give): the client's.
	if (error.status === 400 || error.status === 404 || error.status === 422) {
		return new ProblemError(
			'bad_request',
			`The embedding model refused the request: ${error.message.slice(0, 1_000)}`,
			{ extensions: { reason: 'provider_rejected' } },
		)
	}
	return new ProblemError(
		'model_upstream_failed',
		`The embedding model failed: ${error.message.slice(0, 1_000)}`,
		{ extensions: { reason: 'upstream_failed' } },
	)
}

export const embeddingRoutes = createRouter().openapi(create, async (c) => {
	const body = c.req.valid('json')
	const texts = textsOf(body.input)
	const principal = c.get('principal')
	const db = database(c.env.DB)
	const agentId = agentIdOf(body.model)
	const agent = agentId ? await resolveAgent(db, principal.tenantId, agentId) : null
	if (!agentId || !agent) {
		throw modelNotFound(
			`The model "${body.model}" does not exist: models are "edgeclaw/<agentId>" for the agents of this tenant (GET /v1/models).`,
		)
	}
	// The route's rule saw no agent (it is in the body); a policy on this one applies too.
	await authorizeRule(
		c,
		{ action: 'agents:embed', resource: 'agent', param: 'agentId' },
		{ agentId },
	)
	if (!hasEmbedding(agent)) {
		throw badParam(
			'model',
			`The model "${body.model}" serves no embeddings: agent "${agentId}" has no embedding model (set \`embedding.model\` in its config).`,
			'model_not_supported',
		)
	}
	if (body.dimensions != null && !takesDimensions(agent.config)) {
		throw unsupported(
			'dimensions',
			`The embedding model ${agent.config.embedding.model} gives vectors of its own length: \`dimensions\` is not supported.`,
			'unsupported_value',
		)
	}
	const limits = await tenantLimits(db, principal.tenantId)
	if (!limits) throw new ProblemError('not_found', `Tenant "${principal.tenantId}" does not exist.`)
	await checkTenantBudget(c.env, principal.tenantId, limits.dailyTokenBudget)

	const outcome = await embedTexts(
		{ env: c.env, credentials: credentialsFromEnv(c.env), urlRules: tenantUrlRules(c.env) },
		{
			tenantId: principal.tenantId,
			config: agent.config,
			values: texts,
			dimensions: body.dimensions ?? agent.config.embedding.dimensions,
			signal: c.req.raw.signal,
		},
	)
	if (outcome.call) account(c, agent, outcome.call)
	if (!outcome.ok) {
		c.get('logger').warn('embeddings.failed', { agent: agentId, error: outcome.error })
		throw embeddingFailure(outcome.error)
	}
	const base64 = body.encoding_format === 'base64'
	const answer: EmbeddingListBody = {
		object: 'list',
		// float32 either way, so both encodings give the same numbers.
		data: outcome.embeddings.map((vector, index) => ({
			object: 'embedding',
			index,
			embedding: base64 ? float32Base64(vector) : vector.map(Math.fround),
		})),
		model: body.model,
		usage: { prompt_tokens: outcome.tokens, total_tokens: outcome.tokens },
	}
	return c.json(answer, 200)
})
