// The deployment's own secrets, locally and on deploy: which lines `.dev.vars` lacks (or still
// holds a placeholder for) and the file with them filled in, and whether `wrangler secret list`
// shows every secret a deployment needs. Pure: randomness and command output are passed in, so
// the decisions are tested without a shell or an account (test/contract/local-secrets.test.ts).

/** Every secret the Worker needs to run, with how a fresh local value is made. */
export const REQUIRED_SECRETS = /** @type {const} */ ([
	{ name: 'EDGECLAW_ADMIN_TOKEN', kind: 'token' },
	{ name: 'EDGECLAW_SECRETS_KEY', kind: 'key' },
	{ name: 'EDGECLAW_AUDIT_KEY', kind: 'key' },
])

/** @param {string} value */
function isKey(value) {
	if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return false
	return Buffer.from(value, 'base64').length === 32
}

/**
 * True when a value is missing or not usable: empty, a `replace-with-…` placeholder, a token
 * under 24 characters, or a key that is not 32 bytes of base64.
 * @param {'token' | 'key'} kind
 * @param {string | undefined} value
 */
export function needsValue(kind, value) {
	if (value === undefined || value === '' || value.startsWith('replace-with')) return true
	return kind === 'key' ? !isKey(value) : value.length < 24
}

/** @param {string} line */
const parseLine = (line) => {
	const m = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line)
	if (!m) return undefined
	const raw = m[2] ?? ''
	const value = /^"(.*)"$/.exec(raw)?.[1] ?? /^'(.*)'$/.exec(raw)?.[1] ?? raw
	return { name: m[1] ?? '', value }
}

/**
 * `.dev.vars` with every required secret present and usable: placeholder lines are replaced in
 * place, missing ones appended; every other line is kept as written.
 * @param {string} text the current file ('' when there is none)
 * @param {(bytes: number) => Buffer} random
 * @returns {{ text: string, added: string[], replaced: string[] }}
 */
export function completeDevVars(text, random) {
	/** @param {'token' | 'key'} kind */
	const fresh = (kind) =>
		kind === 'key' ? random(32).toString('base64') : random(32).toString('base64url')
	const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n')
	/** @type {string[]} */
	const added = []
	/** @type {string[]} */
	const replaced = []
	for (const { name, kind } of REQUIRED_SECRETS) {
		const at = lines.findIndex((l) => parseLine(l)?.name === name)
		if (at < 0) {
			lines.push(`${name}=${fresh(kind)}`)
			added.push(name)
		} else if (needsValue(kind, parseLine(lines[at] ?? '')?.value)) {
			lines[at] = `${name}=${fresh(kind)}`
			replaced.push(name)
		}
	}
	return { text: `${lines.join('\n')}\n`, added, replaced }
}

/**
 * The secret names in `wrangler secret list` output (JSON, or the older table/lines format).
 * @param {string} output
 * @returns {Set<string>}
 */
export function secretNames(output) {
	try {
		const parsed = JSON.parse(output)
		if (Array.isArray(parsed)) {
			return new Set(parsed.map((s) => s?.name).filter((n) => typeof n === 'string'))
		}
	} catch {}
	return new Set(output.match(/\b[A-Z][A-Z0-9_]{2,}\b/g) ?? [])
}

/**
 * Deploy's preflight: the required secrets `wrangler secret list` does not show.
 * @param {string} output
 * @returns {string[]}
 */
export function missingDeploySecrets(output) {
	const names = secretNames(output)
	return REQUIRED_SECRETS.map((s) => s.name).filter((n) => !names.has(n))
}
