#!/usr/bin/env node
// Checks exported audit checkpoints offline: each signature against the deployment's public key
// (GET /v1/audit/public-key), and, given a later export of the log (GET /v1/audit pages), that
// the chain still has each checkpoint's hash at its seq. Needs nothing from the deployment.
//
//   node scripts/audit-verify-checkpoint.mjs <checkpoints.json> <public-key.json> [entries.json ...]
//
// checkpoints.json: one checkpoint, an array, or a `GET …/checkpoints` answer; public-key.json: a
// JWK or the `GET /v1/audit/public-key` answer; entries.json: `GET /v1/audit` answers or arrays of
// entries. Exits 1 when anything does not hold. Plain WebCrypto: Node 20+, browsers, Workers.

const CHECKPOINT_TYPE = 'edgeclaw.audit.checkpoint'

/**
 * @typedef {{ type: string, tenant: string, seq: number, hash: string, ts: number, kid: string, signature: string }} Checkpoint
 * @typedef {{ kty?: string, crv?: string, x?: string, kid?: string }} Jwk
 * @typedef {{ seq: number, hash: string }} Entry
 * @typedef {{ seq: number, tenant: string, ok: boolean, problem?: string }} Result
 */

/**
 * JSON with object keys sorted at every level, no spaces: the bytes the signature covers.
 * @param {unknown} value
 * @returns {string}
 */
export function canonicalJson(value) {
	if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
	const entries = Object.entries(/** @type {Record<string, unknown>} */ (value))
		.filter(([, v]) => v !== undefined)
		.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
	return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

const fromBase64url = (/** @type {string} */ text) => {
	const b64 = text.replace(/-/g, '+').replace(/_/g, '/')
	return Uint8Array.from(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '=')), (c) =>
		c.charCodeAt(0),
	)
}

/** A bare item, an array of them, or an API answer holding them under `field`. */
const listOf = (/** @type {any} */ doc, /** @type {string} */ field) =>
	Array.isArray(doc) ? doc : Array.isArray(doc?.[field]) ? doc[field] : [doc]

/**
 * Checks checkpoints against public keys (JWKs, matched by `kid`) and, optionally, log entries.
 * @param {Partial<Checkpoint>[]} checkpoints
 * @param {Jwk[]} keys
 * @param {Entry[]} [entries]
 * @returns {Promise<Result[]>}
 */
export async function verifyCheckpoints(checkpoints, keys, entries = []) {
	const byKid = new Map()
	for (const jwk of keys) {
		if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') continue
		const key = await crypto.subtle.importKey(
			'jwk',
			{ kty: 'OKP', crv: 'Ed25519', x: jwk.x },
			{ name: 'Ed25519' },
			false,
			['verify'],
		)
		byKid.set(jwk.kid, key)
	}
	const hashAt = new Map(entries.map((e) => [e.seq, e.hash]))
	const results = []
	for (const c of checkpoints) {
		/** @type {Result} */
		const result = { seq: Number(c?.seq), tenant: String(c?.tenant), ok: false }
		results.push(result)
		if (c?.type !== CHECKPOINT_TYPE || typeof c.signature !== 'string') {
			result.problem = 'not an edgeclaw audit checkpoint'
			continue
		}
		const key = byKid.get(c.kid)
		if (!key) {
			result.problem = `no public key with kid ${c.kid}`
			continue
		}
		const { type, tenant, seq, hash, ts, kid } = c
		const message = new TextEncoder().encode(canonicalJson({ type, tenant, seq, hash, ts, kid }))
		let signature
		try {
			signature = fromBase64url(c.signature)
		} catch {
			result.problem = 'the signature is not base64url'
			continue
		}
		if (!(await crypto.subtle.verify('Ed25519', key, signature, message))) {
			result.problem = 'the signature does not hold: the checkpoint was altered or is forged'
			continue
		}
		if (hashAt.has(result.seq) && hashAt.get(result.seq) !== hash) {
			result.problem = `the log now has another hash at seq ${seq}: the chain was rewritten`
			continue
		}
		result.ok = true
	}
	return results
}

/** @param {string[]} argv */
async function main(argv) {
	const { readFile } = await import('node:fs/promises')
	const [checkpointsFile, keyFile, ...entryFiles] = argv
	if (!checkpointsFile || !keyFile) {
		console.error(
			'usage: node scripts/audit-verify-checkpoint.mjs <checkpoints.json> <public-key.json> [entries.json ...]',
		)
		return 2
	}
	const read = async (/** @type {string} */ f) => JSON.parse(await readFile(f, 'utf8'))
	const checkpoints = listOf(await read(checkpointsFile), 'checkpoints')
	const keys = listOf(await read(keyFile), 'keys')
	/** @type {Entry[]} */
	const entries = []
	for (const f of entryFiles) entries.push(...listOf(await read(f), 'entries'))
	const results = await verifyCheckpoints(checkpoints, keys, entries)
	for (const r of results) {
		const where = `${r.tenant ?? '?'} seq ${r.seq ?? '?'}`
		const matched = entries.some((e) => e.seq === r.seq) ? ' (matches the log)' : ''
		console.log(r.ok ? `ok    ${where}${matched}` : `FAIL  ${where}: ${r.problem}`)
	}
	if (results.length === 0) console.log('no checkpoints in the file')
	return results.length > 0 && results.every((r) => r.ok) ? 0 : 1
}

if (globalThis.process?.argv?.[1]?.endsWith('audit-verify-checkpoint.mjs')) {
	main(process.argv.slice(2)).then(
		(code) => {
			process.exitCode = code
		},
		(error) => {
			console.error(error instanceof Error ? error.message : error)
			process.exitCode = 2
		},
	)
}
