// Everything the CLI prints goes through here: results to stdout (JSON with --json), messages and
// errors to stderr. Colours only when the stream is a terminal and NO_COLOR is not set.
import { styleText } from 'node:util'

type Style = Parameters<typeof styleText>[0]

export interface Output {
	json: boolean
	/** A result: JSON with --json, else `text()` of it. */
	result<T>(value: T, text: (value: T) => string): void
	/** A line on stdout (human mode only). */
	line(text: string): void
	/** A note on stderr (never mixes with results). */
	note(text: string): void
	error(text: string): void
	paint(style: Style, text: string, stream?: NodeJS.WriteStream): string
}

export function createOutput(json: boolean): Output {
	const paint = (style: Style, text: string, stream: NodeJS.WriteStream = process.stdout) =>
		styleText(style, text, { stream, validateStream: true })
	return {
		json,
		result(value, text) {
			if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
			else {
				const out = text(value)
				if (out) process.stdout.write(out.endsWith('\n') ? out : `${out}\n`)
			}
		},
		line(text) {
			if (!json) process.stdout.write(`${text}\n`)
		},
		note(text) {
			process.stderr.write(`${text}\n`)
		},
		error(text) {
			process.stderr.write(`${paint('red', 'error', process.stderr)}: ${text}\n`)
		},
		paint,
	}
}

/** A plain text table: a header row and aligned columns (no colour codes inside cells). */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
	if (rows.length === 0) return '(none)'
	const cells = rows.map((row) =>
		row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))),
	)
	const widths = headers.map((h, i) =>
		Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)),
	)
	const format = (row: string[]) =>
		row
			.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
			.join('  ')
			.trimEnd()
	return [format(headers.map((h) => h.toUpperCase())), ...cells.map(format)].join('\n')
}

/** `2026-12-07 15:04:05` in UTC from epoch ms (or an ISO string). */
export function when(value: number | string | null | undefined): string {
	if (value === null || value === undefined) return '-'
	const date = new Date(value)
	return Number.isNaN(date.getTime())
		? String(value)
		: date.toISOString().replace('T', ' ').slice(0, 19)
}
