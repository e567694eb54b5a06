// Client contract tests (Node, real clients) and the browser tests (the web app in Debian Chromium),
// against one `wrangler dev` (test/contract/setup.ts).
import { defineConfig } from 'vitest/config'
import { STATE_WAIT_MS, TEST_TIMEOUT_MS } from './test/timeouts.js'

export default defineConfig({
	test: {
		include: ['test/contract/**/*.test.ts', 'test/browser/**/*.test.ts'],
		globalSetup: ['./test/contract/setup.ts'],
		environment: 'node',
		// Bounded by state, not speed (test/timeouts.ts); starting `wrangler dev` takes longer.
		testTimeout: TEST_TIMEOUT_MS,
		hookTimeout: 120_000,
		expect: { poll: { timeout: STATE_WAIT_MS } },
		fileParallelism: false,
	},
})
