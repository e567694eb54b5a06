// Every web test file starts here: vi.waitFor waits for state as long as expect.poll does
// (test/timeouts.ts), not its own 1 s default, so a loaded machine only makes tests slower.
import { vi } from 'vitest'
import { STATE_WAIT_MS } from '../../test/timeouts'

const waitFor = vi.waitFor
vi.waitFor = (callback, options) =>
	waitFor(callback, typeof options === 'number' ? options : { timeout: STATE_WAIT_MS, ...options })
