// The offline model: a deterministic stand-in for an LLM, with no network. It is not an LLM; it
// drives local runs and tests through the same AI SDK model interface as the real providers.
// It answers the user messages since its last reply:
//   /tool <name> <json-args>  calls that tool (several lines = several calls), then, once the
//                             results are back, answers with a one-line summary of them; a tool
//                             it was not offered is answered "tool "<name>" is not available"
//   /fail <status>            raises a provider error with that HTTP status (exercises failover)
//   /slow <ms> [text]         waits <ms> (abortable), then treats the text like a message of its
//                             own (`/slow 500 /tool time_now {}` waits, then calls the tool)
//   /long <chars>             answers exactly <chars> characters (1..200000): paragraphs of
//                             sentences with one fenced code block in the middle (from 400 on),
//                             the same every time, for testing how replies are split
//   anything else             "echo: <text>", streamed in a few deltas
// A forced tool choice makes it call that tool (arguments built from its schema), and a JSON
// response format makes the answer JSON of the requested shape (offline-json.ts).
// Usage is counted from text length (4 characters per token).
import {
	APICallError,
	type LanguageModelV4,
	type LanguageModelV4CallOptions,
	type LanguageModelV4Prompt,
	type LanguageModelV4StreamPart,
	type LanguageModelV4Usage,
} from '@ai-sdk/provider'
import { jsonAnswer } from './offline-json'
import { sleep } from './sleep'

const MAX_SLOW_MS = 600_000
const MAX_LONG_CHARS = 200_000
/** From this length on a `/long` answer carries a fenced code block. */
const LONG_FENCE_FROM = 400
const LONG_CODE = 'export function add(a: number, b: number): number {\n\treturn a + b\n}'

/** Provider option that turns a call into a summary request (compaction). */
export const SUMMARIZE_OPTION = { offline: { task: 'summarize' } } as const

/** Provider option telling the offline model how many trailing user messages this turn brought. */
export const answerOption = (count: number) => ({ offline: { answer: count } })

export type OfflineDirective =
	| { kind: 'echo'; text: string }
	| { kind: 'slow'; ms: number; text: string }
	| { kind: 'fail'; status: number }
	| { kind: 'tool'; name: string; args: string }
	| { kind: 'long'; chars: number }

/** What the offline model makes of one user message. */
export function parseOfflineInput(text: string): OfflineDirective {
	const slow = /^\/slow\s+(\d{1,7})(?:\s+([\s\S]*))?$/.exec(text)
	if (slow) return { kind: 'slow', ms: Math.min(Number(slow[1]), MAX_SLOW_MS), text: slow[2] ?? '' }
	const fail = /^\/fail\s+(\d{3})\s*$/.exec(text)
	if (fail) return { kind: 'fail', status: Number(fail[1]) }
	const tool = /^\/tool\s+([A-Za-z0-9_.-]{1,64})(?:\s+([\s\S]*))?$/.exec(text)
	if (tool) return { kind: 'tool', name: tool[1] as string, args: (tool[2] ?? '{}').trim() || '{}' }
	const long = /^\/long\s+(\d{1,6})\s*$/.exec(text)
	const chars = Number(long?.[1])
	if (long && chars >= 1 && chars <= MAX_LONG_CHARS) return { kind: 'long', chars }
	return { kind: 'echo', text }
}

const SENTENCES = [
	'The lane keeps every message in order.',
	'Each reply is split where a reader would pause.',
	'A paragraph ends with a blank line.',
	'Nothing is sent twice once it was marked sent.',
	'Retries wait a little longer each time.',
	'Code stays together inside its fence.',
]

/** `n` characters of prose: sentences, a blank line after every fourth, never ending in space. */
function prose(n: number, from: number): string {
	let out = ''
	for (let i = from; out.length < n; i++) {
		const sentence = SENTENCES[i % SENTENCES.length] as string
		out += out === '' ? sentence : `${i % 4 === 0 ? '\n\n' : ' '}${sentence}`
	}
	// Cut at n; a cut that ends in whitespace gets a visible character instead.
	const cut = out.slice(0, n)
	return /\s$/.test(cut) ? `${cut.trimEnd()}${'.'.repeat(n - cut.trimEnd().length)}` : cut
}

/**
 * The `/long` answer: exactly `chars` characters (UTF-16 units), deterministic. From
 * LONG_FENCE_FROM on: prose, a blank line, one ```ts fenced block, a blank line, prose.
 */
export function longAnswer(chars: number): string {
	if (chars < LONG_FENCE_FROM) return prose(chars, 0)
	const fence = `\n\n\`\`\`ts\n${LONG_CODE}\n\`\`\`\n\n`
	const rest = chars - fence.length
	const head = Math.floor(rest / 2)
	return `${prose(head, 0)}${fence}${prose(rest - head, 3)}`
}

