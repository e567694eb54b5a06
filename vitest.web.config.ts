// The web app's own tests (web/test): its logic — the stream reducer, markdown sanitising, the API
// client — in a DOM (happy-dom), not in workerd. The app in a real browser is test/browser.
import { defineConfig } from 'vitest/config'

export default defineConfig({
	oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
	test: {
		include: ['web/test/**/*.test.{ts,tsx}'],
		environment: 'happy-dom',
	},
})
