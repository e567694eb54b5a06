// Point-in-time recovery of one lane: a SQLite-backed Durable Object can return its whole storage
// (transcript, runs, events, outbox) to any moment of the last 30 days through its bookmarks. The
// restore is prepared here — the bookmark of the target, and the bookmark of now so the restore
// can itself be undone — and takes effect when the object restarts (SessionLane.restart).
import { fail, type LaneResult, ok } from './types'

/** How far back Durable Object storage keeps its history. */
export const RESTORE_WINDOW_MS = 30 * 24 * 60 * 60_000

/** The part of `DurableObjectStorage` a restore uses. */
export interface BookmarkStorage {
	getCurrentBookmark(): Promise<string>
	getBookmarkForTime(timestamp: number | Date): Promise<string>
	onNextSessionRestoreBookmark(bookmark: string): Promise<string>
}

/** Where to go: a moment (epoch ms), or a bookmark a restore printed (to undo it). */
export type RestoreTarget = { at: number } | { bookmark: string }

export interface RestorePlan {
	/** The bookmark the lane opens at after its restart. */
	bookmark: string
	/** The bookmark of the state being replaced: restore to it to undo this restore. */
	undoBookmark: string
}

/** Durable Object bookmarks: hex groups separated by dashes (D1's and DO's share the form). */
const BOOKMARK = /^[0-9a-f]{8}(-[0-9a-f]{8}){2}-[0-9a-f]{32,64}$/

/**
 * Arms the restore of `storage` to `target`: the next session of the object opens there. Fails
 * with `bad_request` for a moment outside the window or a malformed bookmark, and with
 * `restore_unsupported` where the storage keeps no history (local development).
 */
export async function prepareRestore(
	storage: BookmarkStorage,
	target: RestoreTarget,
	now: number,
): Promise<LaneResult<RestorePlan>> {
	if ('at' in target) {
		if (!Number.isFinite(target.at) || target.at > now)
			return fail('bad_request', 'The moment to restore to is in the future.')
		if (target.at < now - RESTORE_WINDOW_MS)
			return fail(
				'bad_request',
				'Durable Object storage keeps 30 days of history; that moment is older.',
			)
	} else if (!BOOKMARK.test(target.bookmark)) {
		return fail('bad_request', 'Not a Durable Object storage bookmark.')
	}
	try {
		const undoBookmark = await storage.getCurrentBookmark()
		const bookmark = 'at' in target ? await storage.getBookmarkForTime(target.at) : target.bookmark
		await storage.onNextSessionRestoreBookmark(bookmark)
		return ok({ bookmark, undoBookmark })
	} catch (error) {
		const message = error instanceof Error ? error.message : String(error)
		if (/does not implement point-in-time recovery/i.test(message))
			return fail(
				'restore_unsupported',
				`This storage keeps no history to restore from: ${message}`,
			)
		throw error
	}
}
