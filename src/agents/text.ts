// The text of transcript messages and what it costs: one estimate (4 characters per token) for
// every budget the loop and the lane check, and one way to cut a long text.
import type { MessagePart } from './runner'

/** The text parts of a message, joined. */
export const textOf = (message: { content: readonly MessagePart[] }): string => {
	let text = ''
	for (const p of message.content) if (p.type === 'text') text += p.text
	return text
}

/** Characters a message part costs in a prompt (text as is, tool parts as JSON). */
export const partChars = (p: MessagePart): number =>
	p.type === 'text'
		? p.text.length
		: p.type === 'tool-result'
			? p.result.length + p.name.length + 32
			: p.args.length + p.name.length + 32

/** Rough token estimate (4 characters per token), the same everywhere a budget is checked. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4)

/** Keeps the head and the tail of a long text, with a marker saying how much was cut. */
export function trimHeadTail(text: string, maxChars: number): string {
	if (text.length <= maxChars) return text
	const marker = (cut: number) => `\n…[${cut} characters trimmed]…\n`
	const room = Math.max(0, maxChars - marker(text.length).length)
	const head = Math.ceil(room / 2)
	const tail = Math.floor(room / 2)
	return `${text.slice(0, head)}${marker(text.length - head - tail)}${text.slice(text.length - tail)}`
}
