// Hostile inputs: path segments, query and header values, credentials and bodies that are not
// what the gateway expects — wrong types, missing and extra members, huge strings, deep nesting,
// invalid JSON, the wrong content type, oversized headers.
import fc from 'fast-check'
import { sometimes } from './schema-values.mjs'

/**
 * @template T
 * @typedef {import('./schema-values.mjs').Arbitrary<T>} Arbitrary
 */
/**
 * A body is a list of parts so that megabyte strings and deep nesting stay small to keep, print
 * and reproduce: text, a text repeated, or raw bytes.
 * @typedef {string | { repeat: string, times: number } | { bytes: number[] }} BodyPart
 */

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

export const hostileSegment = fc.oneof(
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
export const headerText = fc.string({
	unit: fc.constantFrom(...' !#$%&()*+,-./0123456789:;<=>?@ABCXYZ[]^_`abcxyz{|}~"\''.split('')),
	maxLength: 60,
})

export const BAD_AUTH = [
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
export function broken(valid) {
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
export function malformed(valid) {
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

/**
 * A client address per request, so the failed-authentication lockout (tested on its own) does
 * not turn the rest of a run into 429s; one in ten shares an address that does get locked out.
 */
export const clientIp = fc.oneof(
	{ weight: 9, arbitrary: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)) },
	{ weight: 1, arbitrary: fc.constant(/** @type {[number, number, number]} */ ([0, 2, 1])) },
)

export const wrongQueryValue = fc.constantFrom(...WRONG_QUERY_VALUES)
export const oddHeaderValue = fc.oneof(
	headerText,
	fc.constantFrom('*', 'W/"1"', '"1"', `"${'x'.repeat(60)}"`),
)
export const extraQuery = sometimes(
	fc.constantFrom('fz=1', 'token=abc', 'api_key=x', 'limit=1&limit=2', '=&&=', 'a'),
	8,
)
export const extraHeaders = fc.record({
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
export const contentType = fc.oneof(
	{ weight: 17, arbitrary: fc.constant('application/json') },
	{ weight: 1, arbitrary: fc.constant('application/json; charset=utf-8') },
	{ weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
	{ weight: 1, arbitrary: fc.constant(undefined) },
)
