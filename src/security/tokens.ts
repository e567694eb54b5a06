// Secret comparison without timing leaks: both sides are hashed to equal-length digests first, so
// neither the content nor the length of the expected secret shows in the comparison time.

const encoder = new TextEncoder()

async function sha256(value: string): Promise<ArrayBuffer> {
	return crypto.subtle.digest('SHA-256', encoder.encode(value))
}

/**
 * Digests of expected secrets (the admin token, channels' webhook secrets), each computed once per
 * isolate: a request then hashes only what it presented. Bounded; the oldest goes first.
 */
const expectedDigests = new Map<string, Promise<ArrayBuffer>>()
const MAX_EXPECTED_DIGESTS = 64

function expectedDigest(expected: string): Promise<ArrayBuffer> {
	let digest = expectedDigests.get(expected)
	if (!digest) {
		if (expectedDigests.size >= MAX_EXPECTED_DIGESTS) {
			expectedDigests.delete(expectedDigests.keys().next().value as string)
		}
		digest = sha256(expected)
		expectedDigests.set(expected, digest)
	}
	return digest
}

/** Constant-time equality of two secrets. An empty expected secret never matches. */
export async function secretsEqual(presented: string, expected: string): Promise<boolean> {
	if (expected.length === 0) return false
	const [a, b] = await Promise.all([sha256(presented), expectedDigest(expected)])
	return crypto.subtle.timingSafeEqual(a, b)
}

/** Reads `Authorization: Bearer <token>`; anything else is no credential at all. */
export function bearerToken(header: string | undefined | null): string | undefined {
	if (!header) return undefined
	const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(header)
	return match?.[1]
}
