// The SSRF guard against a corpus of known bypasses (each with the reason it must give), public
// URLs that must pass, the agent's allow/deny lists, the DNS check, and generated addresses.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
	checkAddress,
	checkUrl,
	hostMatches,
	resolvePublic,
	type SsrfReason,
	tenantUrlRules,
} from '../../src/security/ssrf'

const BLOCKED: ReadonlyArray<readonly [string, SsrfReason]> = [
	// IPv4 loopback, in every spelling the WHATWG parser folds into 127.0.0.1
	['http://127.0.0.1/', 'blocked_address'],
	['http://127.0.0.1:8080/admin', 'blocked_address'],
	['http://127.255.255.254/', 'blocked_address'],
	['http://2130706433/', 'blocked_address'],
	['http://0x7f000001/', 'blocked_address'],
	['http://0x7f.1/', 'blocked_address'],
	['http://0177.0.0.1/', 'blocked_address'],
	['http://0177.1/', 'blocked_address'],
	['http://127.1/', 'blocked_address'],
	['http://127.0.1/', 'blocked_address'],
	['http://127.0.0.1./', 'blocked_address'],
	['http://%31%32%37.0.0.1/', 'blocked_address'],
	['http://１２７.０.０.１/', 'blocked_address'],
	['http://127.0.0.1\\@example.com/', 'blocked_address'],
	// unspecified, private, CGNAT, multicast, broadcast, reserved, benchmarking, TEST-NETs
	['http://0/', 'blocked_address'],
	['http://0.0.0.0:3000/', 'blocked_address'],
	['http://10.0.0.1/', 'blocked_address'],
	['http://10.255.255.255/', 'blocked_address'],
	['http://172.16.0.1/', 'blocked_address'],
	['http://172.31.255.255/', 'blocked_address'],
	['http://192.168.1.1/', 'blocked_address'],
	['http://100.64.0.1/', 'blocked_address'],
	['http://224.0.0.1/', 'blocked_address'],
	['http://255.255.255.255/', 'blocked_address'],
	['http://240.0.0.1/', 'blocked_address'],
	['http://198.18.0.1/', 'blocked_address'],
	['http://192.0.0.1/', 'blocked_address'],
	['http://192.0.2.1/', 'blocked_address'],
	['http://198.51.100.7/', 'blocked_address'],
	['http://203.0.113.9/', 'blocked_address'],
	// cloud metadata, plain and disguised
	['http://169.254.169.254/latest/meta-data/', 'blocked_address'],
	['http://169.254.170.2/v2/credentials', 'blocked_address'],
	['http://100.100.100.200/latest/meta-data/', 'blocked_address'],
	['http://2852039166/', 'blocked_address'],
	['https://0xa9.0xfe.0xa9.0xfe/', 'blocked_address'],
	['http://0251.0376.0251.0376/', 'blocked_address'],
	['http://[fd00:ec2::254]/latest/meta-data/', 'blocked_address'],
	// IPv6 loopback, unspecified, link-local, unique-local, site-local, multicast, documentation
	['http://[::1]/', 'blocked_address'],
	['http://[0:0:0:0:0:0:0:1]/', 'blocked_address'],
	['http://[0000:0000:0000:0000:0000:0000:0000:0001]:80/', 'blocked_address'],
	['http://[::]/', 'blocked_address'],
	['http://[fe80::1]/', 'blocked_address'],
	['http://[FE80::abcd:1]/', 'blocked_address'],
	['http://[fc00::1]/', 'blocked_address'],
	['http://[fec0::1]/', 'blocked_address'],
	['http://[ff02::1]/', 'blocked_address'],
	['http://[2001:db8::1]/', 'blocked_address'],
	// IPv6 forms that carry a blocked IPv4 address
	['http://[::ffff:127.0.0.1]/', 'blocked_address'],
	['http://[::ffff:7f00:1]/', 'blocked_address'],
	['http://[::ffff:169.254.169.254]/', 'blocked_address'],
	['http://[::ffff:10.0.0.1]:8080/', 'blocked_address'],
	['http://[::ffff:0:127.0.0.1]/', 'blocked_address'],
	['http://[::127.0.0.1]/', 'blocked_address'],
	['http://[::10.0.0.1]/', 'blocked_address'],
	['http://[64:ff9b::127.0.0.1]/', 'blocked_address'],
	['http://[64:ff9b::a9fe:a9fe]/', 'blocked_address'],
	['http://[64:ff9b:1::808:808]/', 'blocked_address'],
	['http://[2002:7f00:1::]/', 'blocked_address'],
	['http://[2002:a9fe:a9fe::1]/', 'blocked_address'],
	['http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', 'blocked_address'],
	// zone ids and malformed hosts never parse
	['http://[fe80::1%25eth0]/', 'invalid_url'],
	['http://[fe80::1%eth0]/', 'invalid_url'],
	['http://[::1/', 'invalid_url'],
	['http://256.0.0.1/', 'invalid_url'],
	['http://1.2.3.4.5/', 'invalid_url'],
	['http://', 'invalid_url'],
	['//example.com/relative', 'invalid_url'],
	['', 'invalid_url'],
	// local and metadata names, any case, with trailing dots
	['http://localhost/', 'blocked_name'],
	['http://LOCALHOST:3000/', 'blocked_name'],
	['http://localhost./', 'blocked_name'],
	['http://LocalHost../', 'blocked_name'],
	['http://ｌｏｃａｌｈｏｓｔ/', 'blocked_name'],
	['http://api.localhost/', 'blocked_name'],
	['http://printer.local/', 'blocked_name'],
	['http://db.internal./', 'blocked_name'],
	['http://metadata.google.internal/computeMetadata/v1/', 'blocked_name'],
	['http://METADATA.GOOGLE.INTERNAL./', 'blocked_name'],
	['http://metadata.goog/', 'blocked_name'],
	['http://metadata/', 'blocked_name'],
	['http://router.lan/', 'blocked_name'],
	['http://nas.home.arpa/', 'blocked_name'],
	['http://box.localdomain/', 'blocked_name'],
	['http://intranet/', 'blocked_name'],
	// schemes other than http(s)
	['file:///etc/passwd', 'scheme'],
	['FILE:///etc/passwd', 'scheme'],
	['ftp://example.com/', 'scheme'],
	['gopher://127.0.0.1:70/_GET%20/', 'scheme'],
	['data:text/plain,hello', 'scheme'],
	['javascript:alert(1)', 'scheme'],
	['ws://example.com/socket', 'scheme'],
	['dict://example.com:11211/stat', 'scheme'],
	// credentials (also the classic "looks like the host" trick)
	['http://user:pass@example.com/', 'credentials'],
	['http://user@example.com/', 'credentials'],
	['http://:pass@example.com/', 'credentials'],
	['http://127.0.0.1:80@example.com/', 'credentials'],
	['http://example.com@127.0.0.1/', 'credentials'],
	// cross-protocol ports
	['http://example.com:25/', 'port'],
	['http://example.com:22/', 'port'],
	['https://example.com:6667/', 'port'],
]

