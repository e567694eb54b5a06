// Discord's interaction signature: Ed25519 over `X-Signature-Timestamp + raw body` with the
// application's public key. Any malformed part is a plain `false`: a forged request never throws.
import { decodeHex } from '../../security/bytes'

/**
 * Discord does not ask for a freshness check, but its timestamps are the send time: a request
 * older or newer than this is a replay (or a badly wrong clock) and is refused.
 */
export const INTERACTION_REPLAY_WINDOW_S = 300

const encoder = new TextEncoder()

/** workerd's WebCrypto names Ed25519 both ways; the standard name first, the older one after. */
const ED25519_ALGORITHMS: SubtleCryptoImportKeyAlgorithm[] = [
	{ name: 'Ed25519' },
	{ name: 'NODE-ED25519', namedCurve: 'NODE-ED25519' },
]

/** True when `headers` carry a valid Ed25519 signature of `body` by `publicKeyHex`, made at about `nowMs`. */
export async function verifyInteraction(
	publicKeyHex: string,
	headers: Headers,
	body: Uint8Array,
	nowMs: number,
): Promise<boolean> {
	const signature = decodeHex(headers.get('x-signature-ed25519') ?? '')
	const timestamp = headers.get('x-signature-timestamp') ?? ''
	const publicKey = decodeHex(publicKeyHex)
	if (signature?.length !== 64 || publicKey?.length !== 32) return false
	if (!/^\d{1,12}$/.test(timestamp)) return false
	if (Math.abs(nowMs / 1000 - Number(timestamp)) > INTERACTION_REPLAY_WINDOW_S) return false
	const stamp = encoder.encode(timestamp)
	const message = new Uint8Array(stamp.length + body.length)
	message.set(stamp)
	message.set(body, stamp.length)
	for (const algorithm of ED25519_ALGORITHMS) {
		let key: CryptoKey
		try {
			key = await crypto.subtle.importKey('raw', publicKey, algorithm, false, ['verify'])
		} catch {
			continue
		}
		try {
			return await crypto.subtle.verify(algorithm, key, signature, message)
		} catch {
			return false
		}
	}
	return false
}
