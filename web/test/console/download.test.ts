import { afterEach, describe, expect, it, vi } from 'vitest'
import { filenameFrom, saveResponse } from '../../src/console/download'

describe('filenameFrom', () => {
	it('takes the quoted or encoded file name', () => {
		expect(filenameFrom('attachment; filename="main-s1.jsonl"', 'x')).toBe('main-s1.jsonl')
		expect(filenameFrom("attachment; filename*=UTF-8''a%20b.jsonl", 'x')).toBe('a b.jsonl')
	})

	it('never lets a name climb out of the download folder', () => {
		expect(filenameFrom('attachment; filename="../../etc/passwd"', 'x')).toBe('_.._etc_passwd')
		expect(filenameFrom('attachment; filename="a/b\\c"', 'x')).toBe('a_b_c')
	})

	it('falls back when there is no usable name', () => {
		expect(filenameFrom(null, 'session.jsonl')).toBe('session.jsonl')
		expect(filenameFrom('attachment', 'session.jsonl')).toBe('session.jsonl')
		expect(filenameFrom('attachment; filename=".."', 'session.jsonl')).toBe('session.jsonl')
	})
})

describe('saveResponse', () => {
	afterEach(() => vi.restoreAllMocks())

	it('clicks a download link to a Blob URL and removes the link', async () => {
		const created = vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:test/1')
		const clicked: { href: string; download: string }[] = []
		vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
			this: HTMLAnchorElement,
		) {
			clicked.push({ href: this.href, download: this.download })
		})
		const res = new Response('{"type":"session"}\n', {
			headers: { 'content-disposition': 'attachment; filename="main-s1.jsonl"' },
		})
		expect(await saveResponse(res, 'fallback.jsonl')).toBe('main-s1.jsonl')
		expect(created).toHaveBeenCalledOnce()
		const blob = created.mock.calls[0]?.[0] as Blob
		expect(await blob.text()).toBe('{"type":"session"}\n')
		expect(clicked).toEqual([{ href: 'blob:test/1', download: 'main-s1.jsonl' }])
		expect(document.querySelector('a[download]')).toBeNull()
	})
})
