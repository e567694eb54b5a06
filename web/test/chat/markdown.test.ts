// Markdown from the model, a tool or a user must come out inert: no script, no handler, no
// javascript:/data: link, nothing remote to load — for known payloads and for arbitrary text.
import './dom-conformance'
import fc from 'fast-check'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { isSafeHref, renderMarkdown, sanitizeHtml } from '../../src/chat/markdown'

/** The sanitised output as nodes, to look at what a browser would build from it. */
function parse(html: string): HTMLElement {
	const box = document.createElement('div')
	box.innerHTML = html
	return box
}

/**
 * Every way the output could still act: `<script` anywhere (text comes out escaped), script-ish
 * elements, `on…` attributes, javascript:/vbscript:/data: URLs, remote images, markup hidden in
 * attribute values. Text may still *mention* `javascript:` or `onerror=`: it is only text.
 */
function dangers(html: string): string[] {
	const found: string[] = []
	if (/<script/i.test(html)) found.push('<script')
	const box = parse(html)
	for (const el of box.querySelectorAll('*')) {
		const tag = el.tagName.toLowerCase()
		if (
			[
				'script',
				'style',
				'iframe',
				'object',
				'embed',
				'form',
				'input',
				'svg',
				'math',
				'link',
				'meta',
				'base',
			].includes(tag)
		) {
			found.push(`<${tag}>`)
		}
		for (const attr of el.attributes) {
			const name = attr.name.toLowerCase()
			// biome-ignore lint/suspicious/noControlCharactersInRegex: obfuscation hides in them.
			const value = attr.value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase()
			if (name.startsWith('on')) found.push(`${tag} ${name}=`)
			// Markup in an attribute could turn into elements if the HTML is ever parsed again.
			if (/[<>]/.test(attr.value)) found.push(`${tag} ${name} holds markup`)
			if (name === 'style') found.push(`${tag} style=`)
			if (/^(?:javascript|vbscript|data):/.test(value) && !(tag === 'img' && name === 'src')) {
				found.push(`${tag} ${name}=${value.slice(0, 20)}`)
			}
			if (tag === 'img' && name === 'src' && !value.startsWith('data:image/'))
				found.push(`img src=${value}`)
		}
	}
	return found
}

beforeAll(() => {
	// happy-dom "loads" an <iframe src> even in a parsed, inert document (browsers never do) and
	// logs that it may not; the sanitiser drops the frame either way. (Some of those logs go to a
	// console captured before this spy and still show.)
	const error = console.error
	vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
		if (!String(args[0]).includes('Iframe page loading is disabled')) error(...args)
	})
})

const PAYLOADS = [
	'<img src=x onerror=alert(1)>',
	'<svg onload=alert(1)><circle/></svg>',
	'<a href="javascript:alert(1)">x</a>',
	'<a href="jav&#x09;ascript:alert(1)">x</a>',
	'<a href="&#106;avascript:alert(1)">x</a>',
	'<a href=" JaVaScRiPt:alert(1)">x</a>',
	'<a href="vbscript:msgbox(1)">x</a>',
	'<iframe src="https://evil.example/"></iframe>',
	'<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
	'[x](javascript:alert(1))',
	'[x](jav&#x09;ascript:alert(1))',
	'[x](<javascript:alert(1)>)',
	'[x]: javascript:alert(1)\n\n[x]',
	'![x](https://evil.example/pixel.png)',
	'![x](//evil.example/pixel.png)',
	'<script>alert(1)</script>',
	'<a href="<img src=x onerror=alert(1)>">x</a>',
	'<a title="</p><script>alert(1)</script>">x</a>',
	'[x](/ok " onmouseover=alert(1) x=")',
	'<scr<script>ipt>alert(1)</script>',
	'<style>body{display:none}</style>',
	'<p style="position:fixed">x</p>',
	'<object data="x.swf"></object><embed src="x.swf">',
	'<form action="https://evil.example/"><input name=a><button>go</button></form>',
	'<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
	'<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
	'<details open ontoggle=alert(1)>',
	'<body onload=alert(1)>',
	'<a href="https://ok.example/" onclick="alert(1)">x</a>',
	'`<img src=x onerror=alert(1)>`',
	'```html\n<script>alert(1)</script>\n```',
]

