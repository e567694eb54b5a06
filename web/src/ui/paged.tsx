// A list the server hands out a page at a time (`nextCursor`): the first page when the filters
// change, "Load more" for the next. A newer load aborts an older one still in flight.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

/** One page as the lists need it: its items and the cursor of the next (null = the last page). */
export interface PageOf<T, C> {
	items: T[]
	next: C | null
}

export interface Paged<T> {
	items: T[]
	loading: boolean
	error: unknown
	hasMore: boolean
	loadMore: () => void
	reload: () => void
	/** Changes the loaded items in place (a deleted row goes without reloading every page). */
	update: (change: (items: T[]) => T[]) => void
}

interface State<T, C> {
	items: T[]
	next: C | null
	loading: boolean
	error: unknown
}

export function usePaged<T, C>(
	fetchPage: (cursor: C | undefined, signal: AbortSignal) => Promise<PageOf<T, C>>,
	deps: readonly unknown[],
): Paged<T> {
	const [state, setState] = useState<State<T, C>>({
		items: [],
		next: null,
		loading: true,
		error: null,
	})
	const inFlight = useRef<AbortController | null>(null)
	const fetcher = useRef(fetchPage)
	fetcher.current = fetchPage
	const load = useCallback((cursor: C | undefined) => {
		inFlight.current?.abort()
		const controller = new AbortController()
		inFlight.current = controller
		setState((s) => ({ ...s, loading: true, error: null }))
		fetcher.current(cursor, controller.signal).then(
			(page) => {
				if (controller.signal.aborted) return
				setState((s) => ({
					items: cursor === undefined ? page.items : [...s.items, ...page.items],
					next: page.next,
					loading: false,
					error: null,
				}))
			},
			(error: unknown) => {
				if (!controller.signal.aborted) setState((s) => ({ ...s, loading: false, error }))
			},
		)
	}, [])
	const [generation, setGeneration] = useState(0)
	useEffect(() => {
		load(undefined)
		return () => inFlight.current?.abort()
	}, [...deps, generation])
	return {
		items: state.items,
		loading: state.loading,
		error: state.error,
		hasMore: state.next !== null,
		loadMore: () => {
			if (state.next !== null && !state.loading) load(state.next)
		},
		reload: () => setGeneration((g) => g + 1),
		update: (change) => setState((s) => ({ ...s, items: change(s.items) })),
	}
}

/** What the list's status and "Load more" read (any item type). */
type PagedView = Pick<Paged<unknown>, 'items' | 'loading' | 'error' | 'hasMore' | 'loadMore'>

/** What a list shows besides its rows: loading, or that there is nothing (yet) to show. */
export function ListStatus(props: { list: PagedView; empty: string }) {
	const { list } = props
	if (list.items.length > 0 && !list.loading) return null
	if (list.loading) return <p role="status">Loading…</p>
	if (list.error) return null
	return <p class="muted">{props.empty}</p>
}

export function LoadMore({ list }: { list: PagedView }) {
	if (!list.hasMore) return null
	return (
		<button type="button" class="load-more" disabled={list.loading} onClick={list.loadMore}>
			Load more
		</button>
	)
}
