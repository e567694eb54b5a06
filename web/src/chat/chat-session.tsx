// One open chat session: its connection status, reset, the transcript and the composer — each
// action shown only to a principal allowed to take it.
import { useEffect, useRef, useState } from 'preact/hooks'
import { traceHref } from '../links'
import { can } from '../session'
import { useAction } from '../ui/action'
import { ErrorNotice } from '../ui/kit'
import { Composer } from './composer'
import { Transcript } from './transcript'
import { activeRun, transcriptItems } from './transcript-view'
import { type Connection, useChat } from './use-chat'

/** The status text the browser tests read: "Live" only while the socket is open. */
export function connectionText(c: Connection): string {
	if (c.status === 'open') return 'Live'
	if (c.status === 'idle') return 'New session'
	if (c.status === 'closed') return c.reason ? `Disconnected: ${c.reason}` : 'Disconnected'
	return 'Reconnecting…'
}

export function ChatSessionView({ agent, sessionKey }: { agent: string; sessionKey: string }) {
	const chat = useChat(agent, sessionKey)
	const canSend = can('sessions:send')
	const canApprove = can('sessions:approve')
	const items = transcriptItems(chat.state)
	if (chat.loading) return <p class="muted">Loading the session…</p>
	if (chat.loadError) return <ErrorNotice error={chat.loadError} />
	return (
		<div class="chat-session">
			<div class="chat-status">
				<span role="status" class={`connection ${chat.connection.status}`}>
					{connectionText(chat.connection)}
				</span>
				{can('sessions:reset') && chat.connection.status !== 'idle' && (
					<ResetControl onReset={chat.reset} />
				)}
			</div>
			<Transcript
				items={items}
				hasEarlier={chat.state.earlier.length > 0}
				onLoadEarlier={chat.loadEarlier}
				onDecide={canApprove ? chat.decide : undefined}
				onRetry={canSend ? (id) => void chat.retry(id) : undefined}
				onDismiss={chat.dismiss}
				traceHref={(runId) => traceHref(agent, sessionKey, runId)}
			/>
			<Composer
				canSend={canSend}
				canStop={can('sessions:cancel')}
				busy={activeRun(chat.state) !== null}
				onSend={(text, mode) => void chat.send(text, mode)}
				onStop={chat.stop}
			/>
		</div>
	)
}

/** "Reset session", then "Confirm reset" (no window.confirm: it blocks and tests cannot see it). */
function ResetControl({ onReset }: { onReset: () => Promise<void> }) {
	const [confirming, setConfirming] = useState(false)
	const reset = useAction()
	const confirm = useRef<HTMLButtonElement>(null)
	const start = useRef<HTMLButtonElement>(null)
	const wasConfirming = useRef(false)
	useEffect(() => {
		// Focus follows the step (as ConfirmButton's does): the button pressed has just gone away.
		if (confirming) confirm.current?.focus()
		else if (wasConfirming.current) start.current?.focus()
		wasConfirming.current = confirming
	}, [confirming])
	return (
		<span class="reset-control">
			{confirming ? (
				<>
					<span class="muted">Start a new transcript? Running work is cancelled.</span>
					<button
						ref={confirm}
						type="button"
						class="danger"
						disabled={reset.busy}
						onClick={async () => {
							const done = await reset.run(async () => {
								await onReset()
								return true
							})
							if (done) setConfirming(false)
						}}
					>
						Confirm reset
					</button>
					<button type="button" disabled={reset.busy} onClick={() => setConfirming(false)}>
						Keep
					</button>
				</>
			) : (
				<button ref={start} type="button" onClick={() => setConfirming(true)}>
					Reset session
				</button>
			)}
			<ErrorNotice error={reset.error} />
		</span>
	)
}
