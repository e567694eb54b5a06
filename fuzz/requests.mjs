// HTTP requests generated with fast-check from the gateway's own OpenAPI document: every operation
// it lists, as every principal of a fuzz world (fuzz/world.mjs), with malformed bodies, headers and
// ids. Shared by `npm run fuzz` (fuzz/run.mjs, against wrangler dev) and the sample in `npm test`.
import fc from 'fast-check'
import {
	BAD_AUTH,
	broken,
	clientIp,
	contentType,
	extraHeaders,
	extraQuery,
	headerText,
	hostileSegment,
	malformed,
	oddHeaderValue,
	wrongQueryValue,
} from './hostile.mjs'
import { resolve, sometimes, stringOf, valuesOf } from './schema-values.mjs'

/**
 * @template T
 * @typedef {import('./schema-values.mjs').Arbitrary<T>} Arbitrary
 */
/**
 * @typedef {import('./schema-values.mjs').Schema} Schema
 * @typedef {import('./schema-values.mjs').OpenAPIDocument} OpenAPIDocument
 * @typedef {import('./hostile.mjs').BodyPart} BodyPart
 * @typedef {{ name: string, in: string, required: boolean, schema: Schema }} Parameter
 * @typedef {{
 *   method: string,
 *   template: string,
 *   params: Parameter[],
 *   body?: Schema,
 *   websocket: boolean,
 *   secured: boolean,
 *   dialect: 'problem' | 'openai',
 * }} Operation
 */

/**
 * `tenant` is the tenant a key belongs to; the platform admin has none.
 * @typedef {{ name: string, token: string, tenant?: string }} Principal
 * A value the world holds for a parameter name. `owner`: the tenant only it has (naming it from
 * another tenant is aimed at that tenant's resources); `keep`: its principals and fixtures depend
 * on it, so only another tenant's (foreign) requests may try to change or delete it; `spare`:
 * there to be changed and deleted, so only requests that do that name it (a read racing a delete
 * of what it streams would break off mid-body, which says nothing about the gateway); `lasting`:
 * a spare its own tenant changes but never deletes, so changes keep reaching it all run long.
 * @typedef {{ value: string, owner?: string, keep?: boolean, spare?: boolean, lasting?: boolean }} PoolValue
 * @typedef {{
 *   principals: Principal[],
 *   tenants: string[],
 *   pools: Record<string, PoolValue[]>,
 *   secrets: { name: string, value: string }[],
 *   canaries: Record<string, string>,
 * }} World
 */

/**
 * @typedef {{
 *   route: string,
 *   method: string,
 *   path: string,
 *   headers: Record<string, string>,
 *   body?: BodyPart[],
 *   principal: string,
 *   tenant?: string,
 *   foreign: boolean,
 *   dialect: 'problem' | 'openai',
 * }} FuzzRequest
 */

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options']

/**
 * Every operation of the document. An operation answering `101` is a WebSocket upgrade; one whose
 * error responses use the `OpenAIError` schema speaks OpenAI's error dialect.
 * @param {OpenAPIDocument} doc
 * @returns {Operation[]}
 */
export function operations(doc) {
	/** @type {Operation[]} */
	const out = []
	for (const [template, item] of Object.entries(doc.paths)) {
		for (const [method, op] of Object.entries(item)) {
			if (!METHODS.includes(method)) continue
			const responses = /** @type {Record<string, any>} */ (op.responses ?? {})
			const errorSchemas = Object.entries(responses)
				.filter(([status]) => status.startsWith('4'))
				.flatMap(([, r]) => Object.values(r.content ?? {}).map((c) => c.schema?.$ref ?? ''))
			const body = op.requestBody?.content?.['application/json']?.schema
			out.push({
				method: method.toUpperCase(),
				template,
				params: [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) => ({
					name: p.name,
					in: p.in,
					required: Boolean(p.required),
					schema: resolve(doc, p.schema),
				})),
				...(body ? { body } : {}),
				websocket: '101' in responses,
				secured: (op.security ?? doc.security ?? []).length > 0,
				dialect: errorSchemas.some((r) => r.endsWith('/OpenAIError')) ? 'openai' : 'problem',
			})
		}
	}
	return out
}

/**
 * The path prefixes whose errors speak OpenAI's dialect: `/v1/<segment>` for the first segment
 * after `/v1` of the OpenAI operations' paths (the gateway answers its unknown paths there in that
 * dialect too); later segments (`/v1/responses/{id}/cancel`) name no prefix of their own.
 * @param {Operation[]} ops
 */
