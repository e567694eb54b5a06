// HTTP requests generated with fast-check from the gateway's own OpenAPI document: every operation
// it lists, as every principal of a fuzz world (fuzz/world.mjs), with malformed bodies, headers and
// ids. Shared by `npm run fuzz` (fuzz/run.mjs, against wrangler dev) and the sample in `npm test`.
import fc from 'fast-check'

/**
 * @template T
 * @typedef {import('fast-check').Arbitrary<T>} Arbitrary
 */
/**
 * A JSON Schema node of the OpenAPI document (3.1: JSON Schema 2020-12).
 * @typedef {Record<string, any>} Schema
 * @typedef {{ paths: Record<string, Record<string, any>>, components?: { schemas?: Record<string, Schema> }, security?: unknown[] }} OpenAPIDocument
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
 * A body is a list of parts so that megabyte strings and deep nesting stay small to keep, print
 * and reproduce: text, a text repeated, or raw bytes.
 * @typedef {string | { repeat: string, times: number } | { bytes: number[] }} BodyPart
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

/** @param {OpenAPIDocument} doc @param {Schema | undefined} schema @returns {Schema} */
function resolve(doc, schema) {
	let s = schema ?? {}
	for (let i = 0; i < 16 && typeof s.$ref === 'string'; i++) {
		const name = s.$ref.replace('#/components/schemas/', '')
		s = doc.components?.schemas?.[name] ?? {}
	}
	return s
}

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
 * The path prefixes whose errors speak OpenAI's dialect: `/v1/<segment>` for every literal segment
 * of the OpenAI operations' paths (the gateway answers its unknown paths there in that dialect too).
 * @param {Operation[]} ops
 */
export function openAIPrefixes(ops) {
	const segments = new Set(
		ops
			.filter((o) => o.dialect === 'openai')
			.flatMap((o) => o.template.split('/').filter((s) => s && s !== 'v1' && !s.startsWith('{'))),
	)
	return [...segments].map((s) => `/v1/${s}`)
}

// --- values from schemas --------------------------------------------------------------------------

const INT32 = 2 ** 31 - 1

/** URLs a tenant might name: public, private, loopback, metadata, odd schemes. */
const url = fc
	.tuple(
		fc.constantFrom('https', 'http', 'ftp', 'file', 'javascript'),
		fc.constantFrom(
			'example.com',
			'api.example.com:8443',
			'169.254.169.254',
			'[::1]',
			'10.0.0.1',
			'localhost',
			'127.0.0.1:8787',
			'0x7f000001',
			'user:pass@example.com',
			'xn--80ak6aa92e.com',
		),
		fc.stringMatching(/^[a-z0-9/._-]{0,16}$/),
	)
	.map(([scheme, host, path]) => `${scheme}://${host}/${path}`)

/** @param {Schema} schema @returns {Arbitrary<string>} */
function stringOf(schema) {
	const min = schema.minLength ?? 0
	const max = schema.maxLength ?? 64
	const fits = (/** @type {string} */ s) => s.length >= min && s.length <= max
	if (schema.pattern) {
		try {
			return fc.stringMatching(new RegExp(schema.pattern)).filter(fits)
		} catch {}
	}
	if (schema.format === 'uri') return url.filter(fits)
	if (schema.format === 'date-time')
		return fc
			.date({ min: new Date(0), max: new Date(4_102_444_800_000), noInvalidDate: true })
			.map((d) => d.toISOString())
	return fc.string({ minLength: min, maxLength: Math.min(max, min + 40) })
}

/** @param {Schema} schema */
function numberBounds(schema) {
	const min =
		schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum : -1e6)
	const max =
		schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum : 1e6)
	return { min, max }
}

/**
 * Valid values of a schema (deep optional members thin out past depth 4). `hint(name)` may offer
 * values of the world for a property of that name.
 * @param {OpenAPIDocument} doc
 * @param {Schema} raw
 * @param {(name: string) => Arbitrary<string> | undefined} hint
 * @param {number} [depth]
 * @returns {Arbitrary<unknown>}
 */
