// WebChat's calls to the gateway (src/gateway/routes/sessions/*, agents.ts), through the app's one
// HTTP client: every failure is an ApiError with the server's code.
import { ApiError, api, seg } from '../api'
import type { FetchPage } from './history'
import type {
	AgentSummary,
	ApprovalChoice,
	ApprovalView,
	MessagePage,
	QueueMode,
	SessionInfo,
	SessionSummary,
	SubmitResult,
} from './types'

/** Random letters and digits (session keys, idempotency keys). */
export function randomId(length = 12): string {
	const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
	const bytes = crypto.getRandomValues(new Uint8Array(length))
	return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')
}

/** A fresh session key; the lane is created by the first message sent to it. */
export const newSessionKey = (): string => `web-${randomId()}`

const sessionPath = (key: string) => `/v1/sessions/${seg(key)}`

export async function listAgents(signal?: AbortSignal): Promise<AgentSummary[]> {
	const page = await api.get<{ agents: AgentSummary[] }>('/v1/agents', undefined, signal)
	return page.agents
}

/** The agent's sessions, most recently active first. */
export async function listSessions(agent: string, signal?: AbortSignal): Promise<SessionSummary[]> {
	const page = await api.get<{ sessions: SessionSummary[] }>(
		'/v1/sessions',
		{ agent, limit: 50 },
		signal,
	)
	return page.sessions
}

/**
 * Why the session's socket was refused, asked over HTTP (a browser hides a failed handshake's
 * status): a reason to stop retrying, or null when the refusal looks passing (retry). A 401 also
 * signs the tab out (the API client's unauthorized listeners).
 */
export async function whyRefused(agent: string, key: string): Promise<string | null> {
	try {
		return (await readSession(agent, key)) === null ? 'The session does not exist.' : null
	} catch (error) {
		if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
			return `${error.code}: ${error.detail}`
		}
		return null
	}
}

/** The session, or null when it does not exist yet (no message sent to it so far). */
export async function readSession(
	agent: string,
	key: string,
	signal?: AbortSignal,
): Promise<SessionInfo | null> {
	try {
		return await api.get<SessionInfo>(sessionPath(key), { agent }, signal)
	} catch (error) {
		if (error instanceof ApiError && error.status === 404) return null
		throw error
	}
}

export const messagePager =
	(agent: string, key: string, signal?: AbortSignal): FetchPage =>
	(after, limit) =>
		api.get<MessagePage>(`${sessionPath(key)}/messages`, { agent, after, limit }, signal)

export async function listApprovals(
	agent: string,
	key: string,
	signal?: AbortSignal,
): Promise<ApprovalView[]> {
	const page = await api.get<{ approvals: ApprovalView[] }>(
		`${sessionPath(key)}/approvals`,
		{ agent },
		signal,
	)
	return page.approvals
}

export const sendMessage = (
	agent: string,
	key: string,
	body: { content: string; mode: QueueMode; idempotencyKey: string },
) => api.post<SubmitResult>(`${sessionPath(key)}/messages`, { agent, ...body })

export const cancelRun = (agent: string, key: string, runId: string) =>
	api.post<unknown>(`${sessionPath(key)}/runs/${seg(runId)}/cancel`, {}, { agent })

export const resetSession = (agent: string, key: string) =>
	api.post<SessionInfo>(`${sessionPath(key)}/reset`, {}, { agent })

export const decideApproval = (agent: string, key: string, id: string, decision: ApprovalChoice) =>
	api.post<ApprovalView>(`${sessionPath(key)}/approvals/${seg(id)}`, { decision }, { agent })
