// What a test file leaves behind — a D1 row, a lane's storage and in-memory state, a binding
// swapped on `env`, module state — and the check that none of it reaches another file (each file
// runs in a workerd runtime of its own): file-isolation-{a,b}.test.ts each check, then leave marks.
import { env, runInDurableObject } from 'cloudflare:test'
import { expect } from 'vitest'
import { createAgent } from '../helpers'

/** Module state: set by the file that imported this module last, unless modules start over. */
export const left = { by: '' }

const MARK = 'file-isolation-mark'

function markedLane() {
	return env.SESSION_LANE.get(env.SESSION_LANE.idFromName(MARK))
}

export async function expectNothingLeftBehind(): Promise<void> {
	expect(left.by).toBe('')
	expect(Reflect.has(env, 'FILE_ISOLATION_MARK')).toBe(false)
	expect(await env.DB.prepare('SELECT id FROM agents WHERE id = ?').bind(MARK).first()).toBeNull()
	const [held, stored] = await runInDurableObject(markedLane(), async (lane, state) => [
		Reflect.get(lane, MARK),
		await state.storage.get(MARK),
	])
	expect(held).toBeUndefined()
	expect(stored).toBeUndefined()
}

export async function leaveMarks(by: string): Promise<void> {
	left.by = by
	Object.assign(env, { FILE_ISOLATION_MARK: by })
	await createAgent(env.DB, MARK, {})
	await runInDurableObject(markedLane(), async (lane, state) => {
		Reflect.set(lane, MARK, by)
		await state.storage.put(MARK, by)
	})
}
