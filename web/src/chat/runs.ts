// Runs as their events describe them: status, and what each streamed — text and tool calls in the
// order the model produced them — until the stored transcript takes over.
import type { RunStatus } from './types'

export interface LiveText {
	kind: 'text'
	text: string
}
export interface LiveTool {
	kind: 'tool'
	callId: string
	name: string
	args: unknown
	result?: { ok: boolean; text: string; code?: string }
}
export type LivePart = LiveText | LiveTool

export interface LiveRun {
	runId: string
	status: RunStatus
	parts: LivePart[]
	error: { code: string; message: string } | null
	/** The lane restarted during the run and runs it again. */
	retrying: boolean
	cancelReason: string | null
	/** Outbox failures for the run's channel replies. */
	notices: string[]
	/**
	 * Known from its middle (the session was opened mid-run): the text it streamed before is not
	 * replayed, so what follows is a fragment — shown only once `final` (or a restart) makes it whole.
	 */
	partial: boolean
}

export const newRun = (runId: string, status: RunStatus, partial = false): LiveRun => ({
	runId,
	status,
	partial,
	parts: [],
	error: null,
	retrying: false,
	cancelReason: null,
	notices: [],
})

/** Applies `change` to the run; a run first seen now starts as queued. */
export function updateRun(
	runs: LiveRun[],
	runId: string,
	change: (r: LiveRun) => LiveRun,
): LiveRun[] {
	const all = runs.some((r) => r.runId === runId) ? runs : [...runs, newRun(runId, 'queued')]
	return all.map((r) => (r.runId === runId ? change(r) : r))
}

/** Streaming means running (the `started` event may have been before the replay began). */
export const running = (r: LiveRun): LiveRun =>
	r.status === 'queued' ? { ...r, status: 'running', retrying: false } : r

export function appendText(r: LiveRun, text: string): LiveRun {
	if (!text) return r
	const last = r.parts.at(-1)
	if (last?.kind === 'text') {
		return { ...r, parts: [...r.parts.slice(0, -1), { kind: 'text', text: last.text + text }] }
	}
	return { ...r, parts: [...r.parts, { kind: 'text', text }] }
}

/**
 * The final answer is the text of the run's last step: it replaces what that step streamed (and,
 * in a partial run, every text fragment: the stored transcript holds the earlier steps).
 */
export function replaceLastText(r: LiveRun, output: string): LiveRun {
	const kept = r.partial ? r.parts.filter((p) => p.kind === 'tool') : r.parts
	const parts = kept.at(-1)?.kind === 'text' ? kept.slice(0, -1) : kept
	return {
		...r,
		partial: false,
		parts: output ? [...parts, { kind: 'text', text: output }] : parts,
	}
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '')

/** `tool` data: `{phase: 'call', name, callId, data: {args}}`, then `{phase: 'result', …, data: {ok, result, code?}}`. */
export function applyTool(r: LiveRun, d: Record<string, unknown>): LiveRun {
	const callId = str(d.callId)
	const payload = (typeof d.data === 'object' && d.data !== null ? d.data : {}) as Record<
		string,
		unknown
	>
	const existing = r.parts.find((p): p is LiveTool => p.kind === 'tool' && p.callId === callId)
	if (d.phase === 'call') {
		if (existing) return r
		return {
			...r,
			parts: [...r.parts, { kind: 'tool', callId, name: str(d.name), args: payload.args }],
		}
	}
	const result = {
		ok: payload.ok !== false,
		text: str(payload.result),
		...(typeof payload.code === 'string' && { code: payload.code }),
	}
	if (!existing) {
		const part: LiveTool = { kind: 'tool', callId, name: str(d.name), args: undefined, result }
		return { ...r, parts: [...r.parts, part] }
	}
	return { ...r, parts: r.parts.map((p) => (p === existing ? { ...existing, result } : p)) }
}
