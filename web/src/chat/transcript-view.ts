// What the transcript shows, in order: the stored messages (tool calls paired with their results),
// each live run — the message that started it, what it streamed that is not stored yet, its
// approvals and how it ended — right after its own stored messages (so a stopped run stays above
// the messages sent after it), then messages still on their way. Pure, so it is tested alone.
import type { ApprovalCard } from './approvals'
import type { OutgoingMessage } from './outbox'
import type { LiveRun } from './runs'
import type { ChatState } from './stream'
import { isFinished, type MessageView } from './types'

export interface ToolResult {
	text: string
	isError: boolean
	code?: string
}

export type TranscriptItem =
	| { kind: 'user'; key: string; text: string; compacted: boolean }
	| {
			kind: 'assistant'
			key: string
			text: string
			compacted: boolean
			streaming: boolean
			runId?: string
			/** The run's last answer shown: where the run's trace is linked. */
			endsRun?: true
	  }
	| { kind: 'summary'; key: string; text: string }
	| { kind: 'system'; key: string; text: string }
	| {
			kind: 'tool'
			key: string
			callId: string
			name: string
			args: string
			result: ToolResult | null
			approval: ApprovalCard | null
	  }
	| { kind: 'approval'; key: string; approval: ApprovalCard }
	| { kind: 'run'; key: string; run: LiveRun }
	| { kind: 'outgoing'; key: string; message: OutgoingMessage }

/** JSON arguments shown indented; anything else as it came. */
export function argsText(args: unknown): string {
	if (args === undefined) return ''
	if (typeof args !== 'string') return JSON.stringify(args, null, 2) ?? ''
	try {
		return JSON.stringify(JSON.parse(args), null, 2)
	} catch {
		return args
	}
}

export function transcriptItems(state: ChatState): TranscriptItem[] {
	const placed = new Set<string>()
	const approvalFor = (callId: string): ApprovalCard | null => {
		const card = state.approvals.findLast((a) => a.callId === callId) ?? null
		if (card) placed.add(card.id)
		return card
	}
	const { groups, calls: storedCalls } = historyGroups(state.history, approvalFor)
	const answered = new Set(
		state.history.filter((m) => m.role === 'assistant' && m.runId).map((m) => m.runId),
	)
	// A run's live items go after its last stored message, else (nothing stored yet) at the end.
	const lastOfRun = new Map<string, number>()
	groups.forEach((g, i) => {
		if (g.runId) lastOfRun.set(g.runId, i)
	})
	const after = new Map<number, TranscriptItem[]>()
	const unstored: TranscriptItem[] = []
	const shownRuns = new Set<string>()
	for (const run of state.runs) {
		shownRuns.add(run.runId)
		const at = lastOfRun.get(run.runId)
		const items = at === undefined ? unstored : (after.get(at) ?? [])
		if (at !== undefined) after.set(at, items)
		for (const m of state.outgoing) {
			if (m.runId === run.runId)
				items.push({ kind: 'outgoing', key: `out-${m.localId}`, message: m })
		}
		if (run.status === 'succeeded' && answered.has(run.runId)) continue
		liveItems(run, storedCalls, items, approvalFor)
		for (const a of state.approvals) {
			if (a.runId === run.runId && !placed.has(a.id)) {
				placed.add(a.id)
				items.push({ kind: 'approval', key: `approval-${a.id}`, approval: a })
			}
		}
		if (run.status !== 'succeeded' || run.notices.length > 0) {
			items.push({ kind: 'run', key: `run-${run.runId}`, run })
		}
	}
	const items = groups.flatMap((g, i) => [...g.items, ...(after.get(i) ?? [])])
	items.push(...unstored)
	markRunEnds(items)
	for (const m of state.outgoing) {
		if (m.runId === null || !shownRuns.has(m.runId)) {
			items.push({ kind: 'outgoing', key: `out-${m.localId}`, message: m })
		}
	}
	// A pending approval is always shown; a decided one only beside its call (the list the page
	// loads holds decided ones whose calls lie in windows not loaded).
	for (const a of state.approvals) {
		if (!placed.has(a.id) && a.status === 'pending') {
			items.push({ kind: 'approval', key: `approval-${a.id}`, approval: a })
		}
	}
	return items
}

