// The SSRF guard for every URL a tool fetches for the model (web_fetch and each redirect it follows)
// and every endpoint a tenant chooses (provider base URLs, MCP servers; `tenantUrlRules`): only public
// hosts the agent's lists admit. Pure checks first; the one DNS look-up is last.
//
// checkUrl, in order (the first refusal wins):
// - `invalid_url`: not an absolute URL by the WHATWG parser. The parser also normalises decimal,
//   hex, octal and short IPv4 forms (2130706433, 0x7f.1, 0177.0.0.1, 127.1) to dotted quads,
//   maps full-width digits, percent-decoding and IDNA, and rejects IPv6 zone ids.
// - `scheme`: anything but http: and https:.
// - `credentials`: a user name or password in the URL.
// - `port`: a port on the Fetch standard's "bad port" list (SMTP, SSH, IRC, … cross-protocol).
// - `blocked_address`: an IP literal that is not plain public unicast to ipaddr.js, after the IPv4
//   inside mapped, compatible, NAT64, 6to4 and Teredo IPv6 forms is unwrapped and checked instead;
//   plus the cloud metadata addresses and local-use NAT64 named below.
// - `blocked_name`: localhost and every special-use local name (see BLOCKED_SUFFIXES), metadata
//   host names, and any name without a dot; trailing dots are ignored, hosts compare lowercase.
// - `scheme` again, with `httpsOnly`: a public host over anything but https:.
// - `denied_host`: the agent's denyHosts names the host (deny wins over allow).
// - `not_allowed_host`: allowHosts is non-empty and does not name the host.
// List patterns are exact hosts or `*.example.com`, which matches subdomains but not the apex.
// With `allowLoopback` (local development only), 127.0.0.0/8, ::1 and `localhost` pass, over http
// too; private ranges, link-local and metadata addresses stay refused.
import ipaddr from 'ipaddr.js'

export type SsrfReason =
	| 'invalid_url'
	| 'scheme'
	| 'credentials'
	| 'port'
	| 'blocked_address'
	| 'blocked_name'
	| 'denied_host'
	| 'not_allowed_host'

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: SsrfReason; message: string }

export type AddressCheck =
	| { ok: true; address: string }
	| { ok: false; reason: 'invalid_address' | 'blocked_address'; message: string }

export interface HostLists {
	allowHosts: readonly string[]
	denyHosts: readonly string[]
}

/** What else a caller demands of a URL beyond the defaults (public http or https). */
export interface UrlRules {
	/** https only (endpoints that receive credentials); loopback, when allowed, may use http. */
	httpsOnly?: boolean
	/** Admit loopback hosts: a model or MCP server on the developer's machine. */
	allowLoopback?: boolean
}

/** The rules for URLs a tenant chooses: https and public, loopback only under the dev flag. */
export function tenantUrlRules(env: { EDGECLAW_DEV_ALLOW_LOOPBACK?: unknown }): UrlRules {
	return { httpsOnly: true, allowLoopback: env.EDGECLAW_DEV_ALLOW_LOOPBACK === '1' }
}

/** Fetch standard "bad ports": browsers refuse them to stop cross-protocol attacks. */
const BAD_PORTS = new Set([
	0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102,
	103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465,
	512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993,
	995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668,
	6669, 6679, 6697, 10080,
])

/** Blocked whatever ipaddr.js says of them, and named in the refusal. */
const EXTRA_RANGES = (
	[
		['169.254.169.254/32', 'a cloud metadata address'],
		['169.254.170.2/32', 'a cloud metadata address'],
		['100.100.100.200/32', 'a cloud metadata address'],
		['fd00:ec2::254/128', 'a cloud metadata address'],
		['64:ff9b:1::/48', 'a local-use NAT64 address'],
	] as const
).map(([cidr, label]) => [ipaddr.parseCIDR(cidr), label] as const)

/** Special-use names that only ever mean something on a local network (apex and subdomains). */
const BLOCKED_SUFFIXES = ['localhost', 'local', 'internal', 'lan', 'home.arpa', 'localdomain']

/** Exact names of cloud metadata services outside those suffixes. */
const BLOCKED_NAMES = new Set(['metadata.goog', 'metadata', 'metadata.google.internal'])

const refuse = (reason: SsrfReason, message: string): UrlCheck => ({ ok: false, reason, message })

