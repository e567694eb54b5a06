// A button's work: busy while it runs (so it is not started twice), and the error it ended with,
// for an ErrorNotice beside the button instead of an unhandled rejection.
import { useCallback, useState } from 'preact/hooks'

export interface Action {
	busy: boolean
	error: unknown
	/** Runs `work`; resolves its result, or undefined when it threw (the error is kept). */
	run: <T>(work: () => Promise<T>) => Promise<T | undefined>
	clear: () => void
}

export function useAction(): Action {
	const [busy, setBusy] = useState(false)
	const [error, setError] = useState<unknown>(null)
	const run = useCallback(async <T>(work: () => Promise<T>): Promise<T | undefined> => {
		setBusy(true)
		setError(null)
		try {
			return await work()
		} catch (e) {
			setError(e)
			return undefined
		} finally {
			setBusy(false)
		}
	}, [])
	const clear = useCallback(() => setError(null), [])
	return { busy, error, run, clear }
}