/** Splits text into up to `parts` pieces of near-equal length (never empty pieces). */
export function chunk(text: string, parts = 3): string[] {
	if (text.length === 0) return []
	const size = Math.ceil(text.length / parts)
	const out: string[] = []
	for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
	return out
}

const messageText = (m: LanguageModelV4Prompt[number]): string => {
	if (m.role === 'system') return m.content
	let text = ''
	for (const p of m.content) {
		if (p.type === 'text') text += p.text
		else if (p.type === 'tool-call') text += `[call ${p.toolName}]`
		else if (p.type === 'tool-result') text += `[result ${p.toolName}]`
	}
	return text
}

const promptChars = (prompt: LanguageModelV4Prompt): number =>
	prompt.reduce((n, m) => n + messageText(m).length + 1, 0)

const usageOf = (inputChars: number, outputChars: number): LanguageModelV4Usage => ({
	inputTokens: {
		total: Math.ceil(inputChars / 4),
		noCache: Math.ceil(inputChars / 4),
		cacheRead: 0,
		cacheWrite: 0,
	},
	outputTokens: {
		total: Math.ceil(outputChars / 4),
		text: Math.ceil(outputChars / 4),
		reasoning: 0,
	},
})

/** One-line summary of tool results, as the offline model's answer after tools ran. */
function summarizeResults(prompt: LanguageModelV4Prompt): string {
	const last = prompt[prompt.length - 1]
	if (last === undefined || last.role !== 'tool') return ''
	const parts = last.content.flatMap((p) => {
		if (p.type !== 'tool-result') return []
		const o = p.output
		const value =
			o.type === 'text' || o.type === 'error-text'
				? o.value
				: o.type === 'json' || o.type === 'error-json'
					? JSON.stringify(o.value)
					: o.type
		const flat = value
			// Only the wrapper (wrapUntrusted): tag-like text inside it arrives escaped.
			.replace(/^<tool_result[^>]*>|<\/tool_result>$/g, '')
			.replace(/\s+/g, ' ')
			.trim()
		const failed = o.type === 'error-text' || o.type === 'error-json'
		return [
			`${p.toolName} ${failed ? 'failed' : 'returned'} ${flat.length > 160 ? `${flat.slice(0, 157)}...` : flat}`,
		]
	})
	return parts.join('; ')
}

type Plan =
	| { kind: 'text'; text: string; delayMs: number }
	| { kind: 'tools'; calls: { name: string; args: string }[]; delayMs: number }
	| { kind: 'fail'; status: number; delayMs: number }

function plan(
	prompt: LanguageModelV4Prompt,
	answer: number | undefined,
	tools: ReadonlySet<string>,
): Plan {
	if (prompt[prompt.length - 1]?.role === 'tool') {
		return { kind: 'text', text: summarizeResults(prompt), delayMs: 0 }
	}
	// The user messages of this turn: the last `answer` ones when the caller says how many
	// (unanswered messages of a cancelled or failed turn stay unanswered), else all since the
	// last reply.
	let start = prompt.length
	while (start > 0 && prompt[start - 1]?.role !== 'assistant') start--
	const tail = prompt.slice(start).filter((m) => m.role === 'user')
	const inputs = answer === undefined ? tail : tail.slice(Math.max(0, tail.length - answer))
	const texts: string[] = []
	const calls: { name: string; args: string }[] = []
	let delayMs = 0
	for (const m of inputs) {
		let d = parseOfflineInput(messageText(m))
		// `/slow <ms> <rest>` waits, then treats the rest like a message of its own.
		while (d.kind === 'slow') {
			delayMs += d.ms
			const rest = parseOfflineInput(d.text)
			if (rest.kind === 'echo') break
			d = rest
		}
		if (d.kind === 'fail') return { kind: 'fail', status: d.status, delayMs }
		// The long answer is the whole reply, so its length is exact.
		if (d.kind === 'long') return { kind: 'text', text: longAnswer(d.chars), delayMs }
		// Like a model, it only calls tools it was offered; otherwise it says so.
		if (d.kind === 'tool' && tools.has(d.name)) calls.push({ name: d.name, args: d.args })
		else if (d.kind === 'tool') texts.push(`tool "${d.name}" is not available`)
		else texts.push(d.text)
	}
	if (calls.length > 0) return { kind: 'tools', calls, delayMs }
	return { kind: 'text', text: `echo: ${texts.join('\n')}`, delayMs }
}

/**
 * What the call's options ask beyond the prompt: a forced tool choice turns a text answer into a
 * call of that tool (or of the first tool offered, for `required`) with arguments built from its
 * schema; a JSON response format turns the text into JSON of the requested shape.
 */
