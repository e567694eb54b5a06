// Refuses, inside a sandbox isolate, any single allocation larger than a production isolate's whole
// memory: workerd enforces no memory limit locally, where `new ArrayBuffer(2 ** 30)` would succeed.

/**
 * Cloudflare ends an isolate that uses more than 128 MB; one block that large could never succeed
 * there, so refusing it locally changes nothing for code that works in production.
 */
export const MAX_ALLOCATION_BYTES = 128 * 1024 * 1024

const WASM_PAGE_BYTES = 65_536

/**
 * Source of `limits.js` inside the sandbox isolate: it has no exports and runs at startup, before
 * the code, replacing the built-ins that turn one number into one block of memory — `ArrayBuffer`
 * and `SharedArrayBuffer` (with `maxByteLength` and `transfer`), every typed array, `Buffer`,
 * `WebAssembly.Memory` (its maximum is capped, so `grow` is too) and `String#repeat`/`padStart`/
 * `padEnd` — with checked ones, also as each prototype's `constructor`, so the originals are out of
 * the code's reach. A size is converted once and the converted value is what the original gets: a
 * `valueOf` cannot answer the check and the allocation differently. Typed arrays copy an array-like
 * or iterable source through a counted list for the same reason. This is not a memory limit:
 * memory grown piece by piece (arrays, strings, objects) is not counted; see docs/tools.md.
 */
