// The transcript: stored and live messages in order, tool calls collapsible with their results,
// approval cards where the call waits, and how each live run stands. Model and tool text is
// sanitised markdown or plain text; nothing is put into the page as unsanitised HTML.
import { useLayoutEffect, useRef } from 'preact/hooks'
import { useAction } from '../ui/action'
import { ErrorNotice } from '../ui/kit'
import { ApprovalCardView } from './approval-card'
import { Markdown } from './markdown-view'
import type { OutgoingMessage } from './outbox'
import type { LiveRun } from './runs'
import type { TranscriptItem } from './transcript-view'
import type { ApprovalChoice } from './types'

export interface TranscriptProps {
	items: TranscriptItem[]
	hasEarlier: boolean
	onLoadEarlier: () => Promise<void>
	/** Absent when the principal may not decide approvals. */
	onDecide?: (approvalId: string, choice: ApprovalChoice) => Promise<void>
	onRetry?: (localId: string) => void
	onDismiss: (localId: string) => void
	/** Where a run's trace is shown; absent: no trace links. */
	traceHref?: (runId: string) => string
}

/** Within this many pixels of the bottom, new content keeps the view at the bottom. */
const STICK_PX = 48

export function Transcript(props: TranscriptProps) {
	const log = useRef<HTMLDivElement>(null)
	const atBottom = useRef(true)
	const earlier = useAction()
	/** Set by "Load earlier": the first item and the log's height before older ones go in above. */
	const anchor = useRef<{ firstKey: string | undefined; height: number } | null>(null)
	useLayoutEffect(() => {
		const el = log.current
		if (!el) return
		const before = anchor.current
		if (before && props.items[0]?.key !== before.firstKey) {
			// Older messages went in above: keep the ones being read where they were.
			anchor.current = null
			el.scrollTop += el.scrollHeight - before.height
		} else if (atBottom.current) el.scrollTop = el.scrollHeight
	}, [props.items])
	const loadEarlier = async () => {
		const el = log.current
		atBottom.current = false
		anchor.current = { firstKey: props.items[0]?.key, height: el?.scrollHeight ?? 0 }
		const loaded = await earlier.run(async () => {
			await props.onLoadEarlier()
			return true
		})
		// Nothing older came (or the load failed): no render will use the anchor.
		if (!loaded) anchor.current = null
		else requestAnimationFrame(() => (anchor.current = null))
	}
	return (
		<div
			ref={log}
			role="log"
			aria-label="Transcript"
			class="transcript"
			onScroll={(e) => {
				const el = e.currentTarget
				atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX
			}}
		>
			{props.hasEarlier && (
				<button
					type="button"
					class="load-earlier"
					disabled={earlier.busy}
					onClick={() => void loadEarlier()}
				>
					Load earlier
				</button>
			)}
			<ErrorNotice error={earlier.error} />
			{props.items.length === 0 && <p class="muted empty">No messages yet.</p>}
			{props.items.map((item) => (
				<Item key={item.key} item={item} {...props} />
			))}
		</div>
	)
}

function Item({
	item,
	onDecide,
	onRetry,
	onDismiss,
	traceHref,
}: { item: TranscriptItem } & TranscriptProps) {
	switch (item.kind) {
		case 'user':
			return (
				<div class={item.compacted ? 'msg user compacted' : 'msg user'}>
					<p class="plain">{item.text}</p>
				</div>
			)
		case 'assistant':
			return (
				<div class={item.compacted ? 'msg assistant compacted' : 'msg assistant'}>
					<Markdown text={item.text} busy={item.streaming} />
					{item.endsRun && item.runId && traceHref && (
						<a class="run-trace" href={traceHref(item.runId)}>
							Run trace
						</a>
					)}
				</div>
			)
		case 'summary':
			return (
				<details class="msg summary">
					<summary>Summary of earlier messages</summary>
					<Markdown text={item.text} />
				</details>
			)
		case 'system':
			return <p class="msg system plain">{item.text}</p>
		case 'tool':
			return (
				<div class="tool">
					<details class="tool-call">
						<summary>
							Tool {item.name}{' '}
							<span class="muted">
								{item.result ? (item.result.isError ? 'failed' : 'done') : 'running…'}
							</span>
						</summary>
						{item.args && (
							<>
								<p class="tool-label">Arguments</p>
								<pre class="tool-text">{item.args}</pre>
							</>
						)}
						{item.result && (
							<>
								<p class="tool-label">Result{item.result.code ? ` (${item.result.code})` : ''}</p>
								<pre class="tool-text">{item.result.text}</pre>
							</>
						)}
					</details>
					{item.approval && (
						<ApprovalCardView
							card={item.approval}
							onDecide={onDecide && ((choice) => onDecide(item.approval?.id ?? '', choice))}
						/>
					)}
				</div>
			)
		case 'approval':
			return (
				<ApprovalCardView
					card={item.approval}
					onDecide={onDecide && ((choice) => onDecide(item.approval.id, choice))}
				/>
			)
		case 'run':
			return <RunStatusLine run={item.run} />
		case 'outgoing':
			return <Outgoing message={item.message} onRetry={onRetry} onDismiss={onDismiss} />
	}
}

const CANCEL_REASONS: Record<string, string> = {
	cancelled: 'Stopped.',
	interrupted: 'Interrupted by a newer message.',
	reset: 'Cancelled by a reset.',
}

function RunStatusLine({ run }: { run: LiveRun }) {
	let text = ''
	if (run.retrying) text = 'The session restarted during this run; it runs again.'
	else if (run.status === 'queued') text = 'Queued…'
	else if (run.status === 'running') text = 'Working…'
	else if (run.status === 'cancelled')
		text = CANCEL_REASONS[run.cancelReason ?? ''] ?? `Cancelled (${run.cancelReason}).`
	return (
		<div class={`run-status ${run.status}`}>
			{text && <p class="muted">{text}</p>}
			{run.error && (
				<p class="error">
					<strong>{run.error.code}</strong>: {run.error.message}
				</p>
			)}
			{run.notices.map((n) => (
				<p key={n} class="muted">
					{n}
				</p>
			))}
		</div>
	)
}

function Outgoing(props: {
	message: OutgoingMessage
	onRetry?: (localId: string) => void
	onDismiss: (localId: string) => void
}) {
	const m = props.message
	return (
		<div class={`msg user outgoing ${m.state}`}>
			<p class="plain">{m.text}</p>
			{m.state === 'sending' && <p class="muted">Sending…</p>}
			{m.state === 'failed' && (
				<>
					<ErrorNotice error={m.error} />
					<div class="outgoing-actions">
						{props.onRetry && (
							<button type="button" onClick={() => props.onRetry?.(m.localId)}>
								Retry
							</button>
						)}
						<button type="button" onClick={() => props.onDismiss(m.localId)}>
							Dismiss
						</button>
					</div>
				</>
			)}
		</div>
	)
}
