// How the console writes numbers people read: byte sizes, durations, compact token counts on a
// chart's axis, money and shares.

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

/** 12.5 → "$12.50", 0.0042 → "$0.0042": cents for dollars, four decimals for what a call costs. */
export function formatUsd(usd: number): string {
	const digits = usd !== 0 && Math.abs(usd) < 1 ? 4 : 2
	return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: digits })}`
}

/** 0.0123 → "1.23%", 0.5 → "50.0%"; null (nothing to divide by) → "—". */
export function formatPercent(share: number | null | undefined): string {
	if (share === null || share === undefined || !Number.isFinite(share)) return '—'
	const percent = share * 100
	return `${percent.toFixed(percent !== 0 && Math.abs(percent) < 10 ? 2 : 1)}%`
}