/** Marks each run's last finished answer (a run still streaming has no trace to link yet). */
function markRunEnds(items: TranscriptItem[]): void {
	const marked = new Set<string>()
	for (let i = items.length - 1; i >= 0; i--) {
		const item = items[i]
		if (item?.kind !== 'assistant' || !item.runId || marked.has(item.runId)) continue
		marked.add(item.runId)
		if (!item.streaming) items[i] = { ...item, endsRun: true }
	}
}

/** The items of one stored message, and the run it belongs to. */
interface HistoryGroup {
	runId: string | null
	items: TranscriptItem[]
}

/** Stored messages into items, one group each; `calls`: the callIds of the tool calls they hold. */
function historyGroups(
	history: MessageView[],
	approvalFor: (callId: string) => ApprovalCard | null,
): { groups: HistoryGroup[]; calls: Set<string> } {
	const groups: HistoryGroup[] = []
	const results = new Map<string, ToolResult>()
	const calls = new Set<string>()
	for (const m of history) {
		for (const p of m.content) {
			if (p.type === 'tool-result')
				results.set(p.callId, { text: p.result, isError: p.isError === true })
			if (p.type === 'tool-call') calls.add(p.callId)
		}
	}
	for (const m of history) {
		const items: TranscriptItem[] = []
		groups.push({ runId: m.runId, items })
		const key = `h${m.seq}`
		const text = m.content.map((p) => (p.type === 'text' ? p.text : '')).join('')
		if (m.role === 'user') items.push({ kind: 'user', key, text, compacted: m.compacted })
		else if (m.role === 'system') {
			items.push(
				m.kind === 'summary' ? { kind: 'summary', key, text } : { kind: 'system', key, text },
			)
		} else {
			m.content.forEach((p, i) => {
				if (p.type === 'text' && p.text.trim() !== '') {
					items.push({
						kind: 'assistant',
						key: `${key}-${i}`,
						text: p.text,
						compacted: m.compacted,
						streaming: false,
						...(m.runId && { runId: m.runId }),
					})
				} else if (p.type === 'tool-call' || (p.type === 'tool-result' && !calls.has(p.callId))) {
					items.push({
						kind: 'tool',
						key: `tool-${p.callId}`,
						callId: p.callId,
						name: p.name,
						args: p.type === 'tool-call' ? argsText(p.args) : '',
						result: results.get(p.callId) ?? null,
						approval: approvalFor(p.callId),
					})
				}
			})
		}
	}
	for (const callId of results.keys()) calls.add(callId)
	return { groups, calls }
}

/**
 * A run's streamed parts that the stored transcript does not hold yet. A stored tool call means
 * its whole step is stored, so the text streamed just before it is skipped too.
 */
function liveItems(
	run: LiveRun,
	storedCalls: Set<string>,
	items: TranscriptItem[],
	approvalFor: (callId: string) => ApprovalCard | null,
): void {
	const stored = (i: number) => {
		const part = run.parts[i]
		return part?.kind === 'tool' && storedCalls.has(part.callId)
	}
	run.parts.forEach((part, i) => {
		if (stored(i) || (part.kind === 'text' && stored(i + 1))) return
		if (part.kind === 'text') {
			// A fragment of text whose start was never seen: "Working…" says more until `final`.
			if (run.partial) return
			items.push({
				kind: 'assistant',
				key: `live-${run.runId}-${i}`,
				text: part.text,
				compacted: false,
				streaming: !isFinished(run.status),
				runId: run.runId,
			})
			return
		}
		items.push({
			kind: 'tool',
			key: `tool-${part.callId}`,
			callId: part.callId,
			name: part.name,
			args: argsText(part.args),
			result: part.result
				? {
						text: part.result.text,
						isError: !part.result.ok,
						...(part.result.code && { code: part.result.code }),
					}
				: null,
			approval: approvalFor(part.callId),
		})
	})
}

/** The run "Stop" cancels: the running one, else the newest queued. */
export function activeRun(state: ChatState): LiveRun | null {
	return (
		state.runs.find((r) => r.status === 'running') ??
		state.runs.findLast((r) => r.status === 'queued') ??
		null
	)
}