export function openAIPrefixes(ops) {
	const segments = new Set(
		ops
			.filter((o) => o.dialect === 'openai')
			.map((o) => o.template.split('/').filter(Boolean)[1])
			.filter((s) => s !== undefined && !s.startsWith('{')),
	)
	return [...segments].map((s) => `/v1/${s}`)
}

/** @typedef {'read' | 'change' | 'delete'} Effect */

/**
 * What a request does to the resource its path names (the run's principals and fixtures must
 * survive it): DELETE deletes; PUT, PATCH and POST to a named resource's action (`/rotate`,
 * `/reset`) change; anything else — a message, an approval included — reads.
 * @param {string} method @param {string} template @returns {Effect}
 */
export function effectOf(method, template) {
	if (method === 'DELETE') return 'delete'
	if (method === 'PUT' || method === 'PATCH') return 'change'
	if (method !== 'POST') return 'read'
	const segments = template.split('/')
	const last = segments.at(-1) ?? ''
	return segments.some((s) => s.startsWith('{')) && !last.startsWith('{') && last !== 'messages'
		? 'change'
		: 'read'
}

/**
 * The world's values a principal may use for a parameter name in a request that has `effect` on
 * it. Another tenant's requests may aim anything at anything: they must be refused.
 * @param {World} world @param {string} name @param {Principal | undefined} who @param {Effect} effect
 */
function poolFor(world, name, who, effect) {
	return (world.pools[name] ?? []).filter((v) => {
		if (effect === 'read') return !v.spare
		const foreign = who?.tenant !== undefined && v.owner !== undefined && v.owner !== who.tenant
		return foreign || !(v.keep || (effect === 'delete' && v.lasting))
	})
}

/** Whether `text` names a resource only another tenant than `tenant` has. @param {World} world */
function namesForeign(world, /** @type {string} */ tenant, /** @type {string} */ text) {
	for (const values of Object.values(world.pools))
		for (const v of values)
			if (v.owner !== undefined && v.owner !== tenant && text.includes(v.value)) return true
	return false
}

/** @param {BodyPart[] | undefined} body */
const bodyText = (body) => (body ?? []).map((p) => (typeof p === 'string' ? p : '')).join('')

/**
 * The credentials of a request: a principal's token (with the scheme in either case), or none,
 * another scheme, garbage, or a near miss of a real token.
 * @param {World} world
 */
function credentials(world) {
	const principal = fc.constantFrom(...world.principals)
	return fc.oneof(
		{
			weight: 15,
			arbitrary: principal.map((p) => ({ who: p, authorization: `Bearer ${p.token}` })),
		},
		{
			weight: 1,
			arbitrary: principal.map((p) => ({ who: p, authorization: `bearer ${p.token}` })),
		},
		{
			weight: 1,
			arbitrary: principal.map((p) => ({
				who: /** @type {Principal | undefined} */ (undefined),
				authorization: `Bearer ${p.token}x`,
			})),
		},
		{
			weight: 4,
			arbitrary: fc
				.oneof(
					fc.constant(undefined),
					fc.constantFrom(...BAD_AUTH),
					headerText.map((t) => `Bearer ${t}`),
					fc
						.tuple(fc.stringMatching(/^[0-9a-f]{16}$/), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/))
						.map(([id, s]) => `Bearer ek_${id}_${s}`),
				)
				.map((authorization) => ({
					who: /** @type {Principal | undefined} */ (undefined),
					authorization,
				})),
		},
	)
}

/**
 * Requests for one operation of the document. The arbitraries are built once; only the choice of
 * the world's values depends on who sends the request and whether it changes what it names.
 * @param {OpenAPIDocument} doc @param {World} world @param {Operation} op
 * @param {string[]} openaiPrefixes
 * @returns {Arbitrary<FuzzRequest>}
 */
