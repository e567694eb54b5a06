// Two texts compared line by line (the `diff` package's diffLines) as rows a page can show: added,
// removed and unchanged lines, with long unchanged stretches folded to a count.
import { diffLines } from 'diff'

export type DiffLine = { kind: 'added' | 'removed' | 'same'; text: string }
export type DiffRow = DiffLine | { kind: 'folded'; count: number }

export function lineDiff(before: string, after: string): DiffLine[] {
	const lines: DiffLine[] = []
	for (const change of diffLines(before, after)) {
		const kind = change.added ? 'added' : change.removed ? 'removed' : 'same'
		const texts = change.value.replace(/\n$/, '').split('\n')
		for (const text of texts) lines.push({ kind, text })
	}
	return lines
}

/** Keeps `context` unchanged lines around each change; longer unchanged runs become one fold. */
export function foldUnchanged(lines: readonly DiffLine[], context = 3): DiffRow[] {
	const changed = lines.map((l) => l.kind !== 'same')
	const near = (i: number) => {
		for (let j = Math.max(0, i - context); j <= Math.min(lines.length - 1, i + context); j++) {
			if (changed[j]) return true
		}
		return false
	}
	const rows: DiffRow[] = []
	let folded = 0
	lines.forEach((line, i) => {
		if (line.kind !== 'same' || near(i)) {
			if (folded > 0) rows.push({ kind: 'folded', count: folded })
			folded = 0
			rows.push(line)
		} else folded++
	})
	if (folded > 0) rows.push({ kind: 'folded', count: folded })
	return rows
}

export function diffCounts(lines: readonly DiffLine[]): { added: number; removed: number } {
	let added = 0
	let removed = 0
	for (const line of lines) {
		if (line.kind === 'added') added++
		else if (line.kind === 'removed') removed++
	}
	return { added, removed }
}
