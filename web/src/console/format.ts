// How the console writes numbers people read: byte sizes, durations, compact token counts on a
// chart's axis, and the link that opens a session in the chat.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const

/** 512 → "512 B", 1536 → "1.5 KiB": binary units, one decimal below 10. */
export function formatBytes(bytes: number): string {
	let value = bytes
	let unit = 0
	while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
		value /= 1024
		unit++
	}
	const digits = unit === 0 || Math.abs(value) >= 10 ? 0 : 1
	return `${value.toFixed(digits)} ${UNITS[unit]}`
}

/** 850 → "850 ms", 1234 → "1.2 s", 125000 → "2 min 5 s"; null (still running) → "—". */
export function formatDuration(ms: number | null | undefined): string {
	if (ms === null || ms === undefined) return '—'
	if (ms < 1000) return `${Math.round(ms)} ms`
	if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
	const minutes = Math.floor(ms / 60_000)
	const seconds = Math.round((ms % 60_000) / 1000)
	return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`
}

/** 950 → "950", 1200 → "1.2k", 3_400_000 → "3.4M": labels on a chart's axis. */
export function compactNumber(n: number): string {
	const steps: [number, string][] = [
		[1e9, 'G'],
		[1e6, 'M'],
		[1e3, 'k'],
	]
	for (const [size, suffix] of steps) {
		if (Math.abs(n) >= size) {
			const value = n / size
			return `${Number.isInteger(value) ? value : value.toFixed(1).replace(/\.0$/, '')}${suffix}`
		}
	}
	return String(n)
}

/** Thousands grouped the reader's way. */
export const formatCount = (n: number): string => n.toLocaleString()

/** The chat page opened on one session of one agent. */
export function chatHref(agent: string, session: string): string {
	return `/chat?${new URLSearchParams({ agent, session }).toString()}`
}
