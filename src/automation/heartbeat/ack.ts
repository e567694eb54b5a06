// The heartbeat's "nothing to report" answer: `HEARTBEAT_OK` at the start or the end of a reply,
// with at most a few hundred other characters, is an acknowledgement that is never delivered.
// Pure and import-free, so the lane's outbox can apply it to a channel reply as well.

export const HEARTBEAT_TOKEN = 'HEARTBEAT_OK'
/**
 * The `channel` of a heartbeat turn's sender: a value no channel id (a slug) can take, so the lane
 * can tell a heartbeat's own message from a person's.
 */
export const HEARTBEAT_CHANNEL = ':heartbeat'
/** Characters besides the token an acknowledgement may carry (OpenClaw's `ackMaxChars`). */
export const ACK_MAX_CHARS = 300

/** Whitespace, punctuation and markup around the token (`**HEARTBEAT_OK**.`, `<b>…</b>`). */
const EDGE = /[\s\p{P}\p{S}]/u
const WORD = /[\p{L}\p{N}_]/u
/** Simple HTML tags (`<b>`, `</strong>`), dropped before the token is looked for. */
const TAG = /<\/?[A-Za-z][A-Za-z0-9]{0,10}>/g

const isEdge = (ch: string | undefined): boolean => ch !== undefined && EDGE.test(ch)
const isWord = (ch: string | undefined): boolean => ch !== undefined && WORD.test(ch)

/** What is left of `text` with the token at its start, or undefined when it does not start so. */
function afterLeadingToken(text: string): string | undefined {
	let i = 0
	while (i < text.length && isEdge(text[i]) && !text.startsWith(HEARTBEAT_TOKEN, i)) i++
	if (!text.startsWith(HEARTBEAT_TOKEN, i) || isWord(text[i + HEARTBEAT_TOKEN.length])) return
	return text.slice(i + HEARTBEAT_TOKEN.length)
}

const endsAt = (text: string, j: number): boolean =>
	j >= HEARTBEAT_TOKEN.length && text.startsWith(HEARTBEAT_TOKEN, j - HEARTBEAT_TOKEN.length)

/** What is left of `text` with the token at its end, or undefined when it does not end so. */
function beforeTrailingToken(text: string): string | undefined {
	let j = text.length
	while (j > 0 && isEdge(text[j - 1]) && !endsAt(text, j)) j--
	const start = j - HEARTBEAT_TOKEN.length
	if (start < 0 || !text.startsWith(HEARTBEAT_TOKEN, start) || isWord(text[start - 1])) return
	return text.slice(0, start)
}

/** Strips whitespace and punctuation at both ends. */
function trimEdges(text: string): string {
	let i = 0
	let j = text.length
	while (i < j && isEdge(text[i])) i++
	while (j > i && isEdge(text[j - 1])) j--
	return text.slice(i, j)
}

/**
 * True when `text` acknowledges a heartbeat: the token stands at its start or end, and what is
 * left once it (and the punctuation around it) is stripped is at most `maxChars` characters.
 */
export function isHeartbeatAck(text: string, maxChars = ACK_MAX_CHARS): boolean {
	const plain = text.replace(TAG, '')
	for (const rest of [afterLeadingToken(plain), beforeTrailingToken(plain)]) {
		if (rest !== undefined && [...trimEdges(rest)].length <= maxChars) return true
	}
	return false
}
