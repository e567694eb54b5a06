// The offline model: deterministic, no network, not an LLM. It drives local runs and tests.
//   /slow <ms> [text]  waits <ms> (abortable), then answers like the plain case
//   /fail <status>     raises a provider error with that HTTP status
//   anything else      "echo: <text>", streamed in a few deltas
// Messages steered into the run are answered after the reply, one "steer: <text>" line each.
import {
	type AgentRunner,
	estimateTokens,
	ModelError,
	type TurnInput,
	type TurnIO,
	type TurnMessage,
	type TurnResult,
	textOf,
} from './runner'

const MAX_SLOW_MS = 600_000

function sleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal.aborted) return reject(signal.reason)
		const timer = setTimeout(() => {
			signal.removeEventListener('abort', onAbort)
			resolve()
		}, ms)
		const onAbort = () => {
			clearTimeout(timer)
			reject(signal.reason)
		}
		signal.addEventListener('abort', onAbort, { once: true })
	})
}

/** Splits text into up to `parts` pieces of near-equal length (never empty pieces). */
export function chunk(text: string, parts = 3): string[] {
	if (text.length === 0) return []
	const size = Math.ceil(text.length / parts)
	const out: string[] = []
	for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
	return out
}

/** What the offline model answers to one input text, or the directive it carries. */
export function parseOfflineInput(
	text: string,
):
	| { kind: 'echo'; text: string }
	| { kind: 'slow'; ms: number; text: string }
	| { kind: 'fail'; status: number } {
	const slow = /^\/slow\s+(\d{1,7})(?:\s+([\s\S]*))?$/.exec(text)
	if (slow) return { kind: 'slow', ms: Math.min(Number(slow[1]), MAX_SLOW_MS), text: slow[2] ?? '' }
	const fail = /^\/fail\s+(\d{3})\s*$/.exec(text)
	if (fail) return { kind: 'fail', status: Number(fail[1]) }
	return { kind: 'echo', text }
}

export class OfflineModel implements AgentRunner {
	readonly model: string

	constructor(model = 'offline:echo') {
		this.model = model
	}

	async runTurn(input: TurnInput, io: TurnIO): Promise<TurnResult> {
		const texts: string[] = []
		for (const message of input.input) {
			const parsed = parseOfflineInput(textOf(message))
			if (parsed.kind === 'fail') {
				throw new ModelError(
					'provider_error',
					`offline model: simulated provider error ${parsed.status}`,
					{
						status: parsed.status,
					},
				)
			}
			if (parsed.kind === 'slow') await sleep(parsed.ms, input.signal)
			texts.push(parsed.text)
		}
		input.signal.throwIfAborted()
		let reply = `echo: ${texts.join('\n')}`
		for (const steered of io.steer()) reply += `\nsteer: ${textOf(steered)}`
		for (const piece of chunk(reply)) io.delta(piece)
		// Prompt size without building the prompt: characters of every message plus separators.
		let promptChars = -1
		for (const m of [...input.transcript, ...input.input]) {
			promptChars += 1
			for (const part of m.content) promptChars += part.text.length
		}
		return {
			text: reply,
			usage: {
				inputTokens: Math.ceil(Math.max(0, promptChars) / 4),
				outputTokens: estimateTokens(reply),
			},
			model: this.model,
		}
	}

	/** Deterministic summary: one line per message, each cut to 120 characters. */
	async summarize(messages: TurnMessage[]): Promise<string> {
		const lines = messages.map((m) => {
			const text = textOf(m).replace(/\s+/g, ' ').trim()
			return `- ${m.role}: ${text.length > 120 ? `${text.slice(0, 117)}...` : text}`
		})
		return `Summary of ${messages.length} earlier messages:\n${lines.join('\n')}`
	}
}
