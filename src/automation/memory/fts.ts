// User text → an FTS5 MATCH expression that cannot fail to parse: FTS5's query language has
// operators (AND, NEAR, column filters, quotes, `*`, `^`), so raw text is never passed to MATCH.
// Each word (a run of letters and digits) becomes a quoted prefix term, and terms are ORed; bm25
// then ranks memories that match more of them first.

const WORD = /[\p{L}\p{N}]+/gu
export const MAX_TERMS = 32
const MAX_TERM_CHARS = 64

/** The MATCH expression for `query`, or undefined when it has no word to search for. */
export function ftsQuery(query: string): string | undefined {
	const terms: string[] = []
	const seen = new Set<string>()
	// Lower case before the words are found: lowering can add a mark (`İ` → `i` + U+0307), which
	// then falls between words instead of inside a term; the cut counts code points, never halves.
	for (const [word] of query.normalize('NFC').toLowerCase().matchAll(WORD)) {
		const term = Array.from(word).slice(0, MAX_TERM_CHARS).join('')
		if (seen.has(term)) continue
		seen.add(term)
		// Letters and digits only: nothing inside the quotes can end them or mean an operator.
		terms.push(`"${term}"*`)
		if (terms.length === MAX_TERMS) break
	}
	return terms.length > 0 ? terms.join(' OR ') : undefined
}