const PUBLIC = [
	'https://example.com/',
	'https://EXAMPLE.com/Path?q=1#frag',
	'https://example.com./',
	'http://example.com:8080/x',
	'https://sub.domain.example.co.uk/',
	'https://bücher.example/',
	'https://localhost.example.com/',
	'https://my.local.example.com/',
	'http://93.184.215.14/',
	'https://8.8.8.8/dns',
	'https://1.1.1.1/',
	'http://11.0.0.1/',
	'http://172.32.0.1/',
	'http://100.128.0.1/',
	'http://169.255.0.1/',
	'http://192.169.0.1/',
	'http://[2606:4700:4700::1111]/',
	'https://[2001:4860:4860::8888]:8443/',
	'http://[::ffff:8.8.8.8]/',
	'https://[2002:808:808::1]/',
]

describe('checkUrl: the SSRF corpus', () => {
	it('holds at least 40 URLs that must be blocked', () => {
		expect(BLOCKED.length).toBeGreaterThanOrEqual(40)
	})

	it.each(BLOCKED)('blocks %s (%s)', (url, reason) => {
		const check = checkUrl(url)
		expect(check).toMatchObject({ ok: false, reason })
		if (!check.ok) expect(check.message.length).toBeGreaterThan(0)
	})

	it.each(PUBLIC)('lets %s through', (url) => {
		const check = checkUrl(url)
		expect(check.ok).toBe(true)
		if (check.ok) expect(check.url.href).toBe(new URL(url).href)
	})

	it('names the metadata service in its refusal', () => {
		expect(checkUrl('http://169.254.169.254/')).toMatchObject({
			message: expect.stringContaining('metadata'),
		})
		expect(checkUrl('http://[::ffff:a9fe:a9fe]/')).toMatchObject({
			message: expect.stringContaining('169.254.169.254'),
		})
	})
})