/** Lowercase, without brackets around IPv6 and without trailing dots. */
export function normaliseHost(hostname: string): string {
	const host = hostname.toLowerCase().replace(/\.+$/, '')
	return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

const LOOPBACK_HINT =
	'; a server on this machine is allowed in local development only, with EDGECLAW_DEV_ALLOW_LOOPBACK=1 in .dev.vars'

/** Checks a URL the model, a redirect or a tenant's config supplied; never throws. */
export function checkUrl(input: string, lists?: HostLists, rules: UrlRules = {}): UrlCheck {
	let url: URL
	try {
		url = new URL(input)
	} catch {
		return refuse('invalid_url', 'not an absolute URL')
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		return refuse('scheme', `the ${url.protocol} scheme is not allowed; use http or https`)
	}
	if (url.username !== '' || url.password !== '') {
		return refuse('credentials', 'URLs with a user name or password are not allowed')
	}
	if (url.port !== '' && BAD_PORTS.has(Number(url.port))) {
		return refuse('port', `port ${url.port} is not allowed`)
	}
	const host = normaliseHost(url.hostname)
	if (host === '') return refuse('invalid_url', 'the URL has no host')
	const loopback = rules.allowLoopback === true && isLoopback(url.hostname, host)
	// A tenant's URL on this machine: say how local development admits it.
	const hint = () =>
		rules.allowLoopback === false && isLoopback(url.hostname, host) ? LOOPBACK_HINT : ''
	if (!loopback && isIpLiteral(url.hostname)) {
		const address = checkAddress(host)
		if (!address.ok) return refuse('blocked_address', `${address.message}${hint()}`)
	} else if (!loopback) {
		const name = checkName(host)
		if (name !== undefined) return refuse('blocked_name', `${name}${hint()}`)
	}
	if (rules.httpsOnly && url.protocol !== 'https:' && !loopback) {
		return refuse('scheme', 'only https URLs are allowed here')
	}
	if (lists) {
		if (lists.denyHosts.some((p) => hostMatches(p, host))) {
			return refuse('denied_host', `${host} is on this agent's deny list`)
		}
		if (lists.allowHosts.length > 0 && !lists.allowHosts.some((p) => hostMatches(p, host))) {
			return refuse('not_allowed_host', `${host} is not on this agent's allow list`)
		}
	}
	return { ok: true, url }
}

/** `localhost`, or an IP literal in 127.0.0.0/8 or ::1 (not the IPv6 forms that wrap one). */
function isLoopback(hostname: string, host: string): boolean {
	if (host === 'localhost') return true
	if (!isIpLiteral(hostname)) return false
	try {
		return ipaddr.parse(host).range() === 'loopback'
	} catch {
		return false
	}
}

/** A parsed URL's hostname is an IP literal: bracketed IPv6, or the dotted quad WHATWG made. */
function isIpLiteral(hostname: string): boolean {
	return hostname.startsWith('[') || ipaddr.IPv4.isValidFourPartDecimal(hostname)
}

/** Why a host name is refused, or undefined when it may be looked up. */
function checkName(host: string): string | undefined {
	if (BLOCKED_NAMES.has(host)) return `${host} is a cloud metadata host`
	for (const suffix of BLOCKED_SUFFIXES) {
		if (host === suffix || host.endsWith(`.${suffix}`)) {
			return `${host} is a local network name (.${suffix})`
		}
	}
	if (!host.includes('.')) return `${host} is not a fully qualified public name`
	return undefined
}

/** True when a list pattern (an exact host or `*.suffix`) names the host. */
export function hostMatches(pattern: string, host: string): boolean {
	const p = normaliseHost(pattern)
	if (p.startsWith('*.')) return host.endsWith(p.slice(1))
	return p === host
}

/**
 * Checks one IP address (an IP literal from a URL or a DNS answer): allowed only when it is
 * public unicast. IPv6 forms that carry an IPv4 address are judged by that IPv4 address.
 */
export function checkAddress(ip: string): AddressCheck {
	let parsed: ipaddr.IPv4 | ipaddr.IPv6
	try {
		parsed = ipaddr.parse(normaliseHost(ip))
	} catch {
		return { ok: false, reason: 'invalid_address', message: `${ip} is not an IP address` }
	}
	const blocked = blockedBecause(parsed)
	if (blocked === undefined) return { ok: true, address: parsed.toString() }
	return { ok: false, reason: 'blocked_address', message: `${ip} is ${blocked}` }
}

function blockedBecause(address: ipaddr.IPv4 | ipaddr.IPv6): string | undefined {
	for (const [range, label] of EXTRA_RANGES) {
		if (address.kind() === range[0].kind() && address.match(range)) return label
	}
	if (address.kind() === 'ipv6') {
		const v6 = address as ipaddr.IPv6
		const inner = embeddedIPv4(v6)
		if (inner !== undefined) {
			const why = blockedBecause(inner)
			return why === undefined ? undefined : `an IPv6 form of ${inner.toString()}, ${why}`
		}
	}
	const range = address.range()
	return range === 'unicast' ? undefined : `a ${range} address, not public unicast`
}

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo), if any. */
function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | undefined {
	const p = v6.parts
	const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff])
	const tail = () => v4(p[6] ?? 0, p[7] ?? 0)
	switch (v6.range()) {
		case 'ipv4Mapped': // ::ffff:a.b.c.d
		case 'rfc6145': // ::ffff:0:a.b.c.d
		case 'rfc6052': // 64:ff9b::a.b.c.d (the local-use /48 is an extra block above)
			return tail()
		case '6to4': // 2002:AABB:CCDD::/48
			return v4(p[1] ?? 0, p[2] ?? 0)
		case 'teredo': {
			// 2001:0:server:flags:port:~client; judge by the worse of server and client.
			const server = v4(p[2] ?? 0, p[3] ?? 0)
			const client = v4(~(p[6] ?? 0) & 0xffff, ~(p[7] ?? 0) & 0xffff)
			return blockedBecause(server) !== undefined ? server : client
		}
		case 'unicast':
			// IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks); `::` and `::1` have
			// their own ranges.
			return p.slice(0, 6).every((x) => x === 0) ? tail() : undefined
		default:
			return undefined
	}
}

