// Where a schedule's answers and alarms go over HTTP: a Standard-Webhooks-signed JSON POST through
// the SSRF-guarded fetch (every hop checked), and the sealing of the signing secret a webhook
// delivery gets at create — generated here, shown once, stored under the deployment's data key.
import { backoff } from '../../lanes/outbox-timers'
import { encodeBase64 } from '../../security/bytes'
import { keyRing } from '../../security/credentials'
import { guardedFetch, OutboundRefused } from '../../security/outbound'
import {
	decryptSecret,
	encryptSecret,
	type SealedSecret,
	type SecretSlot,
} from '../../security/secrets'
import { checkUrl, tenantUrlRules } from '../../security/ssrf'
import { standardWebhookHeaders } from '../../security/standard-webhooks'

/** A receiver that has not answered in this long failed. */
export const WEBHOOK_TIMEOUT_MS = 10_000

/**
 * A failed webhook POST worth another try is tried again after 30 s, doubling up to 10 min — at
 * most DELIVERY_TRIES tries in all, and none after DELIVERY_RETRY_WINDOW_MS from the first.
 */
export const DELIVERY_TRIES = 6
export const DELIVERY_RETRY_FIRST_MS = 30_000
export const DELIVERY_RETRY_MAX_MS = 600_000
export const DELIVERY_RETRY_WINDOW_MS = 3_600_000

/** When the try after `attempts` tries (the first at `firstAt`) is due; null when none is left. */
export function nextTryAt(attempts: number, firstAt: number, now: number): number | null {
	if (attempts >= DELIVERY_TRIES) return null
	const at = now + backoff(attempts, DELIVERY_RETRY_FIRST_MS, DELIVERY_RETRY_MAX_MS)
	return at > firstAt + DELIVERY_RETRY_WINDOW_MS ? null : at
}

/** The slot a schedule's signing secret is sealed for (binds the ciphertext to tenant and id). */
export const secretSlot = (tenantId: string, scheduleId: string): SecretSlot => ({
	tenantId,
	name: `schedule:${scheduleId}`,
})

/** A fresh `whsec_` secret: 32 random bytes. */
export const newSigningSecret = (): string =>
	`whsec_${encodeBase64(crypto.getRandomValues(new Uint8Array(32)))}`

/** Seals a signing secret; undefined when the deployment has no usable EDGECLAW_SECRETS_KEY. */
export async function sealSigningSecret(
	env: object,
	slot: SecretSlot,
	value: string,
): Promise<SealedSecret | undefined> {
	const ring = await keyRing(env)
	if (typeof ring.current === 'string') return undefined
	return encryptSecret(ring.current, slot, value)
}

export async function openSigningSecret(
	env: object,
	slot: SecretSlot,
	sealed: SealedSecret,
): Promise<string | undefined> {
	const opened = await decryptSecret((await keyRing(env)).all, slot, sealed)
	return opened.ok ? opened.value : undefined
}

/** The SSRF guard over a fetch, with the tenant URL rules of this deployment. */
export const guardedFetchFor = (
	env: { EDGECLAW_DEV_ALLOW_LOOPBACK?: unknown },
	fetcher: typeof fetch,
): typeof fetch => {
	const rules = tenantUrlRules(env)
	return guardedFetch(fetcher, (url) => checkUrl(url, undefined, rules))
}

/**
 * `permanent`: trying again cannot help — the SSRF guard refused the address, or the receiver
 * answered a 4xx other than 408/429. A network error, a timeout, a 5xx, 408 or 429 is worth a retry.
 */
export type PostOutcome = { ok: true } | { ok: false; error: string; permanent: boolean }

const retryableStatus = (status: number): boolean =>
	status >= 500 || status === 408 || status === 429

/**
 * One signed POST; `id` is the `webhook-id`, the same on any retry so receivers can drop repeats.
 * `payload` is a JSON text, or a value to encode as one.
 */
export async function postSigned(
	fetcher: typeof fetch,
	url: string,
	secret: string,
	id: string,
	payload: unknown,
	now: number,
): Promise<PostOutcome> {
	const body = typeof payload === 'string' ? payload : JSON.stringify(payload)
	const timestamp = Math.floor(now / 1000)
	try {
		const res = await fetcher(url, {
			method: 'POST',
			headers: await standardWebhookHeaders(secret, id, timestamp, body),
			body,
			signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
		})
		await res.body?.cancel()
		if (res.ok) return { ok: true }
		return { ok: false, error: `HTTP ${res.status}`, permanent: !retryableStatus(res.status) }
	} catch (error) {
		const message = error instanceof Error ? error.message : 'failed'
		const refused = error instanceof OutboundRefused
		return {
			ok: false,
			error: (refused ? message : `POST failed: ${message}`).slice(0, 300),
			permanent: refused,
		}
	}
}
