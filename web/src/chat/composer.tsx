// The composer: a "Message" textbox (Enter sends, Shift+Enter is a newline), "Send", the queue
// mode for what is sent while a run is busy, and "Stop" for the running run. Each control shows
// only when the signed-in principal may use it (the server still checks).
import { useState } from 'preact/hooks'
import { useAction } from '../ui/action'
import { ErrorNotice } from '../ui/kit'
import { QUEUE_MODES, type QueueMode } from './types'

const MODE_LABELS: Record<QueueMode, string> = {
	followup: 'Follow-up: queue a new turn',
	collect: 'Collect: batch into the next turn',
	steer: 'Steer: inject into the running turn',
	interrupt: 'Interrupt: stop the running turn, run this',
}

export interface ComposerProps {
	canSend: boolean
	canStop: boolean
	/** A run is queued or running. */
	busy: boolean
	onSend: (text: string, mode: QueueMode) => void
	onStop: () => Promise<void>
}

export function Composer(props: ComposerProps) {
	const [text, setText] = useState('')
	const [mode, setMode] = useState<QueueMode>('followup')
	const stop = useAction()
	if (!props.canSend && !props.canStop) return null
	// Reads the field itself: a key pressed right after typing may come before the next render.
	const submit = (value: string) => {
		if (value.trim() === '') return
		props.onSend(value, mode)
		setText('')
	}
	return (
		<form
			class="composer"
			onSubmit={(e) => {
				e.preventDefault()
				submit(e.currentTarget.querySelector('textarea')?.value ?? '')
			}}
		>
			{props.canSend && (
				<>
					<label for="chat-message" class="visually-hidden">
						Message
					</label>
					<textarea
						id="chat-message"
						name="message"
						rows={2}
						placeholder="Message"
						value={text}
						onInput={(e) => setText(e.currentTarget.value)}
						onKeyDown={(e) => {
							// Enter sends; Shift+Enter is a newline; Enter that ends an IME composition is neither.
							if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
								e.preventDefault()
								submit(e.currentTarget.value)
							}
						}}
					/>
				</>
			)}
			<div class="composer-actions">
				{props.canSend && (
					<span class="queue-mode">
						<label for="chat-queue-mode">Queue mode</label>
						<select
							id="chat-queue-mode"
							value={mode}
							onChange={(e) => setMode(e.currentTarget.value as QueueMode)}
						>
							{QUEUE_MODES.map((m) => (
								<option key={m} value={m}>
									{MODE_LABELS[m]}
								</option>
							))}
						</select>
					</span>
				)}
				{props.canStop && (
					<button
						type="button"
						class="danger"
						disabled={!props.busy || stop.busy}
						onClick={() => void stop.run(props.onStop)}
					>
						Stop
					</button>
				)}
				{props.canSend && (
					<button type="submit" disabled={text.trim() === ''}>
						Send
					</button>
				)}
			</div>
			<ErrorNotice error={stop.error} />
		</form>
	)
}
