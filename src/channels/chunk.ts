// Splitting a reply into messages a platform accepts: at paragraph boundaries first, then
// sentences, then words; a fenced code block that fits in one message is never split, and one
// that does not is cut at line boundaries with its fence reopened and closed in every piece.

const FENCE = /^\s{0,3}(`{3,}|~{3,})/

interface Block {
	text: string
	fence: boolean
}

/** `text` as messages of at most `limit` characters (UTF-16 units), in order; none empty. */
export function chunkText(text: string, limit: number): string[] {
	if (!Number.isInteger(limit) || limit < 16) throw new RangeError('limit must be an integer ≥ 16')
	const trimmed = text.trim()
	if (trimmed.length === 0) return []
	if (trimmed.length <= limit) return [trimmed]
	const pieces = blocksOf(trimmed).flatMap((b) =>
		b.text.length <= limit
			? [b.text]
			: b.fence
				? splitFence(b.text, limit)
				: splitProse(b.text, limit),
	)
	const out: string[] = []
	let current = ''
	for (const piece of pieces) {
		if (current === '') current = piece
		else if (current.length + 2 + piece.length <= limit) current += `\n\n${piece}`
		else {
			out.push(current)
			current = piece
		}
	}
	if (current !== '') out.push(current)
	return out
}

/** Paragraphs (split at blank lines) and fenced code blocks (kept as one block each). */
function blocksOf(text: string): Block[] {
	const blocks: Block[] = []
	let paragraph: string[] = []
	const flush = () => {
		if (paragraph.length > 0) blocks.push({ text: paragraph.join('\n'), fence: false })
		paragraph = []
	}
	const lines = text.split('\n')
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i] as string
		const open = FENCE.exec(line)
		if (open) {
			flush()
			const marker = open[1] as string
			const fence = [line]
			for (i++; i < lines.length; i++) {
				const inner = lines[i] as string
				fence.push(inner)
				if (inner.trim().startsWith(marker) && inner.trim().replace(/[`~]/g, '') === '') break
			}
			blocks.push({ text: fence.join('\n'), fence: true })
		} else if (line.trim() === '') flush()
		else paragraph.push(line)
	}
	flush()
	return blocks
}

/** A code block longer than a message: line groups, each wrapped in the block's own fences. */
function splitFence(block: string, limit: number): string[] {
	const lines = block.split('\n')
	const opener = lines[0] as string
	const marker = (FENCE.exec(opener)?.[1] ?? '```') as string
	const last = lines.at(-1) as string
	const closed = lines.length > 1 && last.trim().startsWith(marker)
	const body = lines.slice(1, closed ? -1 : undefined)
	const room = limit - opener.length - marker.length - 2
	if (room < 8) return splitProse(block, limit)
	const groups: string[] = []
	let current: string[] = []
	let size = 0
	const flush = () => {
		if (current.length > 0) groups.push(current.join('\n'))
		current = []
		size = 0
	}
	for (const line of body) {
		for (const part of line.length <= room ? [line] : splitProse(line, room)) {
			if (current.length > 0 && size + 1 + part.length > room) flush()
			size += (current.length > 0 ? 1 : 0) + part.length
			current.push(part)
		}
	}
	flush()
	return groups.map((g) => `${opener}\n${g}\n${marker}`)
}

/** Prose longer than a message, cut at the last line break, sentence end or space that fits. */
function splitProse(text: string, limit: number): string[] {
	const out: string[] = []
	let rest = text
	while (rest.length > limit) {
		const cut = cutPoint(rest, limit)
		const piece = rest.slice(0, cut).trimEnd()
		if (piece !== '') out.push(piece)
		rest = rest.slice(cut).trimStart()
	}
	if (rest !== '') out.push(rest)
	return out
}

function cutPoint(text: string, limit: number): number {
	const window = text.slice(0, limit + 1)
	const line = window.lastIndexOf('\n')
	if (line > limit / 2) return line
	let sentence = -1
	for (const m of window.matchAll(/[.!?…。！？]["'”’)\]]*\s/g)) sentence = m.index + m[0].length - 1
	if (sentence > limit / 3) return sentence
	const space = window.lastIndexOf(' ')
	if (space > limit / 3) return space
	// No boundary: a hard cut, never between the halves of a surrogate pair.
	const code = text.charCodeAt(limit - 1)
	return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit
}
