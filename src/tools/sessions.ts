// The seam for subagents (OpenClaw's `sessions_send` / `sessions_spawn`): what a tool that talks
// to another session of the same tenant would need, so the tools can land without reshaping the
// registry. Not registered yet: no agent sees these tools until an implementation of
// SessionsPort is wired into the toolbox (the consumer can reach lanes by RPC already).
import { z } from 'zod'

/** How tools reach other sessions of the caller's tenant; tenant isolation is the port's job. */
export interface SessionsPort {
	/** Queues a message in another session of this tenant; resolves with the run it started. */
	send(target: { agentId: string; sessionKey: string }, text: string): Promise<{ runId: string }>
	/** Starts a fresh child session for `agentId` with a task; resolves with its key and run. */
	spawn(agentId: string, task: string): Promise<{ sessionKey: string; runId: string }>
}

export const SessionsSendArgs = z
	.object({
		agent: z.string().min(1).max(63),
		sessionKey: z.string().min(1).max(256),
		message: z.string().min(1).max(100_000),
	})
	.strict()

export const SessionsSpawnArgs = z
	.object({ agent: z.string().min(1).max(63), task: z.string().min(1).max(100_000) })
	.strict()
