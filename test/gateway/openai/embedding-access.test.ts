// Who may embed with which agent, and which embedding configs can be saved: a tenant policy on one
// agent holds at /v1/embeddings although the agent is named in the body, and saving a config
// refuses an embedding model of a kind without embeddings or with a key the tenant does not own.
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { createAgent, postJson, problem } from '../../helpers'
import { as, key } from '../../security/helpers'
import { openAIError } from './helpers'

const TENANT = 'emb-access'
const EMBEDDING = { embedding: { model: 'offline:embed' } }

let member: string
let admin: string

beforeAll(async () => {
	await env.DB.prepare('INSERT INTO tenants (id, name) VALUES (?, ?)').bind(TENANT, TENANT).run()
	await createAgent(env.DB, 'open-embedder', EMBEDDING, TENANT)
	await createAgent(env.DB, 'private-embedder', EMBEDDING, TENANT)
	member = (await key(TENANT, 'member')).secret
	admin = (await key(TENANT, 'admin')).secret
})

const embed = (model: string) =>
	as(member, '/v1/embeddings', { method: 'POST', json: { model, input: 'hello' } })

describe('a tenant policy on agents:embed', () => {
	it('denies the one agent it names, on the agent from the body; the others still embed', async () => {
		expect((await embed('private-embedder')).status).toBe(200)
		const created = await as(admin, '/v1/policies', {
			method: 'POST',
			json: {
				id: 'no-private-embeddings',
				effect: 'deny',
				resources: [`tenant:${TENANT}/agent:private-*`],
				actions: ['agents:embed'],
			},
		})
		expect(created.status).toBe(201)
		const denied = await embed('edgeclaw/private-embedder')
		expect(denied.status).toBe(403)
		const error = await openAIError(denied)
		expect(error).toMatchObject({ type: 'permission_error', code: 'forbidden' })
		expect(error.message).toContain('agents:embed')
		expect((await embed('edgeclaw/open-embedder')).status).toBe(200)
	})
})

describe('saving an agent with an embedding model', () => {
	const save = async (id: string, embedding: unknown) => {
		const res = await postJson('/v1/agents', {
			id,
			name: id,
			config: { model: { primary: 'offline:echo' }, embedding },
		})
		if (res.status !== 400) return { status: res.status, paths: [] as string[] }
		const body = (await problem(res)) as { errors?: { path: string }[] }
		return { status: res.status, paths: (body.errors ?? []).map((e) => e.path) }
	}

	it('takes the offline model, and refuses a kind without embeddings or an unowned key', async () => {
		expect((await save('emb-offline', { model: 'offline:embed', dimensions: 64 })).status).toBe(201)
		expect(await save('emb-anthropic', { model: 'anthropic:claude-sonnet-4-5' })).toEqual({
			status: 400,
			paths: ['config.embedding.model'],
		})
		// The default tenant has no OPENAI_API_KEY of its own and the deployment shares none.
		expect(await save('emb-openai', { model: 'openai:text-embedding-3-small' })).toEqual({
			status: 400,
			paths: ['config.embedding.model'],
		})
	})
})