function shaped(p: Plan, options: LanguageModelV4CallOptions): Plan {
	if (p.kind !== 'text') return p
	const choice = options.toolChoice
	const tools = (options.tools ?? []).filter((t) => t.type === 'function')
	const forced =
		choice?.type === 'tool'
			? tools.find((t) => t.name === choice.toolName)
			: choice?.type === 'required'
				? tools[0]
				: undefined
	if (forced) {
		const args = jsonAnswer(p.text, forced.inputSchema as Record<string, unknown>)
		return { kind: 'tools', calls: [{ name: forced.name, args }], delayMs: p.delayMs }
	}
	const format = options.responseFormat
	if (format?.type === 'json') {
		return { ...p, text: jsonAnswer(p.text, format.schema as Record<string, unknown> | undefined) }
	}
	return p
}

function providerError(status: number, url: string): APICallError {
	return new APICallError({
		message: `offline model: simulated provider error ${status}`,
		url,
		requestBodyValues: {},
		statusCode: status,
		responseBody: JSON.stringify({ error: { message: `simulated ${status}` } }),
		isRetryable: status === 429 || status >= 500,
	})
}

/**
 * The deterministic summary: one line per message, each cut to 120 characters. A summary request
 * carries the transcript as one message of `role: text` lines; other prompts count per message.
 */
function summary(prompt: LanguageModelV4Prompt): string {
	const entries = prompt
		.filter((m) => m.role !== 'system')
		.flatMap((m) => {
			const text = messageText(m)
			const lines = text.split('\n').map((l) => /^(user|assistant|system|tool): ([\s\S]*)$/.exec(l))
			if (m.role === 'user' && lines.every(Boolean)) {
				return lines.map((l) => ({ role: l?.[1] as string, text: l?.[2] as string }))
			}
			return [{ role: m.role, text }]
		})
	const lines = entries.map(({ role, text }) => {
		const flat = text.replace(/\s+/g, ' ').trim()
		return `- ${role}: ${flat.length > 120 ? `${flat.slice(0, 117)}...` : flat}`
	})
	return `Summary of ${entries.length} earlier messages:\n${lines.join('\n')}`
}

export class OfflineLanguageModel implements LanguageModelV4 {
	readonly specificationVersion = 'v4'
	readonly provider = 'offline'
	readonly modelId: string
	readonly supportedUrls = {}

	constructor(modelId = 'echo') {
		this.modelId = modelId
	}

	async doGenerate(options: LanguageModelV4CallOptions) {
		const { stream } = await this.doStream(options)
		const reader = stream.getReader()
		let text = ''
		const content: { type: 'text'; text: string }[] = []
		let finish: Extract<LanguageModelV4StreamPart, { type: 'finish' }> | undefined
		for (;;) {
			const { done, value } = await reader.read()
			if (done) break
			if (value.type === 'text-delta') text += value.delta
			if (value.type === 'finish') finish = value
		}
		if (text) content.push({ type: 'text', text })
		return {
			content,
			finishReason: finish?.finishReason ?? { unified: 'stop' as const, raw: 'stop' },
			usage: finish?.usage ?? usageOf(0, 0),
			warnings: [],
		}
	}

	async doStream(options: LanguageModelV4CallOptions) {
		const { prompt, abortSignal } = options
		const url = `offline://${this.modelId}`
		const offline = options.providerOptions?.offline as
			| { task?: unknown; answer?: unknown }
			| undefined
		const answer = typeof offline?.answer === 'number' ? offline.answer : undefined
		const p: Plan =
			offline?.task === 'summarize'
				? { kind: 'text', text: summary(prompt), delayMs: 0 }
				: shaped(plan(prompt, answer, new Set((options.tools ?? []).map((t) => t.name))), options)
		if (p.delayMs > 0) await sleep(p.delayMs, abortSignal)
		abortSignal?.throwIfAborted()
		if (p.kind === 'fail') throw providerError(p.status, url)
		const inputChars = promptChars(prompt)
		const parts: LanguageModelV4StreamPart[] = [
			{ type: 'stream-start', warnings: [] },
			{ type: 'response-metadata', id: `offline-${crypto.randomUUID()}`, modelId: this.modelId },
		]
		let outputChars = 0
		if (p.kind === 'text') {
			parts.push({ type: 'text-start', id: 't0' })
			for (const delta of chunk(p.text)) parts.push({ type: 'text-delta', id: 't0', delta })
			parts.push({ type: 'text-end', id: 't0' })
			outputChars = p.text.length
		} else {
			p.calls.forEach((call, i) => {
				const toolCallId = `call_${i}_${crypto.randomUUID().slice(0, 8)}`
				parts.push({ type: 'tool-call', toolCallId, toolName: call.name, input: call.args })
				outputChars += call.name.length + call.args.length
			})
		}
		parts.push({
			type: 'finish',
			usage: usageOf(inputChars, outputChars),
			finishReason:
				p.kind === 'tools'
					? { unified: 'tool-calls', raw: 'tool_calls' }
					: { unified: 'stop', raw: 'stop' },
		})
		const stream = new ReadableStream<LanguageModelV4StreamPart>({
			start(controller) {
				for (const part of parts) controller.enqueue(part)
				controller.close()
			},
		})
		return { stream }
	}
}
