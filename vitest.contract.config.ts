// Client contract tests: Node, real clients, against `wrangler dev` (test/contract/setup.ts).
import { defineConfig } from 'vitest/config'

export default defineConfig({
	test: {
		include: ['test/contract/**/*.test.ts'],
		globalSetup: ['./test/contract/setup.ts'],
		environment: 'node',
		testTimeout: 30_000,
		hookTimeout: 120_000,
		fileParallelism: false,
	},
})
