// WebChat's calls to the gateway (src/gateway/routes/sessions/*, agents.ts), through the app's one
// HTTP client: every failure is an ApiError with the server's code.
import { ApiError, client, must } from '../api'
import type { FetchPage } from './history'
import type {
	AgentSummary,
	ApprovalChoice,
	ApprovalView,
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

export async function listAgents(signal?: AbortSignal): Promise<AgentSummary[]> {
	const page = await must(client.GET('/v1/agents', { signal }), signal)
	return page.agents
}

/** The agent's sessions, most recently active first. */
export async function listSessions(agent: string, signal?: AbortSignal): Promise<SessionSummary[]> {
	const page = await must(
		client.GET('/v1/sessions', { params: { query: { agent, limit: 50 } }, signal }),
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
		return await must(
			client.GET('/v1/sessions/{sessionKey}', {
				params: { path: { sessionKey: key }, query: { agent } },
				signal,
			}),
			signal,
		)
	} catch (error) {
		if (error instanceof ApiError && error.status === 404) return null
		throw error
	}
}

export const messagePager =
	(agent: string, key: string, signal?: AbortSignal): FetchPage =>
	(after, limit) =>
		must(
			client.GET('/v1/sessions/{sessionKey}/messages', {
				params: { path: { sessionKey: key }, query: { agent, after, limit } },
				signal,
			}),
			signal,
		)

export async function listApprovals(
	agent: string,
	key: string,
	signal?: AbortSignal,
): Promise<ApprovalView[]> {
	const page = await must(
		client.GET('/v1/sessions/{sessionKey}/approvals', {
			params: { path: { sessionKey: key }, query: { agent } },
			signal,
		}),
		signal,
	)
	return page.approvals
}

export const sendMessage = (
	agent: string,
	key: string,
	body: { content: string; mode: QueueMode; idempotencyKey: string },
): Promise<SubmitResult> =>
	must(
		client.POST('/v1/sessions/{sessionKey}/messages', {
			params: { path: { sessionKey: key } },
			body: { agent, ...body },
		}),
	)

export const cancelRun = (agent: string, key: string, runId: string) =>
	must(
		client.POST('/v1/sessions/{sessionKey}/runs/{runId}/cancel', {
			params: { path: { sessionKey: key, runId }, query: { agent } },
		}),
	)

export const resetSession = (agent: string, key: string): Promise<SessionInfo> =>
	must(
		client.POST('/v1/sessions/{sessionKey}/reset', {
			params: { path: { sessionKey: key }, query: { agent } },
		}),
	)

export const decideApproval = (
	agent: string,
	key: string,
	id: string,
	decision: ApprovalChoice,
): Promise<ApprovalView> =>
	must(
		client.POST('/v1/sessions/{sessionKey}/approvals/{approvalId}', {
			params: { path: { sessionKey: key, approvalId: id }, query: { agent } },
			body: { decision },
		}),
	)