describe('checkUrl: the agent lists', () => {
	const lists = (allowHosts: string[], denyHosts: string[] = []) => ({ allowHosts, denyHosts })
	const reason = (url: string, l: ReturnType<typeof lists>) => {
		const c = checkUrl(url, l)
		return c.ok ? 'ok' : c.reason
	}

	it('admits any public host when the allow list is empty', () => {
		expect(reason('https://anything.example.org/', lists([]))).toBe('ok')
	})

	it('admits only listed hosts when the allow list is not empty', () => {
		const l = lists(['example.com', '*.docs.dev'])
		expect(reason('https://example.com/a', l)).toBe('ok')
		expect(reason('https://www.example.com/', l)).toBe('not_allowed_host')
		expect(reason('https://api.docs.dev/', l)).toBe('ok')
		expect(reason('https://a.b.docs.dev/', l)).toBe('ok')
		expect(reason('https://docs.dev/', l)).toBe('not_allowed_host')
		expect(reason('https://evildocs.dev/', l)).toBe('not_allowed_host')
		expect(reason('https://docs.dev.evil.com/', l)).toBe('not_allowed_host')
	})

	it('lets the deny list win over the allow list', () => {
		expect(reason('https://example.com/', lists(['example.com'], ['example.com']))).toBe(
			'denied_host',
		)
		expect(reason('https://x.evil.com/', lists([], ['*.evil.com']))).toBe('denied_host')
		expect(reason('https://evil.com/', lists([], ['*.evil.com']))).toBe('ok')
	})

	it('compares hosts lowercase and without trailing dots', () => {
		expect(reason('https://Docs.Example.COM./', lists(['docs.example.com']))).toBe('ok')
		expect(reason('https://EVIL.com./', lists([], ['evil.com']))).toBe('denied_host')
	})

	it('matches IP literals as hosts', () => {
		expect(reason('http://93.184.215.14/', lists(['93.184.215.14']))).toBe('ok')
		expect(reason('http://1.1.1.1/', lists(['93.184.215.14']))).toBe('not_allowed_host')
	})

	it('never lets the allow list open a blocked host', () => {
		expect(reason('http://localhost/', lists(['localhost']))).toBe('blocked_name')
		expect(reason('http://127.0.0.1/', lists(['127.0.0.1']))).toBe('blocked_address')
		expect(reason('http://metadata.google.internal/', lists(['*.google.internal']))).toBe(
			'blocked_name',
		)
	})

	it('hostMatches: a wildcard needs at least one label before the suffix', () => {
		expect(hostMatches('*.example.com', 'a.example.com')).toBe(true)
		expect(hostMatches('*.example.com', 'example.com')).toBe(false)
		expect(hostMatches('*.example.com', 'badexample.com')).toBe(false)
	})
})

