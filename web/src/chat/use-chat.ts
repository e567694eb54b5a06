// One chat session in the page: loads the newest transcript window, the pending approvals and the
// seq to resume from, then follows the event socket; sends, stops, resets and decides over HTTP.
// The stored transcript is fetched again (forward, from its last seq) whenever an event says it
// changed, so what a run streamed gives way to what the lane stored.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { credentials } from '../api'
import {
	cancelRun,
	decideApproval,
	listApprovals,
	messagePager,
	randomId,
	readSession,
	resetSession,
	sendMessage,
	whyRefused,
} from './chat-api'
import { loadAfter, loadTail } from './history'
import { SessionSocket, type SocketStatus } from './socket'
import { type ChatAction, type ChatState, chatReducer, initialChatState } from './stream'
import { activeRun } from './transcript-view'
import type { ApprovalChoice, QueueMode } from './types'

/** `idle`: the session does not exist yet; the socket opens once the first message created it. */
export type Connection = { status: SocketStatus | 'idle'; reason?: string }

export interface ChatSession {
	state: ChatState
	loading: boolean
	loadError: unknown
	connection: Connection
	send(text: string, mode: QueueMode): Promise<void>
	retry(localId: string): Promise<void>
	dismiss(localId: string): void
	stop(): Promise<void>
	reset(): Promise<void>
	decide(approvalId: string, choice: ApprovalChoice): Promise<void>
	loadEarlier(): Promise<void>
}

export function useChat(agent: string, sessionKey: string): ChatSession {
	// The reducer's state also lives in a ref, so the socket reads the current lastSeq when it
	// reconnects, not the one of the last render.
	const stateRef = useRef<ChatState>(initialChatState)
	const [state, setState] = useState<ChatState>(initialChatState)
	const dispatch = useCallback((action: ChatAction) => {
		stateRef.current = chatReducer(stateRef.current, action)
		setState(stateRef.current)
	}, [])
	const [loading, setLoading] = useState(true)
	const [loadError, setLoadError] = useState<unknown>(null)
	const [exists, setExists] = useState(false)
	const [connection, setConnection] = useState<Connection>({ status: 'idle' })
	const fetchPage = useMemo(() => messagePager(agent, sessionKey), [agent, sessionKey])

	useEffect(() => {
		const controller = new AbortController()
		const pages = messagePager(agent, sessionKey, controller.signal)
		void (async () => {
			try {
				// The seq first: events after it may repeat what the transcript holds (deduplicated),
				// but none can fall between the two.
				const info = await readSession(agent, sessionKey, controller.signal)
				const [tail, approvals] = info
					? await Promise.all([
							loadTail(pages),
							listApprovals(agent, sessionKey, controller.signal),
						])
					: [{ messages: [], earlier: [] }, []]
				if (controller.signal.aborted) return
				dispatch({
					type: 'init',
					lastSeq: info?.lastEventSeq ?? 0,
					activeRunId: info?.activeRunId ?? null,
					history: tail.messages,
					earlier: tail.earlier,
					approvals,
				})
				setExists(info !== null)
			} catch (error) {
				if (!controller.signal.aborted) setLoadError(error)
			} finally {
				if (!controller.signal.aborted) setLoading(false)
			}
		})()
		return () => controller.abort()
	}, [agent, sessionKey, dispatch])

	useEffect(() => {
		if (!exists) return
		const socket = new SessionSocket({
			agent,
			sessionKey,
			lastSeq: () => stateRef.current.lastSeq,
			onEvent: (event) => dispatch({ type: 'event', event }),
			onOpen: () => dispatch({ type: 'connected' }),
			onStatus: (status, reason) => setConnection({ status, ...(reason && { reason }) }),
			origin: location.origin,
			token: credentials.token,
			tenant: credentials.tenant,
			refused: () => whyRefused(agent, sessionKey),
		})
		socket.start()
		const online = () => socket.reconnectNow()
		addEventListener('online', online)
		return () => {
			removeEventListener('online', online)
			socket.close()
		}
	}, [exists, agent, sessionKey, dispatch])

	// Catch up with the stored transcript whenever an event said it changed; one fetch at a time.
	const catchingUp = useRef<Promise<void> | null>(null)
	const again = useRef(false)
	useEffect(() => {
		if (state.transcriptVersion === 0) return
		const run = async (): Promise<void> => {
			do {
				again.current = false
				const { history, epoch } = stateRef.current
				try {
					const messages = await loadAfter(fetchPage, history.at(-1)?.seq ?? 0)
					dispatch({ type: 'history', messages, epoch })
				} catch {
					// The next event that changes the transcript tries again.
				}
			} while (again.current)
			catchingUp.current = null
		}
		if (catchingUp.current) again.current = true
		else catchingUp.current = run()
	}, [state.transcriptVersion, fetchPage, dispatch])

	const post = useCallback(
		async (localId: string) => {
			const message = stateRef.current.outgoing.find((m) => m.localId === localId)
			if (!message) return
			try {
				const result = await sendMessage(agent, sessionKey, {
					content: message.text,
					mode: message.mode,
					idempotencyKey: message.idempotencyKey,
				})
				dispatch({
					type: 'accepted',
					localId,
					runId: result.runId,
					status: result.status,
					disposition: result.disposition,
				})
				setExists(true)
			} catch (error) {
				dispatch({ type: 'send-failed', localId, error })
			}
		},
		[agent, sessionKey, dispatch],
	)

	const send = async (text: string, mode: QueueMode) => {
		const localId = randomId()
		dispatch({
			type: 'send',
			message: {
				localId,
				text,
				mode,
				idempotencyKey: `web-${randomId(24)}`,
				runId: null,
				state: 'sending',
				error: null,
			},
		})
		await post(localId)
	}

	const retry = async (localId: string) => {
		dispatch({ type: 'resend', localId })
		await post(localId)
	}

	const stop = async () => {
		const run = activeRun(stateRef.current)
		if (run) await cancelRun(agent, sessionKey, run.runId)
	}

	const reset = async () => {
		await resetSession(agent, sessionKey)
	}

	const decide = async (approvalId: string, choice: ApprovalChoice) => {
		const approval = await decideApproval(agent, sessionKey, approvalId, choice)
		dispatch({ type: 'approval', approval, choice })
	}

	const loadEarlier = async () => {
		const { earlier, epoch } = stateRef.current
		const cursor = earlier.at(-1)
		if (!cursor) return
		const page = await fetchPage(cursor.after, cursor.limit)
		dispatch({ type: 'earlier', messages: page.messages, epoch })
	}

	return {
		state,
		loading,
		loadError,
		connection,
		send,
		retry,
		dismiss: (localId) => dispatch({ type: 'dismiss', localId }),
		stop,
		reset,
		decide,
		loadEarlier,
	}
}
