// WebChat: pick an agent and one of its sessions (or start a new one), then talk in it. The
// choice lives in the URL (`/chat?agent=&session=`), so a reload or a shared link reopens it;
// credentials never go into a URL.
import { useEffect } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { can } from '../session'
import { ErrorNotice, Page, useResource } from '../ui/kit'
import { listAgents, listSessions, newSessionKey } from './chat-api'
import { ChatSessionView } from './chat-session'
import type { AgentSummary } from './types'

const chatUrl = (agent: string, session?: string) =>
	`/chat?${new URLSearchParams(session ? { agent, session } : { agent }).toString()}`

/** The agent a bare /chat opens: `main` when there is one, else the first. */
const defaultAgent = (agents: AgentSummary[]): string | undefined =>
	(agents.find((a) => a.id === 'main') ?? agents[0])?.id

export function ChatPage() {
	const { query, route } = useLocation()
	const agents = useResource((signal) => listAgents(signal), [])
	const agent = query.agent || (agents.data && defaultAgent(agents.data)) || ''
	// Tagged with their agent: right after a switch the previous agent's list is still held.
	const sessions = useResource(
		async (signal) => ({ agent, list: agent ? await listSessions(agent, signal) : [] }),
		[agent],
	)
	const known = sessions.data?.agent === agent ? sessions.data.list : undefined
	const session = query.session ?? ''

	// Fill in what the URL lacks: the default agent, then its newest session or a new one.
	useEffect(() => {
		if (!agent || session || !known) return
		route(chatUrl(agent, known[0]?.sessionKey ?? newSessionKey()), true)
	}, [agent, session, known, route])

	const listed = known ?? []
	const sessionKeys = session && !listed.some((s) => s.sessionKey === session) ? [session] : []
	return (
		<Page title="Chat">
			<div class="chat-bar">
				<span class="field">
					<label for="chat-agent">Agent</label>
					<select
						id="chat-agent"
						value={agent}
						onChange={(e) => route(chatUrl(e.currentTarget.value))}
					>
						{(agents.data ?? (agent ? [{ id: agent, name: agent }] : [])).map((a) => (
							<option key={a.id} value={a.id}>
								{a.name && a.name !== a.id ? `${a.id} — ${a.name}` : a.id}
							</option>
						))}
					</select>
				</span>
				<span class="field">
					<label for="chat-session">Session</label>
					<select
						id="chat-session"
						value={session}
						onChange={(e) => route(chatUrl(agent, e.currentTarget.value))}
					>
						{sessionKeys.map((key) => (
							<option key={key} value={key}>
								{key}
							</option>
						))}
						{listed.map((s) => (
							<option key={s.sessionKey} value={s.sessionKey}>
								{`${s.sessionKey} (${s.messageCount} messages)`}
							</option>
						))}
					</select>
				</span>
				{/* A session starts with its first message: pointless for who may not send one. */}
				{can('sessions:send') && (
					<button
						type="button"
						disabled={!agent}
						onClick={() => route(chatUrl(agent, newSessionKey()))}
					>
						New session
					</button>
				)}
			</div>
			<ErrorNotice error={agents.error ?? sessions.error} />
			{agents.data?.length === 0 && (
				<p class="muted">No agents yet: create one on the Agents page.</p>
			)}
			{agent && session && (
				<ChatSessionView key={`${agent}/${session}`} agent={agent} sessionKey={session} />
			)}
		</Page>
	)
}
