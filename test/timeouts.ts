// How long tests may take, in one place: vitest.config.ts sets the test, hook and expect.poll
// timeouts from it (vitest.contract.config.ts its test timeout), test/helpers.ts its waits.
// Generous on purpose: tests wait on state (a run's end, a row, a frame), never for a guessed
// time, so a slow machine only makes them slower.

/** A test or hook fails after this; only the heaviest tests ask for more. */
export const TEST_TIMEOUT_MS = 60_000

/**
 * A wait for state fails after this, well inside the test's own timeout, so the failure names
 * what never came instead of a bare timeout.
 */
export const STATE_WAIT_MS = 30_000
