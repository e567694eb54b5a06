// Bytes as text for the security code: hex digests and ids, base64 for keys, sealed values and
// signatures. One place, so every key, hash and signature is read and written alike.

/** Lowercase hex. */
export const hex = (bytes: ArrayBuffer | Uint8Array): string =>
	[...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('')

/** Standard, padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
	let binary = ''
	for (const b of bytes) binary += String.fromCharCode(b)
	return btoa(binary)
}

/** URL-safe base64 without padding (RFC 4648 §5): key secrets, signatures. */
export const encodeBase64url = (bytes: ArrayBuffer | Uint8Array): string =>
	encodeBase64(new Uint8Array(bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')

/** Standard or URL-safe base64, padded or not; undefined when it is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
	const clean = text.trim().replace(/-/g, '+').replace(/_/g, '/')
	if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined
	try {
		return Uint8Array.from(atob(clean.padEnd(Math.ceil(clean.length / 4) * 4, '=')), (ch) =>
			ch.charCodeAt(0),
		)
	} catch {
		return undefined
	}
}

/** Hex (either case, even length) as bytes; undefined when it is not hex. */
export function decodeHex(text: string): Uint8Array | undefined {
	if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined
	return Uint8Array.from({ length: text.length / 2 }, (_, i) =>
		Number.parseInt(text.slice(i * 2, i * 2 + 2), 16),
	)
}
