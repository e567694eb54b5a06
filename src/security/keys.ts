// API keys: `ek_<id>_<secret>`. The id (16 lowercase hex) finds the row; only a hash of the secret
// (32 random bytes, base64url) is stored — HMAC-SHA-256 with the server pepper when
// EDGECLAW_KEY_PEPPER is set, else SHA-256 — and compared in constant time.
import { encodeBase64url, hex } from './bytes'

export const ROLES = ['admin', 'operator', 'member', 'viewer'] as const
export type Role = (typeof ROLES)[number]

const KEY_SHAPE = /^ek_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

export interface ParsedKey {
	id: string
	secret: string
}

/** Splits a presented key; undefined for anything that is not key-shaped. */
export function parseKey(token: string): ParsedKey | undefined {
	const m = KEY_SHAPE.exec(token)
	return m ? { id: m[1] as string, secret: m[2] as string } : undefined
}

/** A fresh key: its id, its secret and the full token (shown to the caller once). */
export function generateKey(): { id: string; secret: string; token: string } {
	const id = hex(crypto.getRandomValues(new Uint8Array(8)))
	const secret = encodeBase64url(crypto.getRandomValues(new Uint8Array(32)))
	return { id, secret, token: `ek_${id}_${secret}` }
}

const encoder = new TextEncoder()

/** The stored form of a secret: `hmac-sha256:<hex>` with a pepper, else `sha256:<hex>`. */
export async function hashSecret(secret: string, pepper: string | undefined): Promise<string> {
	if (pepper) {
		const key = await crypto.subtle.importKey(
			'raw',
			encoder.encode(pepper),
			{ name: 'HMAC', hash: 'SHA-256' },
			false,
			['sign'],
		)
		return `hmac-sha256:${hex(await crypto.subtle.sign('HMAC', key, encoder.encode(secret)))}`
	}
	return `sha256:${hex(await crypto.subtle.digest('SHA-256', encoder.encode(secret)))}`
}

/** Constant-time check of a presented secret against its stored hash. */
export async function secretMatches(
	secret: string,
	stored: string,
	pepper: string | undefined,
): Promise<boolean> {
	const presented = await hashSecret(secret, stored.startsWith('hmac-') ? pepper : undefined)
	const a = encoder.encode(presented)
	const b = encoder.encode(stored)
	if (a.byteLength !== b.byteLength) return false
	return crypto.subtle.timingSafeEqual(a, b)
}
