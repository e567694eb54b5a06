// Sanitised markdown in the page: the nodes DOMPurify returns go in as they are (no second HTML
// parse, no innerHTML of anything unsanitised).
import { useLayoutEffect, useRef } from 'preact/hooks'
import { renderMarkdownFragment } from './markdown'

export function Markdown({ text, busy = false }: { text: string; busy?: boolean }) {
	const box = useRef<HTMLDivElement>(null)
	useLayoutEffect(() => {
		box.current?.replaceChildren(renderMarkdownFragment(text))
	}, [text])
	return <div class="markdown" ref={box} aria-busy={busy || undefined} />
}
