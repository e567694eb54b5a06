// A button's call to the gateway: busy while it runs, and the server's error kept for showing.
import { useState } from 'preact/hooks'

export interface Action<A extends unknown[]> {
	busy: boolean
	error: unknown
	/** Runs the call; true when it succeeded. */
	run: (...args: A) => Promise<boolean>
}

export function useAction<A extends unknown[]>(call: (...args: A) => Promise<unknown>): Action<A> {
	const [busy, setBusy] = useState(false)
	const [error, setError] = useState<unknown>(null)
	const run = async (...args: A): Promise<boolean> => {
		setBusy(true)
		setError(null)
		try {
			await call(...args)
			return true
		} catch (e) {
			setError(e)
			return false
		} finally {
			setBusy(false)
		}
	}
	return { busy, error, run }
}