describe('renderMarkdown', () => {
	it.each(PAYLOADS)('renders %s inert', (payload) => {
		expect(dangers(renderMarkdown(payload))).toEqual([])
	})

	// Raw HTML in markdown is escaped before DOMPurify sees it; the sanitiser must hold on its own.
	it.each(PAYLOADS)('sanitizes %s as HTML', (payload) => {
		expect(dangers(sanitizeHtml(payload))).toEqual([])
	})

	it('removes a disallowed element, keeps its text and goes on with what follows', () => {
		// Guards the test DOM too (dom-conformance.ts): without it happy-dom stops after a removal.
		expect(
			sanitizeHtml(
				'<form><input name=a><button>go</button></form><p>ok</p><img src=x onerror=alert(1)>',
			),
		).toBe('go<p>ok</p><img>')
	})

	it('keeps ordinary formatting', () => {
		const html = renderMarkdown(
			'# Title\n\n**bold** _it_ `code`\n\n- a\n- b\n\n| h |\n| - |\n| c |',
		)
		const box = parse(html)
		expect(box.querySelector('h1')?.textContent).toBe('Title')
		expect(box.querySelector('strong')?.textContent).toBe('bold')
		expect(box.querySelector('code')?.textContent).toBe('code')
		expect(box.querySelectorAll('li')).toHaveLength(2)
		expect(box.querySelector('td')?.textContent).toBe('c')
	})

	it('opens safe links apart, without referrer or opener', () => {
		const a = parse(
			renderMarkdown('[docs](https://example.com/a?b=1) and [rel](/chat)'),
		).querySelectorAll('a')
		expect(a[0]?.getAttribute('href')).toBe('https://example.com/a?b=1')
		expect(a[0]?.getAttribute('rel')).toBe('noopener noreferrer nofollow')
		expect(a[0]?.getAttribute('target')).toBe('_blank')
		expect(a[1]?.getAttribute('href')).toBe('/chat')
	})

	it('drops the href of javascript: and data: links but keeps their text', () => {
		const box = parse(
			renderMarkdown('[click](javascript:alert(1)) <a href="data:text/html,x">d</a>'),
		)
		for (const a of box.querySelectorAll('a')) expect(a.hasAttribute('href')).toBe(false)
		expect(box.textContent).toContain('click')
	})

	it('keeps inline data images and drops remote ones', () => {
		const pixel = 'data:image/png;base64,iVBORw0KGgo='
		const box = parse(renderMarkdown(`![a](${pixel}) ![b](https://evil.example/b.png)`))
		const [inline, remote] = box.querySelectorAll('img')
		expect(inline?.getAttribute('src')).toBe(pixel)
		expect(remote?.hasAttribute('src')).toBe(false)
		expect(remote?.getAttribute('alt')).toBe('b')
	})

	it('shows raw HTML as text', () => {
		const box = parse(renderMarkdown('hi <img src=x onerror=alert(1)>'))
		expect(box.querySelector('img')).toBeNull()
		expect(box.textContent).toContain('<img src=x onerror=alert(1)>')
	})
})

describe('isSafeHref', () => {
	it.each([
		['https://a.example/', true],
		['mailto:a@b.example', true],
		['/relative/path', true],
		['#anchor', true],
		['javascript:alert(1)', false],
		['jav\tascript:alert(1)', false],
		['\u0001javascript:alert(1)', false],
		['VBScript:x', false],
		['data:text/html,x', false],
		['file:///etc/passwd', false],
	])('%j → %s', (href, safe) => {
		expect(isSafeHref(href)).toBe(safe)
	})
})

describe('renderMarkdown on arbitrary text (property)', () => {
	const fragment = fc.constantFrom(
		...PAYLOADS,
		'<',
		'>',
		'"',
		"'",
		'=',
		' on',
		'onerror=',
		'javascript:',
		'&#x09;',
		'&#106;',
		'[',
		'](',
		')',
		'![',
		'<a href="',
		'<img src=',
		'<svg',
		'\n',
		'`',
		'*',
	)
	const text = fc.oneof(
		fc.string(),
		fc.array(fc.oneof(fragment, fc.string()), { maxLength: 12 }).map((parts) => parts.join('')),
	)

	it('never yields script, handlers or javascript: URLs', () => {
		fc.assert(
			fc.property(text, (input) => {
				expect(dangers(renderMarkdown(input))).toEqual([])
				expect(dangers(sanitizeHtml(input))).toEqual([])
			}),
			{ numRuns: 500 },
		)
	})
})