// --- The DNS check (I/O, kept apart from the pure checks above) ---

export type DnsCheck =
	| { ok: true; addresses: string[] }
	| { ok: false; reason: 'blocked_address' | 'dns_failed'; message: string }

const DOH_ENDPOINT = 'https://cloudflare-dns.com/dns-query'
const RECORD_TYPES = { A: 1, AAAA: 28 } as const

interface DohAnswer {
	Status?: number
	Answer?: Array<{ type?: number; data?: string }>
}

/**
 * Resolves `host` over DNS-over-HTTPS (A and AAAA) and refuses it when any answer is a blocked
 * address (DNS rebinding, names that point inside). Workers' fetch cannot reach private networks
 * directly; this closes names that point at them anyway, and at the edge's own loopback or
 * metadata addresses. IP literals are returned as they are (checkUrl has judged them). A look-up
 * that fails, or a name with no address, is refused: the guard fails closed.
 */
export async function resolvePublic(
	host: string,
	fetch: typeof globalThis.fetch,
	signal?: AbortSignal,
): Promise<DnsCheck> {
	const name = normaliseHost(host)
	if (ipaddr.isValid(name)) {
		const address = checkAddress(name)
		return address.ok ? { ok: true, addresses: [address.address] } : blockedDns(address.message)
	}
	const answers = await Promise.all(
		(Object.keys(RECORD_TYPES) as Array<keyof typeof RECORD_TYPES>).map((type) =>
			lookup(name, type, fetch, signal),
		),
	)
	const addresses: string[] = []
	for (const answer of answers) {
		if (typeof answer === 'string') return { ok: false, reason: 'dns_failed', message: answer }
		for (const ip of answer) {
			const address = checkAddress(ip)
			if (!address.ok) return blockedDns(`${name} resolves to ${address.message}`)
			addresses.push(address.address)
		}
	}
	if (addresses.length === 0) {
		return { ok: false, reason: 'dns_failed', message: `${name} has no A or AAAA record` }
	}
	return { ok: true, addresses }
}

const blockedDns = (message: string): DnsCheck => ({
	ok: false,
	reason: 'blocked_address',
	message,
})

/** The addresses of one record type, or a message saying why the look-up failed. */
async function lookup(
	name: string,
	type: keyof typeof RECORD_TYPES,
	fetch: typeof globalThis.fetch,
	signal?: AbortSignal,
): Promise<string[] | string> {
	const url = `${DOH_ENDPOINT}?name=${encodeURIComponent(name)}&type=${type}`
	let body: DohAnswer
	try {
		const response = await fetch(url, { headers: { accept: 'application/dns-json' }, signal })
		if (!response.ok) {
			await response.body?.cancel()
			return `DNS look-up of ${name} failed (HTTP ${response.status})`
		}
		body = (await response.json()) as DohAnswer
	} catch (error) {
		signal?.throwIfAborted()
		const message = error instanceof Error ? error.message : String(error)
		return `DNS look-up of ${name} failed: ${message.slice(0, 200)}`
	}
	// NXDOMAIN (3) is an answer: no records. Anything else but NOERROR is a failure.
	if (body.Status !== 0 && body.Status !== 3) {
		return `DNS look-up of ${name} failed (status ${String(body.Status)})`
	}
	return (body.Answer ?? [])
		.filter((a) => a.type === RECORD_TYPES[type] && typeof a.data === 'string')
		.map((a) => a.data as string)
}
