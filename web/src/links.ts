// Links between the app's pages that carry what they open in the URL: a session in the chat, one
// run's trace. Shared by the chat and the console, so neither imports the other for them.

/** The chat page opened on one session of one agent. */
export function chatHref(agent: string, session: string): string {
	return `/chat?${new URLSearchParams({ agent, session }).toString()}`
}

/** The trace page of one run of a session. */
export function traceHref(agent: string, session: string, run: string): string {
	return `/trace?${new URLSearchParams({ agent, session, run }).toString()}`
}
