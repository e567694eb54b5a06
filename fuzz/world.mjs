// The world a fuzz run attacks, created through the API as the platform admin: two tenants, each
// with agents, a key per role, a policy, a channel and sessions holding a canary (a string only that tenant's
// data contains), plus targets the run may change or delete. Tenant "b" is the foreign tenant of
// tenant "a" and the other way round.

/** @typedef {import('./requests.mjs').World} World */
/** @typedef {import('./requests.mjs').PoolValue} PoolValue */
/** @typedef {(path: string, init?: RequestInit) => Promise<Response>} Send */

const ROLES = /** @type {const} */ (['admin', 'operator', 'member', 'viewer'])

/**
 * Creates the world's tenants and fixtures; `nonce` makes its ids unique on a gateway that already
 * has data. Fails loudly when the gateway refuses a fixture.
 * @param {Send} send
 * @param {{ adminToken: string, nonce: string, secrets?: { name: string, value: string }[] }} options
 * @returns {Promise<World>}
 */
export async function createWorld(send, { adminToken, nonce, secrets = [] }) {
	/**
	 * @param {string} method @param {string} path @param {unknown} body
	 * @param {{ tenant?: string, token?: string }} [as]
	 */
	const request = async (method, path, body, as = {}) => {
		const res = await send(path, {
			method,
			headers: {
				authorization: `Bearer ${as.token ?? adminToken}`,
				'content-type': 'application/json',
				...(as.tenant ? { 'x-edgeclaw-tenant': as.tenant } : {}),
			},
			body: JSON.stringify(body),
		})
		const text = await res.text()
		if (!res.ok) throw new Error(`fuzz world: ${method} ${path} → ${res.status} ${text}`)
		return /** @type {Record<string, any>} */ (JSON.parse(text))
	}

	/** @type {World} */
	const world = {
		principals: [{ name: 'platform', token: adminToken }],
		tenants: [],
		pools: {
			tenantId: [{ value: 'default' }],
			agentId: [{ value: 'main', keep: true }],
			agent: [{ value: 'main', keep: true }],
			sessionKey: [],
			runId: [],
			keyId: [],
			policyId: [],
			channelId: [],
			model: [{ value: 'edgeclaw/main' }, { value: 'main' }],
			// An agent's model: one that runs without network.
			primary: [{ value: 'offline:echo' }],
			owner: [{ value: 'edgeclaw' }],
		},
		secrets: [{ name: 'admin token', value: adminToken }, ...secrets],
		canaries: {},
	}
	const pool = (/** @type {string} */ name, /** @type {PoolValue} */ v) => {
		world.pools[name] = [...(world.pools[name] ?? []), v]
	}

	for (const t of ['a', 'b']) {
		const tenant = `fz-${t}-${nonce}`
		const canary = `fzcanary-${t}-${nonce}`
		const as = { tenant }
		world.tenants.push(tenant)
		world.canaries[tenant] = canary
		await request('POST', '/v1/tenants', { id: tenant, name: `fuzz ${t} ${canary}` })
		// Its principals and fixtures depend on it: only foreign requests may change or delete it.
		pool('tenantId', { value: tenant, owner: tenant, keep: true })

		const config = { model: { primary: 'offline:echo' }, instructions: `Answer. ${canary}` }
		// `main` exists in both tenants (a name, not a resource of one); the others only in this one.
		const only = tenant
		const target = `${tenant}-t`
		const replaced = `${tenant}-r`
		for (const id of ['main', only, target, replaced])
			await request('POST', '/v1/agents', { id, name: `${id} ${canary}`, config }, as)
		for (const name of ['agentId', 'agent']) pool(name, { value: only, owner: tenant, keep: true })
		pool('agentId', { value: target, owner: tenant })
		pool('agentId', { value: replaced, owner: tenant, spare: true, lasting: true })
		pool('model', { value: `edgeclaw/${only}`, owner: tenant })

		for (const role of ROLES) {
			const created = await request('POST', '/v1/keys', { name: `${role} ${canary}`, role }, as)
			world.principals.push({ name: `${t}:${role}`, token: created.secret, tenant })
			world.secrets.push({ name: `${t}:${role} key`, value: created.secret })
			pool('keyId', { value: created.key.id, owner: tenant, keep: true })
		}
		const spare = await request('POST', '/v1/keys', { name: `spare ${canary}`, role: 'viewer' }, as)
		world.secrets.push({ name: `${t}:spare key`, value: spare.secret })
		pool('keyId', { value: spare.key.id, owner: tenant })

		const policy = `${tenant}-p`
		await request(
			'POST',
			'/v1/policies',
			{
				id: policy,
				description: canary,
				effect: 'allow',
				resources: ['agent:fz-none'],
				actions: ['agents:read'],
			},
			as,
		)
		pool('policyId', { value: policy, owner: tenant })

		// A signed-webhook channel whose secret must never surface in any answer.
		const hookSecret = `whsec_${btoa(`${canary}-hook-secret`.padEnd(32, '-').slice(0, 32))}`
		await request('PUT', '/v1/secrets/FZ_HOOK_SECRET', { value: hookSecret }, as)
		world.secrets.push({ name: `${t}:hook secret`, value: hookSecret })
		const channel = `${tenant}-ch`
		await request(
			'POST',
			'/v1/channels',
			{
				id: channel,
				kind: 'webhook',
				agent: 'main',
				config: {
					secrets: { signingSecret: 'FZ_HOOK_SECRET' },
					callbackUrl: 'https://fuzz.invalid/cb',
				},
			},
			as,
		)
		pool('channelId', { value: channel, owner: tenant, keep: true })

		// Session keys name a session within a tenant: another tenant using one gets its own.
		const member = world.principals.find((p) => p.name === `${t}:member`)?.token
		const session = `fzs-${nonce}-${t}`
		const run = await request(
			'POST',
			`/v1/sessions/${session}/messages`,
			{ content: `remember ${canary}`, wait: true },
			{ token: member },
		)
		pool('sessionKey', { value: session, keep: true })
		pool('runId', { value: run.runId, owner: tenant, keep: true })
		const scratch = `fzs-${nonce}-${t}-scratch`
		await request(
			'POST',
			`/v1/sessions/${scratch}/messages`,
			{ content: 'hello', wait: true },
			{ token: member },
		)
		pool('sessionKey', { value: scratch, spare: true })
	}
	// The same values under the other names the document uses for them.
	world.pools.session = world.pools.sessionKey ?? []
	world.pools['x-edgeclaw-session'] = world.pools.sessionKey ?? []
	return world
}
