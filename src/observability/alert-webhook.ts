// An alert's notification: a JSON POST to the tenant's webhook, signed per Standard Webhooks with
// a secret the tenant stored, through whatever fetch the caller passes (the SSRF-guarded one). The
// `webhook-id` is the same on every retry of one notification, so a receiver can drop repeats.
import { standardWebhookHeaders } from '../security/standard-webhooks'
import type { AlertWebhook } from './alert-settings'

/** What a webhook receives (the body). */
export interface AlertNotification {
	type: 'alert.raised' | 'alert.resolved'
	tenantId: string
	alert: {
		id: string
		rule: string
		status: 'open' | 'resolved'
		/** The value that opened the episode, in the rule's unit. */
		value: number
		threshold: number
		openedAt: number
		resolvedAt: number | null
	}
}

/** A receiver that has not answered in this long failed this try. */
export const NOTIFY_TIMEOUT_MS = 10_000

export type NotifyOutcome = { ok: true } | { ok: false; error: string }

export interface NotifyDeps {
	fetch: typeof fetch
	/** The tenant secret's value by name; throws when it cannot be read. */
	secret(name: string): Promise<string>
	now(): number
}

export async function postAlert(
	deps: NotifyDeps,
	webhook: AlertWebhook,
	message: AlertNotification,
): Promise<NotifyOutcome> {
	const body = JSON.stringify(message)
	const id = `alert_${message.alert.id}_${message.type === 'alert.raised' ? 'raised' : 'resolved'}`
	const timestamp = Math.floor(deps.now() / 1000)
	let headers: Record<string, string>
	try {
		headers = await standardWebhookHeaders(await deps.secret(webhook.secret), id, timestamp, body)
	} catch (error) {
		return { ok: false, error: `signing secret ${webhook.secret}: ${describe(error)}` }
	}
	try {
		const res = await deps.fetch(webhook.url, {
			method: 'POST',
			headers,
			body,
			signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS),
		})
		await res.body?.cancel()
		return res.ok ? { ok: true } : { ok: false, error: `HTTP ${res.status}` }
	} catch (error) {
		return { ok: false, error: describe(error) }
	}
}

const describe = (error: unknown): string =>
	error instanceof Error ? error.message.slice(0, 300) : 'failed'
