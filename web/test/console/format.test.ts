import { describe, expect, it } from 'vitest'
import { chatHref, compactNumber, formatBytes, formatDuration } from '../../src/console/format'

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

describe('chatHref', () => {
	it('encodes agent and session as query parameters', () => {
		expect(chatHref('main', 'a:b/c+d')).toBe('/chat?agent=main&session=a%3Ab%2Fc%2Bd')
	})
})