describe('checkAddress', () => {
	it.each([
		['10.0.0.1', 'blocked_address'],
		['127.0.0.1', 'blocked_address'],
		['::1', 'blocked_address'],
		['fe80::1%eth0', 'blocked_address'],
		['::ffff:10.0.0.1', 'blocked_address'],
		['169.254.169.254', 'blocked_address'],
		['not-an-ip', 'invalid_address'],
		['', 'invalid_address'],
	])('refuses %s (%s)', (ip, reason) => {
		expect(checkAddress(ip)).toMatchObject({ ok: false, reason })
	})

	it.each(['8.8.8.8', '93.184.215.14', '2606:4700:4700::1111', '[2001:4860:4860::8888]'])(
		'accepts %s',
		(ip) => {
			expect(checkAddress(ip).ok).toBe(true)
		},
	)
})

describe('resolvePublic (DNS over HTTPS)', () => {
	type Records = { A?: string[]; AAAA?: string[]; CNAME?: string; status?: number }
	const doh =
		(zone: Record<string, Records>, calls: Request[] = []): typeof fetch =>
		async (input, init) => {
			const request = new Request(input, init)
			calls.push(request)
			const url = new URL(request.url)
			const name = url.searchParams.get('name') ?? ''
			const type = url.searchParams.get('type') as 'A' | 'AAAA'
			const records = zone[name]
			if (!records) return Response.json({ Status: 3 })
			const answer = (records[type] ?? []).map((data) => ({
				name,
				type: type === 'A' ? 1 : 28,
				TTL: 60,
				data,
			}))
			const cname = records.CNAME ? [{ name, type: 5, TTL: 60, data: records.CNAME }] : []
			return Response.json({ Status: records.status ?? 0, Answer: [...cname, ...answer] })
		}

	it('asks cloudflare-dns.com for A and AAAA in JSON and returns the addresses', async () => {
		const calls: Request[] = []
		const fetch = doh({ 'example.com': { A: ['93.184.215.14'], AAAA: ['2606:2800::1'] } }, calls)
		const check = await resolvePublic('Example.com.', fetch)
		expect(check).toEqual({ ok: true, addresses: ['93.184.215.14', '2606:2800::1'] })
		expect(calls.map((r) => r.url).sort()).toEqual([
			'https://cloudflare-dns.com/dns-query?name=example.com&type=A',
			'https://cloudflare-dns.com/dns-query?name=example.com&type=AAAA',
		])
		expect(calls.every((r) => r.headers.get('accept') === 'application/dns-json')).toBe(true)
	})

	it('refuses a name with any private answer (DNS rebinding)', async () => {
		const fetch = doh({ 'rebind.example': { A: ['93.184.215.14', '10.0.0.1'] } })
		expect(await resolvePublic('rebind.example', fetch)).toMatchObject({
			ok: false,
			reason: 'blocked_address',
			message: expect.stringContaining('10.0.0.1'),
		})
	})

	it('refuses an AAAA loopback and a CNAME to a metadata address', async () => {
		const v6 = doh({ 'six.example': { A: ['8.8.8.8'], AAAA: ['::1'] } })
		expect(await resolvePublic('six.example', v6)).toMatchObject({ reason: 'blocked_address' })
		const cname = doh({ 'alias.example': { CNAME: 'meta.evil.', A: ['169.254.169.254'] } })
		expect(await resolvePublic('alias.example', cname)).toMatchObject({
			reason: 'blocked_address',
		})
	})

	it('fails closed when the name does not resolve or the resolver fails', async () => {
		expect(await resolvePublic('nx.example', doh({}))).toMatchObject({ reason: 'dns_failed' })
		const servfail = doh({ 'bad.example': { status: 2 } })
		expect(await resolvePublic('bad.example', servfail)).toMatchObject({ reason: 'dns_failed' })
		const down: typeof fetch = async () => new Response('no', { status: 503 })
		expect(await resolvePublic('example.com', down)).toMatchObject({ reason: 'dns_failed' })
		const offline: typeof fetch = async () => {
			throw new TypeError('network down')
		}
		expect(await resolvePublic('example.com', offline)).toMatchObject({
			reason: 'dns_failed',
			message: expect.stringContaining('network down'),
		})
	})

	it('judges IP literals without a look-up', async () => {
		const calls: Request[] = []
		const fetch = doh({}, calls)
		expect(await resolvePublic('8.8.8.8', fetch)).toEqual({ ok: true, addresses: ['8.8.8.8'] })
		expect(await resolvePublic('[::1]', fetch)).toMatchObject({ reason: 'blocked_address' })
		expect(calls).toHaveLength(0)
	})

	it('stops when the caller aborts', async () => {
		const controller = new AbortController()
		controller.abort(new Error('run cancelled'))
		const fetch: typeof globalThis.fetch = async (_input, init) => {
			init?.signal?.throwIfAborted()
			return Response.json({ Status: 0 })
		}
		await expect(resolvePublic('example.com', fetch, controller.signal)).rejects.toThrow(
			'run cancelled',
		)
	})
})

