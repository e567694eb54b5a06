// An agent's sandbox settings (`config.sandbox`): which backend runs its code, how sandboxes are
// shared, and the limits of every call. The agent config embeds this schema.
import { z } from 'zod'

/** Names of environment variables a command may be given (never the Worker's own secrets). */
const EnvName = z
	.string()
	.regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name')

export const SandboxConfig = z
	.object({
		/**
		 * `auto`: JavaScript in a Worker Loader isolate, shell and files in a container. `isolate`:
		 * only JavaScript (exec and file tools are unavailable). `container`: everything in the
		 * container, JavaScript too.
		 */
		backend: z.enum(['auto', 'isolate', 'container']).default('auto'),
		/** One container per session, or one shared by all sessions of the agent. */
		scope: z.enum(['session', 'agent']).default('session'),
		/** An idle container sleeps after this long (`30s`, `10m`, `1h`). */
		sleepAfter: z
			.string()
			.regex(/^\d{1,5}[smh]$/, 'must look like "30s", "10m" or "1h"')
			.default('10m'),
		/** Wall-clock limit of one exec or run_js call. */
		timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
		/** Cap on each of stdout, stderr and console output, in bytes. */
		maxOutputBytes: z
			.number()
			.int()
			.min(1_024)
			.max(4 * 1024 * 1024)
			.default(64 * 1024),
		/** Environment variables the model may set on `exec` (anything else is refused). */
		envAllow: z.array(EnvName).max(100).default([]),
	})
	.strict()

export type SandboxConfig = z.infer<typeof SandboxConfig>