export const ALLOCATION_CAP_MODULE = `const CAP = ${MAX_ALLOCATION_BYTES}
const PAGES = ${MAX_ALLOCATION_BYTES / WASM_PAGE_BYTES}
const PAGE = ${WASM_PAGE_BYTES}
const { apply, construct, defineProperty, getOwnPropertyDescriptor, getPrototypeOf } = Reflect
const ProxyOf = Proxy
const Refusal = RangeError
const ArrayOf = Array
const Bytes = Uint8Array
const arrayFrom = Array.from
const floor = Math.floor
const min = Math.min
const ITERATOR = Symbol.iterator
const TypedArray = getPrototypeOf(Uint8Array)
const setTyped = TypedArray.prototype.set
const typedLength = getOwnPropertyDescriptor(TypedArray.prototype, 'length').get
const bufferLength = getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get
const sharedLength =
	typeof SharedArrayBuffer === 'function'
		? getOwnPropertyDescriptor(SharedArrayBuffer.prototype, 'byteLength').get
		: undefined

// Argument lists and option bags handed to the originals are literals (null-prototype for bags):
// an index or option assigned afterwards would run a setter the code put on a prototype.

function check(bytes) {
	if (bytes > CAP) {
		throw new Refusal('the sandbox refuses to allocate ' + bytes + ' bytes at once (at most ' + CAP + ')')
	}
}

/** ToLength: what the built-ins make of an array-like's length. */
function toLength(value) {
	const n = floor(+value)
	return n > 0 ? n : 0
}

function branded(getter, value) {
	if (getter === undefined) return false
	try {
		apply(getter, value, [])
		return true
	} catch {
		return false
	}
}

const isObject = (value) => (typeof value === 'object' && value !== null) || typeof value === 'function'
const isBuffer = (value) => branded(bufferLength, value) || branded(sharedLength, value)
const isTyped = (value) => branded(typedLength, value)

function define(holder, name, value) {
	defineProperty(holder, name, { __proto__: null, value, writable: true, configurable: true, enumerable: false })
}

/** Swaps a constructor (and its prototype's \`constructor\`) for a proxy with these traps. */
function replace(holder, name, traps) {
	const original = holder[name]
	if (typeof original !== 'function') return
	// A handler with a prototype would take any trap it lacks from Object.prototype, where the
	// code could put one that is handed the original as its target.
	const checked = new ProxyOf(original, { __proto__: null, ...traps })
	define(holder, name, checked)
	if (isObject(original.prototype)) define(original.prototype, 'constructor', checked)
}

/** Replaces a method with one that first checks, and converts, its receiver and arguments. */
function guard(holder, name, checkCall) {
	const original = holder[name]
	if (typeof original !== 'function') return
	define(holder, name, {
		[name](...args) {
			// Read as properties, not destructured: destructuring runs the array iterator.
			const call = checkCall(this, args)
			return apply(original, call.self, call.args)
		},
	}[name])
}

/** (length, { maxByteLength }) of ArrayBuffer and SharedArrayBuffer, each converted once. */
function bufferArgs(args) {
	if (args.length === 0) return []
	const length = +args[0]
	check(length)
	const options = args[1]
	if (!isObject(options)) return args.length > 1 ? [length, options] : [length]
	const max = options.maxByteLength
	if (max === undefined) return [length, { __proto__: null }]
	const limit = +max
	check(limit)
	return [length, { __proto__: null, maxByteLength: limit }]
}

for (const name of ['ArrayBuffer', 'SharedArrayBuffer']) {
	replace(globalThis, name, {
		construct: (target, args, newTarget) => construct(target, bufferArgs(args), newTarget),
	})
}
for (const name of ['transfer', 'transferToFixedLength']) {
	guard(ArrayBuffer.prototype, name, (self, args) => {
		if (args.length === 0 || args[0] === undefined) return { self, args: [] }
		const length = +args[0]
		check(length)
		return { self, args: [length] }
	})
}

/** An iterable source as a counted list (undefined for an array-like): counted before allocating. */
function listOf(source) {
	const iterate = source[ITERATOR]
	if (iterate == null) return undefined
	return apply(arrayFrom, ArrayOf, [{ __proto__: null, [ITERATOR]: () => apply(iterate, source, []) }])
}

for (const name of [
	'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
	'Uint32Array', 'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
]) {
	const bytes = globalThis[name]?.BYTES_PER_ELEMENT
	replace(globalThis, name, {
		construct(target, args, newTarget) {
			const source = args[0]
			if (!isObject(source)) {
				if (args.length === 0 || source === undefined) return construct(target, [], newTarget)
				const length = +source
				check(length * bytes)
				return construct(target, [length], newTarget)
			}
			// A view of an existing buffer allocates nothing.
			if (isBuffer(source)) return construct(target, args, newTarget)
			if (isTyped(source)) {
				check(apply(typedLength, source, []) * bytes)
				return construct(target, [source], newTarget)
			}
			// Filled from the counted list, or with the counted length: a getter or a proxy cannot
			// report one length to the check and another to the allocation.
			const list = listOf(source)
			const length = list === undefined ? toLength(source.length) : list.length
			check(length * bytes)
			const array = construct(target, [length], newTarget)
			apply(setTyped, array, [list === undefined ? source : list])
			return array
		},
	})
}

const NodeBuffer = globalThis.Buffer
if (typeof NodeBuffer === 'function') {
	const sized = (self, args) => {
		if (typeof args[0] === 'number') check(args[0])
		return { self, args }
	}
	for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow']) guard(NodeBuffer, name, sized)
	guard(NodeBuffer, 'concat', (self, args) => {
		if (typeof args[1] === 'number') check(args[1])
		return { self, args }
	})
	guard(NodeBuffer, 'from', (self, args) => {
		const source = args[0]
		if (!isObject(source) || isBuffer(source) || isTyped(source)) return { self, args }
		const length = source.length
		if (typeof length !== 'number') return { self, args }
		// Buffer.from(arrayLike) keeps the low byte of each element, as a Uint8Array does.
		const counted = toLength(length)
		check(counted)
		const copy = new Bytes(counted)
		apply(setTyped, copy, [source])
		return { self, args: [copy] }
	})
	// Buffer(n) allocates; Buffer(anything else) is Buffer.from.
	const from = NodeBuffer.from
	const create = (args, make) => {
		if (typeof args[0] !== 'number') return apply(from, NodeBuffer, args)
		check(args[0])
		return make()
	}
	replace(globalThis, 'Buffer', {
		apply: (target, self, args) => create(args, () => apply(target, self, args)),
		construct: (target, args, newTarget) => create(args, () => construct(target, args, newTarget)),
	})
}

if (typeof WebAssembly === 'object') {
	replace(WebAssembly, 'Memory', {
		construct(target, args, newTarget) {
			const descriptor = args[0]
			if (!isObject(descriptor)) return construct(target, args, newTarget)
			const initial = +descriptor.initial
			check(initial * PAGE)
			const asked = descriptor.maximum
			const maximum = asked === undefined ? PAGES : min(+asked, PAGES)
			const shared = descriptor.shared
			const capped =
				shared === undefined
					? { __proto__: null, initial, maximum }
					: { __proto__: null, initial, maximum, shared }
			return construct(target, [capped], newTarget)
		},
	})
}

guard(String.prototype, 'repeat', (self, args) => {
	if (self == null) return { self, args }
	const text = \`\${self}\`
	const count = +args[0]
	// Counted as UTF-16, two bytes a unit, whatever V8 stores.
	check(text.length * count * 2)
	return { self: text, args: [count] }
})
for (const name of ['padStart', 'padEnd']) {
	guard(String.prototype, name, (self, args) => {
		const length = +args[0]
		check(length * 2)
		return { self, args: args.length > 1 ? [length, args[1]] : [length] }
	})
}
`
