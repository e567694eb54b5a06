// What `npm run dev` lets through of wrangler's output. Its own banner already says what runs and
// where, so wrangler's start-up chatter is dropped: the banner, the bindings table (printed twice),
// the container list, the AI-binding and cron notes, the `Request.cf` lookup that fails offline,
// runtime compile-cache notices. Request logs, the Worker's own logs, warnings and errors that are
// not on the list pass through unchanged.

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
const ANSI = /\x1b\[[0-9;]*m/g

/** Single lines that say nothing the banner does not. */
const DROP = [
	/^\s*⛅️ wrangler /,
	/^─+$/,
	/^Using (secrets|vars) defined in /,
	/^⎔ (Starting local server|Reloading local server|Connection status updated)/,
	/Parsed \d+ valid header rules?/,
	/AI bindings always access remote resources/,
	/NOSENTRY per-isolate bootstrap compile cache/,
	/Unable to fetch the `Request\.cf` object/,
	/^Error: getaddrinfo \w+ workers\.cloudflare\.com/,
	/^\s*Resource location: local/,
	/^Use --remote if you want to access the remote instance/,
]

/**
 * A stateful line filter: each raw line (colours and all) in, the line to print or null out.
 * @param {{ ready: (url: string) => string }} options what to print for wrangler's "Ready on <url>"
 * @returns {(raw: string) => string | null}
 */
export function devOutputFilter({ ready }) {
	/** @type {null | 'bindings' | 'containers' | 'stack' | 'indented'} */
	let skipping = null
	return (raw) => {
		const line = raw.replace(ANSI, '').trimEnd()
		if (skipping === 'bindings') {
			if (line === '') skipping = null
			return null
		}
		if (skipping === 'containers') {
			if (line.startsWith('- ') || line === '') return null
			skipping = null
		}
		if (skipping === 'stack') {
			if (/^\s+at /.test(line)) return null
			skipping = null
		}
		if (skipping === 'indented') {
			if (line === '' || /^\s/.test(line)) return null
			skipping = null
		}
		if (line === '') return null
		if (/^Your Worker has access to the following bindings:/.test(line)) {
			skipping = 'bindings'
			return null
		}
		if (/^The following containers are available:/.test(line)) {
			skipping = 'containers'
			return null
		}
		if (/Scheduled Workers are not automatically triggered/.test(line)) {
			skipping = 'indented'
			return null
		}
		if (/^Error: getaddrinfo \w+ workers\.cloudflare\.com/.test(line)) {
			skipping = 'stack'
			return null
		}
		if (DROP.some((pattern) => pattern.test(line))) return null
		const readyOn = /Ready on (http\S+)/.exec(line)
		if (readyOn?.[1]) return ready(readyOn[1])
		return raw
	}
}