export function requestsFor(doc, world, op, openaiPrefixes) {
	const method = op.websocket
		? fc.constant('GET')
		: fc.oneof(
				{ weight: 22, arbitrary: fc.constant(op.method) },
				{ weight: 2, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE') },
				{ weight: 1, arbitrary: fc.constantFrom('HEAD', 'OPTIONS') },
			)
	/** A parameter's values: the world's (chosen per request), valid ones and hostile ones. */
	const params = (/** @type {string} */ where) =>
		op.params
			.filter((p) => p.in === where)
			.map((p) => ({
				param: p,
				valid: where === 'query' ? queryValue(doc, p.schema) : stringOf(p.schema),
			}))
	const pathParams = params('path')
	const queryParams = params('query')
	const headerParams = params('header')
	const hint = (/** @type {string} */ name) => {
		const pool = poolFor(world, name, undefined, 'read')
		return pool.length > 0 ? fc.constantFrom(...pool.map((v) => v.value)) : undefined
	}
	const valid = op.body ? valuesOf(doc, op.body, hint) : fc.jsonValue({ maxDepth: 2 })
	const body = op.websocket
		? fc.constant(undefined)
		: fc.oneof(
				{
					weight: op.body ? 10 : 0,
					arbitrary: valid.map((v) => /** @type {BodyPart[]} */ ([JSON.stringify(v) ?? 'null'])),
				},
				{ weight: op.body ? 6 : 0, arbitrary: broken(valid) },
				{ weight: op.body ? 4 : 3, arbitrary: malformed(valid) },
				{ weight: op.body ? 1 : 17, arbitrary: fc.constant(undefined) },
			)
	const fixed = fc.record({
		query: fc.tuple(
			...queryParams.map(({ valid }) =>
				fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: wrongQueryValue }),
			),
		),
		pathValid: fc.tuple(
			...pathParams.map(({ valid }) =>
				fc.oneof(
					{ weight: 3, arbitrary: valid.map(encodeURIComponent) },
					{ weight: 2, arbitrary: hostileSegment },
				),
			),
		),
		headerValid: fc.tuple(...headerParams.map(({ valid }) => fc.oneof(valid, oddHeaderValue))),
		// Which parameters are present, and whether each takes the world's value.
		present: fc.array(fc.boolean(), {
			minLength: op.params.length,
			maxLength: op.params.length,
		}),
		fromWorld: fc.array(fc.nat(99), { minLength: op.params.length, maxLength: op.params.length }),
		extraQuery,
		extraHeaders,
		tenantHeader: sometimes(
			fc.constantFrom(...world.tenants, 'default', 'BAD TENANT', '_x', 'a'.repeat(70), 'caf%C3%A9'),
			15,
		),
		body,
		contentType,
		ip: clientIp,
	})
	return fc.tuple(credentials(world), method).chain(([auth, verb]) => {
		const effect = effectOf(verb, op.template)
		/** The world's value for a parameter in 60 % of draws (`chance` < 60), if it has one. */
		const worldValue = (/** @type {Parameter} */ p, /** @type {number} */ chance) => {
			const pool = poolFor(world, p.name, auth.who, p.in === 'path' ? effect : 'read')
			return chance < 60 && pool.length > 0 ? pool[chance % pool.length]?.value : undefined
		}
		return fixed.map((r) => {
			const index = (/** @type {Parameter} */ p) => op.params.indexOf(p)
			const chance = (/** @type {Parameter} */ p) => r.fromWorld[index(p)] ?? 100
			let i = 0
			const path = op.template.replace(/\{\w+\}/g, () => {
				const k = i++
				const p = pathParams[k]?.param
				const own = p && worldValue(p, chance(p))
				return own !== undefined ? encodeURIComponent(own) : (r.pathValid[k] ?? '')
			})
			const query = queryParams.flatMap(({ param }, k) => {
				if (!r.present[index(param)]) return []
				const value = worldValue(param, chance(param)) ?? r.query[k] ?? ''
				return [`${encodeURIComponent(param.name)}=${encodeURIComponent(value)}`]
			})
			if (r.extraQuery !== undefined) query.push(r.extraQuery)
			/** @type {Record<string, string>} */
			const headers = { 'cf-connecting-ip': `10.${r.ip.join('.')}` }
			if (auth.authorization !== undefined) headers.authorization = auth.authorization
			for (const [k, v] of Object.entries(r.extraHeaders)) if (v !== undefined) headers[k] = v
			if (r.tenantHeader !== undefined) headers['x-edgeclaw-tenant'] = r.tenantHeader
			headerParams.forEach(({ param }, k) => {
				if (!r.present[index(param)]) return
				headers[param.name] = worldValue(param, chance(param)) ?? r.headerValid[k] ?? ''
			})
			const sendsBody = r.body !== undefined && verb !== 'GET' && verb !== 'HEAD'
			if (sendsBody && r.contentType !== undefined) headers['content-type'] = r.contentType
			const tenant = auth.who?.tenant
			// What the request names, as sent (clients resolve `..` segments before sending).
			const aimedAt = `${new URL(`http://gateway${path}`).pathname} ${headers['x-edgeclaw-tenant'] ?? ''} ${bodyText(sendsBody ? r.body : undefined)}`
			/** @type {FuzzRequest} */
			const request = {
				route: `${verb} ${op.template}`,
				method: verb,
				path: `${path}${query.length > 0 ? `?${query.join('&')}` : ''}`,
				headers,
				...(sendsBody ? { body: r.body } : {}),
				principal: auth.who?.name ?? 'anonymous',
				...(tenant !== undefined ? { tenant } : {}),
				// Public routes and OPTIONS (an `Allow` list) hold no tenant's resource.
				foreign:
					tenant !== undefined &&
					op.secured &&
					verb !== 'OPTIONS' &&
					namesForeign(world, tenant, aimedAt),
				dialect: dialectOf(path, openaiPrefixes),
			}
			return request
		})
	})
}

