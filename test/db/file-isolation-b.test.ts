// One of two files that each find nothing the other left and then leave marks: whichever a workerd
// runtime runs second proves the first one's storage, bindings and modules are gone (test/setup.ts).
import { describe, it } from 'vitest'
import { expectNothingLeftBehind, leaveMarks } from './file-isolation'

describe('a test file after another in the same runtime (b)', () => {
	it('finds no D1 row, lane storage, binding or module state the other file (a) left', async () => {
		await expectNothingLeftBehind()
	})

	it('leaves its own marks for the next file', async () => {
		await leaveMarks('b')
	})
})
