// One `webhook` metric point per inbound channel webhook: which channel (once the request named a
// known one), how it was taken, the status answered and how long that took.
import type { InboundOutcome } from '../../channels/plugin'
import { PLATFORM_INDEX, pointBase, type WebhookPoint } from '../../observability/metrics'
import { ProblemError } from '../problem'

/** What the webhook learned as it went; an unknown channel stays the platform's, unnamed. */
export interface HookNote {
	tenant: string
	channel: string
	channelKind: string
	/** How it was taken, once it was (else the status says: see `webhookPoint`). */
	outcome?: string
	traceId?: string
}

export const newHookNote = (traceId?: string): HookNote => ({
	tenant: PLATFORM_INDEX,
	channel: '',
	channelKind: '',
	...(traceId && { traceId }),
})

/** `accepted`, `duplicate`, `answered` (a signed webhook that waited) or `dropped`. */
export function takenOutcome(outcome: InboundOutcome): string {
	if (outcome.kind === 'accepted' && outcome.duplicate) return 'duplicate'
	return outcome.kind
}

/**
 * The point of a webhook answered with `status`, or that threw `error`: a refusal is `refused`
 * (unknown channel) or `unverified` (a known channel, a bad signature), then `invalid` (400),
 * `limited` (429), `failed` (5xx).
 */
export function webhookPoint(
	note: HookNote,
	status: number,
	latencyMs: number,
	error?: unknown,
): WebhookPoint {
	const answered = error === undefined ? status : error instanceof ProblemError ? error.status : 500
	return {
		kind: 'webhook',
		...pointBase(note.tenant, undefined, note.traceId),
		channel: note.channel,
		channelKind: note.channelKind,
		outcome: error === undefined && note.outcome ? note.outcome : refusalOf(note, answered),
		status: answered,
		latencyMs,
	}
}

function refusalOf(note: HookNote, status: number): string {
	if (status === 401) return note.channel === '' ? 'refused' : 'unverified'
	if (status === 400) return 'invalid'
	if (status === 429) return 'limited'
	return status >= 500 ? 'failed' : 'refused'
}
