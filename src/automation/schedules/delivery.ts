// Where a schedule's answers and alarms go over HTTP: a Standard-Webhooks-signed JSON POST through
// the SSRF-guarded fetch (every hop checked), and the sealing of the signing secret a webhook
// delivery gets at create — generated here, shown once, stored under the deployment's data key.
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
import { signStandardWebhook } from '../../security/standard-webhooks'

/** A receiver that has not answered in this long failed. */
export const WEBHOOK_TIMEOUT_MS = 10_000

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

export type PostOutcome = { ok: true } | { ok: false; error: string }

/** One signed POST; `id` is the `webhook-id`, the same on any retry so receivers can drop repeats. */
export async function postSigned(
	fetcher: typeof fetch,
	url: string,
	secret: string,
	id: string,
	payload: unknown,
	now: number,
): Promise<PostOutcome> {
	const body = JSON.stringify(payload)
	const timestamp = Math.floor(now / 1000)
	try {
		const signature = await signStandardWebhook(secret, id, timestamp, body)
		const res = await fetcher(url, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				'webhook-id': id,
				'webhook-timestamp': String(timestamp),
				'webhook-signature': signature,
			},
			body,
			signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
		})
		await res.body?.cancel()
		return res.ok ? { ok: true } : { ok: false, error: `HTTP ${res.status}` }
	} catch (error) {
		const message = error instanceof Error ? error.message : 'failed'
		return {
			ok: false,
			error: (error instanceof OutboundRefused ? message : `POST failed: ${message}`).slice(0, 300),
		}
	}
}
