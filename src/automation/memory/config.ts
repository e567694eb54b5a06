// An agent's memory settings (`config.memory` of the agent): whose memory its tools use, and how
// much pinned memory its system prompt carries. Whether it has memory tools at all is its tool
// selection's business (`group:memory`), like any other tool.
import { z } from 'zod'

export const MemoryConfig = z
	.object({
		/**
		 * `agent`: one memory shared by everyone who talks to the agent. `user`: each user (the
		 * principal or channel peer who started the run) writes their own, and reads their own plus
		 * the agent's shared memory.
		 */
		scope: z.enum(['agent', 'user']).default('agent'),
		/** Tokens of pinned memory the system prompt may carry (0 = none). */
		pinnedTokens: z.number().int().min(0).max(8_000).default(1_000),
	})
	.strict()
export type MemoryConfig = z.infer<typeof MemoryConfig>
