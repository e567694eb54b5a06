// The waits the web tests rely on are bounded by state (test/timeouts.ts), not by a guessed time.
import { expect, it, vi } from 'vitest'

it('vi.waitFor keeps waiting past its own 1 s default (web/test/setup.ts)', async () => {
	let done = false
	setTimeout(() => {
		done = true
	}, 1_200)
	await vi.waitFor(() => expect(done).toBe(true))
})
