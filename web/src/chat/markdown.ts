// Markdown for text nobody vouches for (the model's, a tool's, another user's): `marked` turns it
// into HTML, DOMPurify keeps only plain formatting. No script, no handlers, no styles, no forms,
// no frames, no markup inside attribute values; links only http(s), mailto or relative, opened
// apart; images only inline data: ones (nothing remote ever loads — the CSP forbids it too). Raw
// HTML in the text shows as text.
import DOMPurify from 'dompurify'
import { Marked } from 'marked'

const escapeHtml = (text: string): string =>
	text
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&#39;')

const marked = new Marked({
	gfm: true,
	breaks: true,
	// HTML written into the markdown is shown, not interpreted (DOMPurify is the guard either way).
	renderer: { html: ({ text }) => escapeHtml(text) },
})

const ALLOWED_TAGS = [
	'a',
	'p',
	'br',
	'hr',
	'strong',
	'b',
	'em',
	'i',
	'del',
	's',
	'code',
	'pre',
	'kbd',
	'sup',
	'sub',
	'span',
	'blockquote',
	'ul',
	'ol',
	'li',
	'h1',
	'h2',
	'h3',
	'h4',
	'h5',
	'h6',
	'table',
	'thead',
	'tbody',
	'tr',
	'th',
	'td',
	'img',
]

const CONFIG = {
	ALLOWED_TAGS,
	ALLOWED_ATTR: ['href', 'title', 'alt', 'src', 'colspan', 'rowspan', 'align', 'start'],
	FORBID_TAGS: ['script', 'style', 'iframe', 'object', 'embed', 'form', 'input', 'svg', 'math'],
	FORBID_ATTR: ['style', 'class', 'id', 'srcset'],
	ALLOW_DATA_ATTR: false,
	ALLOW_ARIA_ATTR: false,
	ALLOW_UNKNOWN_PROTOCOLS: false,
	KEEP_CONTENT: true,
}

const LINK_SCHEMES = new Set(['http', 'https', 'mailto'])
/** Controls, spaces and invisible characters: what an obfuscated scheme hides in. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
const INVISIBLE = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200f\u2028-\u202f\ufeff]/g

/**
 * True for http(s), mailto and scheme-less (relative) URLs. Control characters and spaces are
 * dropped before the scheme is read, so `jav&#x09;ascript:` is read as `javascript:`.
 */
export function isSafeHref(raw: string): boolean {
	const cleaned = raw.replace(INVISIBLE, '')
	if (cleaned === '') return false
	const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(cleaned)
	return scheme === null || LINK_SCHEMES.has((scheme[1] ?? '').toLowerCase())
}

/** Only images carried inside the text itself: nothing is fetched from anywhere. */
export const isInlineImage = (raw: string): boolean =>
	/^data:image\/(?:png|gif|jpeg|jpg|webp|avif|bmp);base64,[a-z0-9+/=\s]*$/i.test(raw)

const purify = DOMPurify(window)
purify.addHook('afterSanitizeAttributes', (node) => {
	if (node.nodeType !== 1) return
	const el = node as Element
	// Markup inside an attribute value is never needed here, and could come alive if the HTML
	// were ever parsed again in another context.
	for (const attr of [...el.attributes]) {
		if (/[<>]/.test(attr.value)) el.removeAttribute(attr.name)
	}
	const tag = el.nodeName.toLowerCase()
	const href = el.getAttribute('href')
	if (href !== null && (tag !== 'a' || !isSafeHref(href))) el.removeAttribute('href')
	const src = el.getAttribute('src')
	if (src !== null && (tag !== 'img' || !isInlineImage(src))) el.removeAttribute('src')
	if (tag === 'a') {
		el.setAttribute('target', '_blank')
		el.setAttribute('rel', 'noopener noreferrer nofollow')
	}
})

const toHtml = (text: string): string => marked.parse(text, { async: false })

/** HTML from anywhere, cut down to the formatting above. */
export function sanitizeHtml(html: string): string {
	return purify.sanitize(html, CONFIG)
}

/** Sanitised HTML for markdown `text` (tests, and anything that needs the markup). */
export function renderMarkdown(text: string): string {
	return sanitizeHtml(toHtml(text))
}

/** The same, as nodes: put into the page without parsing HTML a second time. */
export function renderMarkdownFragment(text: string): DocumentFragment {
	return purify.sanitize(toHtml(text), { ...CONFIG, RETURN_DOM_FRAGMENT: true })
}
