// V8 flags of the local runtime (workerd under `npm run dev` and under the tests): miniflare passes
// MINIFLARE_WORKERD_V8_FLAGS (space-separated) to workerd. Why each one is there: docs/tools.md.

/** On catastrophic backtracking V8 switches a regular expression to its linear-time engine. */
export const SANDBOX_V8_FLAGS = ['--enable-experimental-regexp-engine-on-excessive-backtracks']

/**
 * The value of MINIFLARE_WORKERD_V8_FLAGS with the sandbox's flags added to whatever is set.
 * @param {string | undefined} current
 */
export function withSandboxV8Flags(current) {
	const flags = (current ?? '').split(' ').filter((flag) => flag !== '')
	for (const flag of SANDBOX_V8_FLAGS) if (!flags.includes(flag)) flags.push(flag)
	return flags.join(' ')
}
