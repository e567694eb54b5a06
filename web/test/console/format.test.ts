import { describe, expect, it } from 'vitest'
import {
	compactNumber,
	formatBytes,
	formatDuration,
	formatPercent,
	formatUsd,
} from '../../src/console/format'
import { chatHref, traceHref } from '../../src/links'

describe('formatBytes', () => {
	it('uses binary units with one decimal below ten', () => {
		expect(formatBytes(0)).toBe('0 B')
		expect(formatBytes(512)).toBe('512 B')
		expect(formatBytes(1536)).toBe('1.5 KiB')
		expect(formatBytes(20 * 1024)).toBe('20 KiB')
		expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB')
	})
})

describe('formatDuration', () => {
	it('reads as ms, s, or minutes and seconds', () => {
		expect(formatDuration(null)).toBe('—')
		expect(formatDuration(850)).toBe('850 ms')
		expect(formatDuration(1234)).toBe('1.2 s')
		expect(formatDuration(42_000)).toBe('42 s')
		expect(formatDuration(125_000)).toBe('2 min 5 s')
		expect(formatDuration(120_000)).toBe('2 min')
	})
})

describe('compactNumber', () => {
	it('shortens thousands and millions for an axis', () => {
		expect(compactNumber(950)).toBe('950')
		expect(compactNumber(1000)).toBe('1k')
		expect(compactNumber(1200)).toBe('1.2k')
		expect(compactNumber(3_400_000)).toBe('3.4M')
		expect(compactNumber(2_000_000_000)).toBe('2G')
	})
})

describe('formatUsd', () => {
	it('shows cents for dollars and four decimals below a dollar', () => {
		expect(formatUsd(0)).toBe('$0.00')
		expect(formatUsd(12.5)).toBe('$12.50')
		expect(formatUsd(1234.567)).toBe('$1,234.57')
		expect(formatUsd(0.0042)).toBe('$0.0042')
		expect(formatUsd(0.1)).toBe('$0.10')
		expect(formatUsd(0.000_01)).toBe('$0.00')
	})
})

describe('formatPercent', () => {
	it('shows a share as a percentage, and nothing to divide by as a dash', () => {
		expect(formatPercent(1 / 15)).toBe('6.67%')
		expect(formatPercent(0.5)).toBe('50.0%')
		expect(formatPercent(0)).toBe('0.0%')
		expect(formatPercent(null)).toBe('—')
		expect(formatPercent(Number.NaN)).toBe('—')
	})
})

describe('chatHref and traceHref', () => {
	it('encode agent, session and run as query parameters', () => {
		expect(chatHref('main', 'a:b/c+d')).toBe('/chat?agent=main&session=a%3Ab%2Fc%2Bd')
		expect(traceHref('main', 'a:b', 'r 1')).toBe('/trace?agent=main&session=a%3Ab&run=r+1')
	})
})