// Written out here, independently of the guard, so the properties do not restate its code.
const BLOCKED_V4: ReadonlyArray<readonly [string, number]> = [
	['0.0.0.0', 8],
	['10.0.0.0', 8],
	['100.64.0.0', 10],
	['127.0.0.0', 8],
	['169.254.0.0', 16],
	['172.16.0.0', 12],
	['192.0.0.0', 24],
	['192.0.2.0', 24],
	['192.31.196.0', 24],
	['192.52.193.0', 24],
	['192.88.99.0', 24],
	['192.168.0.0', 16],
	['192.175.48.0', 24],
	['198.18.0.0', 15],
	['198.51.100.0', 24],
	['203.0.113.0', 24],
	['224.0.0.0', 4],
	['240.0.0.0', 4],
]
const toInt = (dotted: string) => dotted.split('.').reduce((n, o) => n * 256 + Number(o), 0)
const toDotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
const inBlockedV4 = (n: number) =>
	BLOCKED_V4.some(
		([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === toInt(base) / 2 ** (32 - bits),
	)

const PRIVATE_RANGES = [
	['10.0.0.0', 8],
	['127.0.0.0', 8],
	['169.254.0.0', 16],
	['172.16.0.0', 12],
	['192.168.0.0', 16],
	['100.64.0.0', 10],
] as const
const privateV4 = fc.oneof(
	...PRIVATE_RANGES.map(([base, bits]) =>
		fc.integer({ min: 0, max: 2 ** (32 - bits) - 1 }).map((offset) => toInt(base) + offset),
	),
)

describe('checkUrl: properties', () => {
	it('never throws, whatever the string', () => {
		const urlish = fc
			.tuple(
				fc.constantFrom('http://', 'https://', 'HTTP://', 'file://', '', '//', 'http:\\\\'),
				fc.string({ unit: fc.constantFrom(...'0123456789abcdefx.:[]%@/\\#?-_ '.split('')) }),
			)
			.map(([a, b]) => a + b)
		fc.assert(
			fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.webUrl(), urlish), (input) => {
				const check = checkUrl(input, { allowHosts: ['*.example.com'], denyHosts: ['x.y'] })
				expect(typeof check.ok).toBe('boolean')
			}),
			{ numRuns: 3_000 },
		)
	})

	it('blocks every private, loopback, link-local and CGNAT IPv4 in any spelling', () => {
		fc.assert(
			fc.property(privateV4, (n) => {
				const dotted = toDotted(n)
				for (const url of [`http://${dotted}/`, `http://${n}/`, `http://[::ffff:${dotted}]/`]) {
					expect(checkUrl(url), url).toMatchObject({ ok: false, reason: 'blocked_address' })
				}
			}),
			{ numRuns: 2_000 },
		)
	})

	it('blocks every fc00::/7 and fe80::/10 address', () => {
		const hextet = fc.integer({ min: 0, max: 0xffff })
		const v6 = fc
			.tuple(
				fc.oneof(
					fc.integer({ min: 0xfc00, max: 0xfdff }),
					fc.integer({ min: 0xfe80, max: 0xfebf }),
				),
				fc.array(hextet, { minLength: 7, maxLength: 7 }),
			)
			.map(([first, rest]) => [first, ...rest].map((h) => h.toString(16)).join(':'))
		fc.assert(
			fc.property(v6, (ip) => {
				expect(checkUrl(`http://[${ip}]/`)).toMatchObject({ reason: 'blocked_address' })
			}),
			{ numRuns: 1_000 },
		)
	})

	it('lets random public unicast IPv4 addresses through', () => {
		const publicV4 = fc.integer({ min: 0, max: 2 ** 32 - 1 }).filter((n) => !inBlockedV4(n))
		fc.assert(
			fc.property(publicV4, (n) => {
				const check = checkUrl(`http://${toDotted(n)}/`)
				expect(check.ok, toDotted(n)).toBe(true)
				expect(checkUrl(`http://${n}/`).ok).toBe(true)
			}),
			{ numRuns: 2_000 },
		)
	})
})

