// The web app's own tests (web/test): its logic — the stream reducer, markdown sanitising, the API
// client — in a DOM (happy-dom), not in workerd. The app in a real browser is test/browser.
import { defineConfig } from 'vitest/config'
import { STATE_WAIT_MS, TEST_TIMEOUT_MS } from './test/timeouts.js'

export default defineConfig({
	oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
	test: {
		include: ['web/test/**/*.test.{ts,tsx}'],
		environment: 'happy-dom',
		// Bounded by state, not speed: see test/timeouts.ts. vi.waitFor has no config of its own;
		// web/test/setup.ts gives it the same default.
		setupFiles: ['./web/test/setup.ts'],
		testTimeout: TEST_TIMEOUT_MS,
		hookTimeout: TEST_TIMEOUT_MS,
		expect: { poll: { timeout: STATE_WAIT_MS } },
	},
})
