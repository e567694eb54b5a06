// The capability the `group:sessions` tools use to reach other sessions of their own tenant: spawn a
// child session, message one, list them, read one's transcript. The lane that runs the call
// provides it (src/automation/subagents/); tools never get bindings or the lane itself.

/** A child a session spawned, as its parent knows it. */
export interface ChildSession {
	sessionKey: string
	agent: string
	label: string | null
	depth: number
	createdAt: number
	/** The newest run the parent started there, with its end once announced back. */
	lastRun: { runId: string; status: string } | null
}

/** What `sessions_spawn` and `sessions_send` return. */
export interface ChildRunStarted {
	runId: string
	sessionKey: string
	/** `queued` until the answer is back; with `wait`, the child's end when it came in time. */
	status: string
	/** The child's answer, when the call waited for it and it came in time. */
	output?: string | null
	error?: { code: string; message: string } | null
}

export interface HistoryEntry {
	role: string
	text: string
}

export interface SessionsPort {
	spawn(request: {
		task: string
		agent?: string | undefined
		label?: string | undefined
		wait?: boolean | undefined
	}): Promise<ChildRunStarted>
	send(request: { sessionKey: string; message: string }): Promise<ChildRunStarted>
	list(): Promise<ChildSession[]>
	history(request: { sessionKey: string; limit: number }): Promise<HistoryEntry[]>
}