describe('tenant URLs (provider base URLs, MCP servers)', () => {
	const strict = tenantUrlRules({ EDGECLAW_DEV_ALLOW_LOOPBACK: '' })
	const dev = tenantUrlRules({ EDGECLAW_DEV_ALLOW_LOOPBACK: '1' })

	it('are https and public only', () => {
		expect(strict).toEqual({ httpsOnly: true, allowLoopback: false })
		expect(tenantUrlRules({}).allowLoopback).toBe(false)
		expect(tenantUrlRules({ EDGECLAW_DEV_ALLOW_LOOPBACK: 'true' }).allowLoopback).toBe(false)
		expect(checkUrl('https://api.example.com/v1', undefined, strict).ok).toBe(true)
		expect(checkUrl('http://api.example.com/v1', undefined, strict)).toMatchObject({
			reason: 'scheme',
		})
		for (const [url, reason] of BLOCKED) {
			const https = url.replace(/^http:/, 'https:')
			expect(checkUrl(https, undefined, strict), https).toMatchObject({ ok: false, reason })
		}
	})

	it('admit loopback, over http too, only under EDGECLAW_DEV_ALLOW_LOOPBACK', () => {
		const loopback = [
			'http://127.0.0.1:8080/v1',
			'http://127.1/v1',
			'http://2130706433/v1',
			'https://127.255.255.254/v1',
			'http://[::1]:8080/v1',
			'http://localhost:11434/v1',
			'http://LOCALHOST./v1',
		]
		for (const url of loopback) {
			expect(checkUrl(url, undefined, dev).ok, url).toBe(true)
			const refused = checkUrl(url, undefined, strict)
			expect(refused.ok, url).toBe(false)
			// Refused with the way local development admits it.
			expect(refused.ok || refused.message, url).toContain('EDGECLAW_DEV_ALLOW_LOOPBACK=1')
		}
		// A URL a model supplies (no tenant rules) is refused without the hint.
		const modelUrl = checkUrl('http://127.0.0.1:8080/v1')
		expect(modelUrl.ok || modelUrl.message).not.toContain('EDGECLAW_DEV_ALLOW_LOOPBACK')
		// Everything else that is not public stays refused, as does plain http to a public host.
		const still = [
			'http://10.0.0.1/',
			'http://192.168.1.1/',
			'http://172.16.0.1/',
			'http://169.254.169.254/latest/meta-data/',
			'http://[fe80::1]/',
			'http://[fd00:ec2::254]/',
			'http://[::ffff:127.0.0.1]/',
			'http://0.0.0.0:8080/',
			'http://[::]/',
			'http://app.localhost/',
			'http://metadata.google.internal/',
			'http://printer/',
			'http://api.example.com/',
			'http://127.0.0.1:25/',
		]
		for (const url of still) expect(checkUrl(url, undefined, dev).ok, url).toBe(false)
	})
})