/** A query parameter's valid values, as text. @param {OpenAPIDocument} doc @param {Schema} schema */
const queryValue = (doc, schema) =>
	valuesOf(doc, schema, () => undefined).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))

/**
 * The error dialect the gateway answers a path in: the path as sent (clients resolve `..` and
 * `%2e%2e` before sending), under one of the OpenAI prefixes or not.
 * @param {string} path @param {string[]} prefixes
 */
function dialectOf(path, prefixes) {
	const sent = new URL(`http://gateway${path}`).pathname
	return prefixes.some((p) => sent === p || sent.startsWith(`${p}/`)) ? 'openai' : 'problem'
}

/**
 * Requests to paths the document does not list: its own segments and hostile ones, in any order,
 * with any method.
 * @param {OpenAPIDocument} doc @param {World} world @param {string[]} openaiPrefixes
 * @returns {Arbitrary<FuzzRequest>}
 */
export function unroutedRequests(doc, world, openaiPrefixes) {
	const words = [
		...new Set(
			Object.keys(doc.paths).flatMap((p) => p.split('/').filter((s) => s && !s.startsWith('{'))),
		),
	]
	const segment = fc.oneof(
		{ weight: 4, arbitrary: fc.constantFrom(...words) },
		{ weight: 2, arbitrary: hostileSegment },
	)
	return fc
		.record({
			auth: credentials(world),
			method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
			segments: fc.array(segment, { minLength: 0, maxLength: 5 }),
			v1: fc.boolean(),
			body: sometimes(malformed(fc.jsonValue({ maxDepth: 2 })), 30),
			ip: clientIp,
		})
		.map((r) => {
			const path = `/${[...(r.v1 ? ['v1'] : []), ...r.segments].join('/')}`
			/** @type {Record<string, string>} */
			const headers = { 'cf-connecting-ip': `10.${r.ip.join('.')}` }
			if (r.auth.authorization !== undefined) headers.authorization = r.auth.authorization
			const sendsBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD'
			if (sendsBody) headers['content-type'] = 'application/json'
			return {
				route: `${r.method} * (not in the document)`,
				method: r.method,
				path,
				headers,
				...(sendsBody ? { body: r.body } : {}),
				principal: r.auth.who?.name ?? 'anonymous',
				foreign: false,
				dialect: dialectOf(path, openaiPrefixes),
			}
		})
}

/**
 * `count` requests for a seed: every operation of the document (and paths outside it) in turn, so
 * each gets its share however small the count; the same seed gives the same requests.
 * @param {OpenAPIDocument} doc @param {World} world
 * @param {{ count: number, seed: number }} options
 * @returns {FuzzRequest[]}
 */
export function sampleRequests(doc, world, { count, seed }) {
	const ops = operations(doc)
	const prefixes = openAIPrefixes(ops)
	const sources = [
		...ops.map((op) => requestsFor(doc, world, op, prefixes)),
		unroutedRequests(doc, world, prefixes),
	]
	const each = Math.ceil(count / sources.length)
	const drawn = sources.map((arb, k) =>
		fc.sample(arb, { seed: (seed + k * 7_919) | 0, numRuns: each }),
	)
	/** @type {FuzzRequest[]} */
	const out = []
	for (let i = 0; i < each && out.length < count; i++)
		for (const list of drawn) {
			const r = list[i]
			if (r && out.length < count) out.push(r)
		}
	return out
}
