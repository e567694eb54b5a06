// What the workspace tools (exec, read_file, write_file, edit_file, list_files) share: they work in
// the agent's sandbox container under /workspace, run as tool jobs and are bounded alike.
import { z } from 'zod'
import type { AnyToolSpec } from '../registry'

/** Largest file write_file writes and edit_file edits, in bytes. */
export const MAX_FILE_BYTES = 1024 * 1024

/**
 * A backstop above the sandbox's own limits: a cold container start (the SDK waits up to ~150 s
 * for one) plus margin. exec adds its longest configurable command to it.
 */
export const FILE_TOOL_TIMEOUT_MS = 150_000 + 30_000

/** What every file tool's spec says alike: `group:fs`, a tool job in a shell sandbox, the start-up backstop. */
export const FILE_TOOL = {
	groups: ['group:fs'],
	timeoutMs: FILE_TOOL_TIMEOUT_MS,
	placement: 'job',
	needs: 'shell',
} as const satisfies Partial<AnyToolSpec>

const encoder = new TextEncoder()
export const byteLength = (text: string) => encoder.encode(text).byteLength

export const Path = z
	.string()
	.min(1)
	.max(4_096)
	.describe(
		'A path inside /workspace, absolute ("/workspace/src/a.ts") or relative to it ("src/a.ts").',
	)