export function valuesOf(doc, raw, hint, depth = 0) {
	const schema = resolve(doc, raw)
	if (schema.const !== undefined) return fc.constant(schema.const)
	// The document's own example of an object is a request known to get through: a third of the
	// time it is taken as it is (and broken from there, see broken()).
	if (schema.example !== undefined && typeof schema.example === 'object' && !schema.exampled)
		return fc.oneof(
			{ weight: 1, arbitrary: fc.constant(schema.example) },
			{ weight: 2, arbitrary: valuesOf(doc, { ...schema, exampled: true }, hint, depth) },
		)
	if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...schema.enum)
	const alternatives = schema.anyOf ?? schema.oneOf
	if (Array.isArray(alternatives) && alternatives.length > 0)
		return fc.oneof(...alternatives.map((/** @type {Schema} */ s) => valuesOf(doc, s, hint, depth)))
	if (Array.isArray(schema.type))
		return fc.oneof(
			...schema.type.map((/** @type {string} */ t) =>
				valuesOf(doc, { ...schema, type: t }, hint, depth),
			),
		)
	switch (schema.type) {
		case 'null':
			return fc.constant(null)
		case 'boolean':
			return fc.boolean()
		case 'integer': {
			const { min, max } = numberBounds(schema)
			const lo = Math.max(-INT32, Math.ceil(schema.exclusiveMinimum !== undefined ? min + 1 : min))
			const hi = Math.min(INT32, Math.floor(schema.exclusiveMaximum !== undefined ? max - 1 : max))
			return fc.integer({ min: lo, max: Math.max(lo, hi) })
		}
		case 'number': {
			const { min, max } = numberBounds(schema)
			return fc.double({ min, max, noNaN: true, noDefaultInfinity: true })
		}
		case 'string':
			return stringOf(schema)
		case 'array': {
			const minLength = schema.minItems ?? 0
			const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 3, 3))
			return fc.array(valuesOf(doc, schema.items ?? {}, hint, depth + 1), { minLength, maxLength })
		}
		case 'object':
			return objectOf(doc, schema, hint, depth)
		default:
			return schema.properties ? objectOf(doc, schema, hint, depth) : fc.jsonValue({ maxDepth: 2 })
	}
}

/**
 * @param {OpenAPIDocument} doc
 * @param {Schema} schema
 * @param {(name: string) => Arbitrary<string> | undefined} hint
 * @param {number} depth
 * @returns {Arbitrary<unknown>}
 */
function objectOf(doc, schema, hint, depth) {
	const properties = /** @type {Record<string, Schema>} */ (schema.properties ?? {})
	/** @type {string[]} */
	const required = schema.required ?? []
	/** @type {Record<string, Arbitrary<unknown>>} */
	const model = {}
	for (const [name, s] of Object.entries(properties)) {
		if (depth >= 4 && !required.includes(name)) continue
		const fromSchema = valuesOf(doc, s, hint, depth + 1)
		const fromWorld = resolve(doc, s).type === 'string' ? hint(name) : undefined
		model[name] = fromWorld
			? fc.oneof({ weight: 3, arbitrary: fromWorld }, { weight: 1, arbitrary: fromSchema })
			: fromSchema
	}
	const extra = schema.additionalProperties
	if (Object.keys(model).length === 0 && extra && typeof extra === 'object' && depth < 4)
		return fc.dictionary(
			fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
			valuesOf(doc, extra, hint, depth + 1),
			{ maxKeys: 2 },
		)
	// Optional members are sparse (one in six), and a third of the objects have none: a request
	// with every knob turned rarely gets past the first refusal, and the point is to reach deep as
	// well as to be refused.
	/** @type {Record<string, Arbitrary<unknown>>} */
	const sparse = {}
	/** @type {Record<string, Arbitrary<unknown>>} */
	const bare = {}
	for (const [name, arb] of Object.entries(model)) {
		sparse[name] = required.includes(name) ? arb : sometimes(arb, 15)
		if (required.includes(name)) bare[name] = arb
	}
	const defined = (/** @type {Record<string, unknown>} */ o) =>
		Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
	return fc.oneof(
		{ weight: 2, arbitrary: fc.record(sparse).map(defined) },
		{ weight: 1, arbitrary: fc.record(bare) },
	)
}

