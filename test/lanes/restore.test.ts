// Point-in-time recovery of a lane: what `prepareRestore` asks of the storage and in which order,
// what it refuses before touching it, and — on the local runtime, whose storage keeps no history —
// the clear `restore_unsupported` it answers. A lane's restart (the second half of a restore)
// brings it back with its storage as the restore left it: here, untouched.
import { env, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { type BookmarkStorage, prepareRestore, RESTORE_WINDOW_MS } from '../../src/lanes/restore'
import { admin, send, waitForRun } from '../helpers'

const NOW = 1_795_000_000_000
const NOW_BOOKMARK = '0000002a-00000003-00004e2f-0a83ea2fceebc654de0640c422be4653'
const THEN_BOOKMARK = '00000029-00000001-00004e2f-1b83ea2fceebc654de0640c422be4653'

/** A storage that records what a restore asked of it. */
function recording() {
	const calls: string[] = []
	const storage: BookmarkStorage = {
		async getCurrentBookmark() {
			calls.push('current')
			return NOW_BOOKMARK
		},
		async getBookmarkForTime(at) {
			calls.push(`for-time ${Number(at)}`)
			return THEN_BOOKMARK
		},
		async onNextSessionRestoreBookmark(bookmark) {
			calls.push(`arm ${bookmark}`)
			return bookmark
		},
	}
	return { storage, calls }
}

describe('prepareRestore', () => {
	it('takes the bookmark of now (to undo), finds the moment’s, and arms it for the next session', async () => {
		const { storage, calls } = recording()
		const at = NOW - 3_600_000
		expect(await prepareRestore(storage, { at }, NOW)).toEqual({
			ok: true,
			value: { bookmark: THEN_BOOKMARK, undoBookmark: NOW_BOOKMARK },
		})
		expect(calls).toEqual(['current', `for-time ${at}`, `arm ${THEN_BOOKMARK}`])
	})

	it('restores to a bookmark as given (undoing an earlier restore)', async () => {
		const { storage, calls } = recording()
		const result = await prepareRestore(storage, { bookmark: THEN_BOOKMARK }, NOW)
		expect(result).toEqual({
			ok: true,
			value: { bookmark: THEN_BOOKMARK, undoBookmark: NOW_BOOKMARK },
		})
		expect(calls).toEqual(['current', `arm ${THEN_BOOKMARK}`])
	})

	it.each([
		['in the future', { at: NOW + 1 }, 'in the future'],
		['older than 30 days', { at: NOW - RESTORE_WINDOW_MS - 1 }, '30 days'],
		['not a number', { at: Number.NaN }, 'in the future'],
		[
			'a malformed bookmark',
			{ bookmark: "'; DROP TABLE runs" },
			'Not a Durable Object storage bookmark',
		],
	])('refuses a moment %s before touching the storage', async (_name, target, says) => {
		const { storage, calls } = recording()
		const result = await prepareRestore(storage, target, NOW)
		expect(result).toMatchObject({ ok: false, error: { code: 'bad_request' } })
		expect(result.ok ? '' : result.error.message).toContain(says)
		expect(calls).toEqual([])
	})

	it('says so where the storage keeps no history (the local runtime)', async () => {
		const lane = env.SESSION_LANE.get(env.SESSION_LANE.idFromName('restore-local'))
		const result = await runInDurableObject(lane, (_instance, state) =>
			prepareRestore(state.storage, { at: Date.now() - 60_000 }, Date.now()),
		)
		expect(result).toMatchObject({ ok: false, error: { code: 'restore_unsupported' } })
		expect(result.ok ? '' : result.error.message).toContain('point-in-time recovery')
	})
})

describe('SessionLane.restart', () => {
	it('ends the instance; the next call finds the lane with its transcript', async () => {
		const { run } = await send('restart-1', { content: 'remember me', wait: true })
		expect(run.status).toBe('succeeded')
		const lane = env.SESSION_LANE.getByName('default/main/restart-1')
		await expect(Promise.resolve(lane.restart())).rejects.toThrow()
		const res = await admin('/v1/sessions/restart-1/messages?agent=main')
		expect(res.status).toBe(200)
		const { messages } = (await res.json()) as { messages: { role: string }[] }
		expect(messages.map((m) => m.role)).toEqual(['user', 'assistant'])
		const again = await send('restart-1', { content: 'and again', wait: true })
		expect((await waitForRun('restart-1', again.run.runId)).status).toBe('succeeded')
	})
})
