import { describe, expect, it } from 'vitest'
import { diffCounts, foldUnchanged, lineDiff } from '../../src/console/line-diff'

describe('lineDiff', () => {
	it('marks added, removed and unchanged lines', () => {
		const lines = lineDiff('a\nb\nc\n', 'a\nB\nc\nd\n')
		expect(lines).toEqual([
			{ kind: 'same', text: 'a' },
			{ kind: 'removed', text: 'b' },
			{ kind: 'added', text: 'B' },
			{ kind: 'same', text: 'c' },
			{ kind: 'added', text: 'd' },
		])
		expect(diffCounts(lines)).toEqual({ added: 2, removed: 1 })
	})

	it('finds nothing between equal texts', () => {
		const lines = lineDiff('{\n  "x": 1\n}', '{\n  "x": 1\n}')
		expect(diffCounts(lines)).toEqual({ added: 0, removed: 0 })
		expect(lines.every((l) => l.kind === 'same')).toBe(true)
	})
})

describe('foldUnchanged', () => {
	it('keeps context around a change and folds the rest to a count', () => {
		const before = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n')
		const after = before.replace('line 10', 'line ten')
		const rows = foldUnchanged(lineDiff(before, after), 2)
		expect(rows[0]).toEqual({ kind: 'folded', count: 8 })
		expect(rows.slice(1, 3)).toEqual([
			{ kind: 'same', text: 'line 8' },
			{ kind: 'same', text: 'line 9' },
		])
		expect(rows).toContainEqual({ kind: 'removed', text: 'line 10' })
		expect(rows).toContainEqual({ kind: 'added', text: 'line ten' })
		expect(rows.at(-1)).toEqual({ kind: 'folded', count: 7 })
	})

	it('folds nothing when every line is near a change', () => {
		const rows = foldUnchanged(lineDiff('a\nb', 'a\nc'), 3)
		expect(rows.some((r) => r.kind === 'folded')).toBe(false)
	})
})
