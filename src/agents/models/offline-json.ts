// The offline model's structured output: a JSON value built from a JSON Schema, deterministically,
// so a test can check that a requested shape came back. Strings carry the answer text, numbers
// their minimum (else 0), booleans true, arrays one item (or minItems), enums and consts their
// first value, unions their first non-null branch; local `$ref`s are followed.

type Schema = Record<string, unknown>

const MAX_DEPTH = 8

const isSchema = (v: unknown): v is Schema =>
	typeof v === 'object' && v !== null && !Array.isArray(v)

/** JSON text for `text` in the shape of `schema`; without a schema, `{"answer": text}`. */
export function jsonAnswer(text: string, schema: Schema | undefined): string {
	if (!isSchema(schema)) return JSON.stringify({ answer: text })
	return JSON.stringify(valueFor(schema, schema, text, 0))
}

function resolve(root: Schema, ref: string): Schema | undefined {
	const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref)
	const defs = m ? root[m[1] as string] : undefined
	const target = isSchema(defs)
		? defs[decodeURIComponent(m?.[2] ?? '')]
		: ref === '#'
			? root
			: undefined
	return isSchema(target) ? target : undefined
}

function typeOf(schema: Schema): string | undefined {
	const t = schema.type
	if (typeof t === 'string') return t
	if (Array.isArray(t)) return t.find((x) => x !== 'null') ?? t[0]
	if (isSchema(schema.properties)) return 'object'
	if (schema.items !== undefined) return 'array'
	return undefined
}

function valueFor(root: Schema, schema: Schema, text: string, depth: number): unknown {
	if (depth > MAX_DEPTH) return null
	if (typeof schema.$ref === 'string') {
		const target = resolve(root, schema.$ref)
		return target ? valueFor(root, target, text, depth + 1) : null
	}
	if ('const' in schema) return schema.const
	if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
	for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
		const branches = schema[key]
		if (!Array.isArray(branches)) continue
		const branch = branches.find((b) => isSchema(b) && b.type !== 'null') ?? branches.find(isSchema)
		if (isSchema(branch)) return valueFor(root, branch, text, depth + 1)
	}
	switch (typeOf(schema)) {
		case 'object': {
			const props = isSchema(schema.properties) ? schema.properties : {}
			const out: Record<string, unknown> = {}
			for (const [key, prop] of Object.entries(props)) {
				if (isSchema(prop)) out[key] = valueFor(root, prop, text, depth + 1)
			}
			return out
		}
		case 'array': {
			const items = isSchema(schema.items) ? schema.items : {}
			const min = typeof schema.minItems === 'number' ? schema.minItems : 1
			const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, 1)
			const n = Math.min(Math.max(min, 1), max, 16)
			return Array.from({ length: n }, () => valueFor(root, items, text, depth + 1))
		}
		case 'string': {
			const max = typeof schema.maxLength === 'number' ? schema.maxLength : undefined
			const min = typeof schema.minLength === 'number' ? schema.minLength : 0
			const s = max === undefined ? text : text.slice(0, max)
			return s.length < min ? s.padEnd(min, '.') : s
		}
		case 'integer':
		case 'number': {
			if (typeof schema.minimum === 'number') return schema.minimum
			if (typeof schema.exclusiveMinimum === 'number') return schema.exclusiveMinimum + 1
			if (typeof schema.maximum === 'number' && schema.maximum < 0) return schema.maximum
			return 0
		}
		case 'boolean':
			return true
		case 'null':
			return null
		default:
			return text
	}
}
