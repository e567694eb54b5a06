// Values of a JSON Schema (the OpenAPI document's) as fast-check arbitraries: valid ones, with
// optional members sparse so that generated requests get past validation as well as fail it.
import fc from 'fast-check'

/**
 * @template T
 * @typedef {import('fast-check').Arbitrary<T>} Arbitrary
 */
/**
 * A JSON Schema node of the OpenAPI document (3.1: JSON Schema 2020-12).
 * @typedef {Record<string, any>} Schema
 * @typedef {{ paths: Record<string, Record<string, any>>, components?: { schemas?: Record<string, Schema> }, security?: unknown[] }} OpenAPIDocument
 */

/** @param {OpenAPIDocument} doc @param {Schema | undefined} schema @returns {Schema} */
export function resolve(doc, schema) {
	let s = schema ?? {}
	for (let i = 0; i < 16 && typeof s.$ref === 'string'; i++) {
		const name = s.$ref.replace('#/components/schemas/', '')
		s = doc.components?.schemas?.[name] ?? {}
	}
	return s
}

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
export function stringOf(schema) {
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

/**
 * `arb` in `pct` % of draws, otherwise undefined.
 * @template T @param {Arbitrary<T>} arb @param {number} pct
 * @returns {Arbitrary<T | undefined>}
 */
export const sometimes = (arb, pct) =>
	fc.oneof(
		{ weight: 100 - pct, arbitrary: fc.constant(undefined) },
		{ weight: pct, arbitrary: arb },
	)
