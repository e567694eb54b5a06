// Client contract tests: Node, real clients, against `wrangler dev` (test/contract/setup.ts).
import { defineConfig } from 'vitest/config'
import { TEST_TIMEOUT_MS } from './test/timeouts.js'

export default defineConfig({
	test: {
		include: ['test/contract/**/*.test.ts'],
		globalSetup: ['./test/contract/setup.ts'],
		environment: 'node',
		// Bounded by state, not speed (test/timeouts.ts); starting `wrangler dev` takes longer.
		testTimeout: TEST_TIMEOUT_MS,
		hookTimeout: 120_000,
		fileParallelism: false,
	},
})
