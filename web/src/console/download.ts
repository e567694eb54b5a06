// Saves a response as a file: fetched with the Authorization header (never a token in a URL), then
// handed to the browser as a Blob through a temporary link.

/** The file name a `Content-Disposition` header proposes, made safe; else `fallback`. */
export function filenameFrom(disposition: string | null, fallback: string): string {
	const star = disposition && /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition)
	let name: string | undefined
	if (star?.[1]) {
		try {
			name = decodeURIComponent(star[1])
		} catch {
			name = undefined
		}
	}
	name ??= (disposition && /filename\s*=\s*"?([^";]+)"?/i.exec(disposition)?.[1]) || undefined
	const safe = (name ?? fallback).replace(/[/\\]/g, '_').replace(/^\.+/, '').trim()
	return safe || fallback
}

export async function saveResponse(res: Response, fallback: string): Promise<string> {
	const name = filenameFrom(res.headers.get('content-disposition'), fallback)
	const url = URL.createObjectURL(await res.blob())
	const link = document.createElement('a')
	link.href = url
	link.download = name
	link.hidden = true
	document.body.append(link)
	try {
		link.click()
	} finally {
		link.remove()
		// The click only starts the download; the URL must outlive it a moment.
		setTimeout(() => URL.revokeObjectURL(url), 10_000)
	}
	return name
}
