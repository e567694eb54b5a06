// The peer of edgeclaw's turn on the same runtime: a Cloudflare Agents SDK `AIChatAgent` per
// session, written the way the SDK's docs write one (`streamText` over
// `convertToModelMessages(this.messages)`, answered with the UI message stream response), and
// driven by the SDK's server-side turn, `saveMessages`: it persists the user message, runs
// `onChatMessage` inside the agent's turn queue, and resolves once the assistant reply is stored.
// The model is the product bench's: the offline echo model, or an OpenAI-compatible server on
// loopback (`PEER_OPENAI_BASE_URL`), chosen per turn by the user message's metadata.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import type { LanguageModelV4 } from '@ai-sdk/provider'
import { AIChatAgent, type OnChatMessageOptions } from '@cloudflare/ai-chat'
import { getAgentByName } from 'agents'
import { convertToModelMessages, streamText, type UIMessage } from 'ai'
import { Hono } from 'hono'
import { OfflineLanguageModel } from '../../src/agents/models/offline'

interface Env {
	PEER_CHAT: DurableObjectNamespace<PeerChat>
	PEER_OPENAI_BASE_URL: string
}

export type PeerModel = 'offline' | 'openai'

/** What a turn's user message carries besides its text: the model that answers it. */
interface TurnMetadata {
	model: PeerModel
}

export interface TranscriptEntry {
	role: string
	text: string
}

const textOf = (message: Pick<UIMessage, 'parts'>): string =>
	message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('')

const modelOf = (message: UIMessage | undefined): PeerModel =>
	(message?.metadata as Partial<TurnMetadata> | undefined)?.model === 'openai'
		? 'openai'
		: 'offline'

/** The product bench's instant models: the offline echo model, or the loopback OpenAI server. */
function modelFor(which: PeerModel, env: Env): LanguageModelV4 {
	if (which === 'offline') return new OfflineLanguageModel('echo')
	return createOpenAICompatible({
		name: 'bench-openai',
		baseURL: env.PEER_OPENAI_BASE_URL,
		includeUsage: true,
	})('bench-instant')
}

export class PeerChat extends AIChatAgent<Env> {
	override async onChatMessage(
		_onFinish: unknown,
		options?: OnChatMessageOptions,
	): Promise<Response | undefined> {
		const lastUser = this.messages.findLast((message) => message.role === 'user')
		const result = streamText({
			model: modelFor(modelOf(lastUser), this.env),
			messages: await convertToModelMessages(this.messages),
			...(options?.abortSignal ? { abortSignal: options.abortSignal } : {}),
		})
		return result.toUIMessageStreamResponse()
	}

	/**
	 * One complete turn: `saveMessages` appends the user message to the stored transcript and runs
	 * `onChatMessage` in the turn queue; it resolves after `_reply` has persisted the assistant
	 * message. Answers the reply's text.
	 */
	async turn(text: string, model: PeerModel): Promise<string> {
		const user: UIMessage = {
			id: crypto.randomUUID(),
			role: 'user',
			parts: [{ type: 'text', text }],
			metadata: { model } satisfies TurnMetadata,
		}
		const result = await this.saveMessages((messages) => [...messages, user])
		if (result.status !== 'completed') {
			throw new Error(`turn ${result.status}${result.error ? `: ${result.error}` : ''}`)
		}
		const at = this.messages.findIndex((message) => message.id === user.id)
		const reply = at === -1 ? undefined : this.messages[at + 1]
		if (reply?.role !== 'assistant') throw new Error('turn completed without a stored reply')
		return textOf(reply)
	}

	/** The stored transcript, read from the agent's durable session history. */
	async transcript(): Promise<TranscriptEntry[]> {
		const history = await this.sessions.session().getHistory()
		return history.map((message) => ({
			role: message.role,
			text: message.parts.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join(''),
		}))
	}
}

const parseTurnBody = (body: unknown): { text: string; model: PeerModel } => {
	const b = body as { text?: unknown; model?: unknown } | null
	if (typeof b?.text !== 'string') throw new Error('body.text must be a string')
	if (b.model !== undefined && b.model !== 'offline' && b.model !== 'openai') {
		throw new Error('body.model must be "offline" or "openai"')
	}
	return { text: b.text, model: b.model ?? 'offline' }
}

const app = new Hono<{ Bindings: Env }>()

app.get('/ready', (c) => c.text('ok'))

app.post('/turn/:session', async (c) => {
	const { text, model } = parseTurnBody(await c.req.json())
	const agent = await getAgentByName(c.env.PEER_CHAT, c.req.param('session'))
	return c.json({ text: await agent.turn(text, model) })
})

app.get('/messages/:session', async (c) => {
	const agent = await getAgentByName(c.env.PEER_CHAT, c.req.param('session'))
	return c.json({ messages: await agent.transcript() })
})

app.onError((err, c) => c.json({ error: err instanceof Error ? err.message : String(err) }, 500))

export default { fetch: app.fetch } satisfies ExportedHandler<Env>