// --- hostile inputs -------------------------------------------------------------------------------

/** Path segments sent exactly as written: traversal and percent-encoding, valid or not. */
const RAW_SEGMENTS = [
	'..',
	'.',
	'%2e%2e',
	'..%2F..%2Fkeys',
	'%2F',
	'%00',
	'%ZZ',
	'%',
	'%E0%A4%A',
	'%ED%A0%80',
	'%C0%AE%C0%AE',
	'%252F',
	'%u0041',
	';x=1',
	'~',
	'',
]
/** Ids encoded as a client would: unicode, controls, separators. */
const ENCODED_IDS = [
	'é',
	'日本語',
	'😀',
	'\u202etxt',
	'\u0000',
	'\ufeffmain',
	'a b',
	'MAIN',
	'main\n',
	'../../v1/keys',
	'a/b',
	'?x=1',
	'#frag',
	'-',
	'0000000000000000',
	'ek_0000000000000000_aaaa',
]

const hostileSegment = fc.oneof(
	{ weight: 3, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
	{ weight: 3, arbitrary: fc.constantFrom(...ENCODED_IDS).map(encodeURIComponent) },
	{ weight: 1, arbitrary: fc.integer({ min: 256, max: 6_000 }).map((n) => 'a'.repeat(n)) },
	{ weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map(encodeURIComponent) },
)

/** Query values of the wrong type or shape. */
const WRONG_QUERY_VALUES = [
	'',
	' ',
	'abc',
	'-1',
	'0',
	'1.5',
	'1e400',
	'0x10',
	'99999999999999999999',
	'null',
	'[]',
	'{}',
	'true',
	'%00',
	'%ZZ',
	'2024-13-45',
	'not-a-date',
	'a'.repeat(3_000),
]

/** Values of the wrong type for a body member. */
const WRONG_TYPES = [
	null,
	0,
	-1,
	1.5,
	1e308,
	'',
	'x',
	true,
	[],
	{},
	[1, 'a'],
	{ $ne: 1 },
	'__proto__',
	'a'.repeat(1_000),
]

/** A printable header value (ASCII: what HTTP stacks pass on unchanged). */
const headerText = fc.string({
	unit: fc.constantFrom(...' !#$%&()*+,-./0123456789:;<=>?@ABCXYZ[]^_`abcxyz{|}~"\''.split('')),
	maxLength: 60,
})

const BAD_AUTH = [
	'Basic YWRtaW46YWRtaW4=',
	'Bearer',
	'Bearer ',
	'Token abc',
	'Digest username="x"',
	'ApiKey ek_0000000000000000_aaaa',
	'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
	'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln',
	'Bearer ek_',
	'Bearer ek_0000000000000000_',
	'Bearer null',
	'Bearer %C3%A9',
	`Bearer ${'A'.repeat(6_000)}`,
]

const CONTENT_TYPES = [
	'text/plain',
	'application/x-www-form-urlencoded',
	'multipart/form-data; boundary=x',
	'application/json; charset=utf-16',
	'application/jsonx',
	'application/vnd.api+json',
	'APPLICATION/JSON',
	'*/*',
	'application/json, text/plain',
	'',
]

/**
 * `arb` in `pct` % of draws, otherwise undefined.
 * @template T @param {Arbitrary<T>} arb @param {number} pct
 * @returns {Arbitrary<T | undefined>}
 */
const sometimes = (arb, pct) =>
	fc.oneof(
		{ weight: 100 - pct, arbitrary: fc.constant(undefined) },
		{ weight: pct, arbitrary: arb },
	)

// --- bodies ---------------------------------------------------------------------------------------

/** A placeholder that JSON keeps intact, so a member can be swapped for a huge or deep part. */
const SLOT = '\u0001fuzz-slot\u0001'

/** Every path (as keys) into a JSON value, the root included, up to depth 4. @param {unknown} v */
function pathsOf(v, prefix = /** @type {(string | number)[]} */ ([]), out = [prefix]) {
	if (prefix.length >= 4 || v === null || typeof v !== 'object') return out
	for (const [k, child] of Object.entries(v)) {
		const key = Array.isArray(v) ? Number(k) : k
		out.push([...prefix, key])
		pathsOf(child, [...prefix, key], out)
	}
	return out
}

/**
 * Returns a deep copy of `value` with `edit` applied to the member at `path` (`edit` receives the
 * parent and the key; for the root, a holder object and the key "root").
 * @param {unknown} value @param {(string | number)[]} path
 * @param {(parent: any, key: string | number) => void} edit
 */
function editAt(value, path, edit) {
	const holder = { root: structuredClone(value) }
	/** @type {any} */
	let parent = holder
	/** @type {string | number} */
	let key = 'root'
	for (const k of path) {
		parent = parent[key]
		key = k
	}
	edit(parent, key)
	return holder.root
}

/** An edit that sets the member to `v`. @param {unknown} v */
const put = (v) => (/** @type {any} */ parent, /** @type {string | number} */ key) => {
	parent[key] = v
}

/** JSON text with the slot replaced by `parts`. @param {unknown} value @param {BodyPart[]} parts */
function withSlot(value, parts) {
	const text = JSON.stringify(value) ?? ''
	const [before, after] = text.split(JSON.stringify(SLOT))
	if (after === undefined) return [text]
	return [before ?? '', ...parts, after]
}

/** Huge strings, around and beyond the body cap (1 MiB by default). */
const hugeString = fc
	.constantFrom(10_000, 10_000, 10_000, 300_000, 300_000, 1_100_000)
	.map((times) => /** @type {BodyPart[]} */ (['"', { repeat: 'x', times }, '"']))
/** Deep nesting, arrays or objects. */
const deepValue = fc
	.tuple(fc.constantFrom(64, 5_000, 100_000), fc.boolean())
	.map(([times, arrays]) =>
		arrays
			? /** @type {BodyPart[]} */ ([
					{ repeat: '[', times },
					{ repeat: ']', times },
				])
			: /** @type {BodyPart[]} */ ([{ repeat: '{"a":', times }, '1', { repeat: '}', times }]),
	)

/**
 * A valid value broken in one place: a member of the wrong type, a required member missing, an
 * extra member (mass assignment, prototype keys), a huge string or deep nesting in a member.
 * @param {Arbitrary<unknown>} valid
 * @returns {Arbitrary<BodyPart[]>}
 */
function broken(valid) {
	return fc
		.tuple(
			valid,
			fc.nat(),
			fc.constantFrom('wrong-type', 'missing', 'extra', 'proto', 'huge', 'deep'),
			fc.constantFrom(...WRONG_TYPES),
			hugeString,
			deepValue,
			fc.constantFrom('extra', 'tenantId', 'role', 'constructor', 'admin', '', 'x'.repeat(300)),
		)
		.map(([value, pick, how, wrong, huge, deep, extraKey]) => {
			const paths = pathsOf(value)
			const path = paths[pick % paths.length] ?? []
			switch (how) {
				case 'wrong-type':
					return [JSON.stringify(editAt(value, path, put(wrong)))]
				case 'missing':
					return [
						JSON.stringify(
							path.length === 0
								? {}
								: editAt(value, path, (p, k) => {
										delete p[k]
									}),
						) ?? '{}',
					]
				case 'extra':
					return [
						JSON.stringify(
							editAt(value, path.slice(0, -1), (p, k) => {
								if (p[k] && typeof p[k] === 'object' && !Array.isArray(p[k])) p[k][extraKey] = wrong
								else p[k] = { [extraKey]: wrong }
							}),
						),
					]
				case 'proto': {
					const text = JSON.stringify(value) ?? 'null'
					const rest = text.startsWith('{') && text !== '{}' ? `,${text.slice(1)}` : '}'
					return [`{"__proto__":{"role":"admin","tenantId":"default"}${rest}`]
				}
				case 'huge':
					return withSlot(editAt(value, path, put(SLOT)), huge)
				default:
					return withSlot(editAt(value, path, put(SLOT)), deep)
			}
		})
}

/**
 * Bodies that are not the JSON they claim to be.
 * @param {Arbitrary<unknown>} valid
 * @returns {Arbitrary<BodyPart[]>}
 */
function malformed(valid) {
	return fc.oneof(
		valid.chain((v) => {
			const text = JSON.stringify(v) ?? 'null'
			return fc.nat({ max: Math.max(0, text.length - 1) }).map((n) => [text.slice(0, n)])
		}),
		valid.map((v) => [`${JSON.stringify(v)} }`]),
		valid.map((v) => [`\ufeff${JSON.stringify(v)}`]),
		fc
			.constantFrom(
				'',
				'null',
				'[]',
				'"text"',
				'1',
				'true',
				"{'content':'x'}",
				'{"a":NaN}',
				'{"a":1,}',
				'{"a":1} // comment',
				'{"content":"a","content":1}',
				'{"content":"\\ud800"}',
				'{"content":"a\\u0000b"}',
				'a=1&b=2',
				`{"a":${'1'.repeat(400)}}`,
			)
			.map((text) => [text]),
		fc.string({ maxLength: 200 }).map((text) => [text]),
		fc.uint8Array({ maxLength: 64 }).map((b) => [{ bytes: [...b] }]),
		hugeString,
		deepValue,
	)
}

// --- requests -------------------------------------------------------------------------------------

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
 * A client address per request, so the failed-authentication lockout (tested on its own) does
 * not turn the rest of a run into 429s; one in ten shares an address that does get locked out.
 */
const clientIp = fc.oneof(
	{ weight: 9, arbitrary: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)) },
	{ weight: 1, arbitrary: fc.constant(/** @type {[number, number, number]} */ ([0, 2, 1])) },
)

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
const wrongQueryValue = fc.constantFrom(...WRONG_QUERY_VALUES)
const oddHeaderValue = fc.oneof(
	headerText,
	fc.constantFrom('*', 'W/"1"', '"1"', `"${'x'.repeat(60)}"`),
)
const extraQuery = sometimes(
	fc.constantFrom('fz=1', 'token=abc', 'api_key=x', 'limit=1&limit=2', '=&&=', 'a'),
	8,
)
const extraHeaders = fc.record({
	'x-request-id': sometimes(
		fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), headerText),
		20,
	),
	'if-match': sometimes(
		fc.constantFrom('*', '"1"', 'W/"1"', 'garbage', '', `"${'x'.repeat(60)}"`),
		4,
	),
	'idempotency-key': sometimes(
		fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), headerText),
		4,
	),
	accept: sometimes(fc.constantFrom('text/event-stream', '*/*', 'application/xml', 'garbage'), 5),
	'content-encoding': sometimes(fc.constantFrom('gzip', 'br', 'identity', 'x'), 3),
	'x-fuzz-pad': sometimes(
		fc.integer({ min: 4_096, max: 12_000 }).map((n) => 'p'.repeat(n)),
		2,
	),
})
const contentType = fc.oneof(
	{ weight: 17, arbitrary: fc.constant('application/json') },
	{ weight: 1, arbitrary: fc.constant('application/json; charset=utf-8') },
	{ weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
	{ weight: 1, arbitrary: fc.constant(undefined) },
)

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
