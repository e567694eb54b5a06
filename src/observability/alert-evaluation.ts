// One evaluation of every tenant's alerts (the scheduled handler runs it each minute): read the
// facts, decide (alerts.ts), and make each raise and resolve known once — a structured log event,
// an audit row by `system:alerts`, and the tenant's signed webhook when it has one. A notification
// that fails is tried again on the next evaluations for a while, then given up.
import {
	type AlertEpisodeRow,
	claimNotification,
	type NotifyState,
	openEpisode,
	resolveEpisode,
	setNotified,
	type TenantToJudge,
	tenantsToJudge,
} from '../db/alerts'
import type { Db } from '../db/client'
import { utcDay } from '../db/usage'
import type { AuditEvent } from '../security/audit'
import { type AlertWebhook, rulesOf } from './alert-settings'
import type { AlertNotification, NotifyOutcome } from './alert-webhook'
import { type AlertChange, DELIVERY_WINDOW_MS, decideAlerts, RECENT_WINDOW_MS } from './alerts'
import type { Logger } from './logger'

/** A notification that failed is tried on each evaluation until this long after its event. */
export const NOTIFY_RETRY_MS = 5 * 60_000

/**
 * A notification an evaluation took to send is another's to take after this long (wall clock):
 * that evaluation died. A send takes at most the webhook's 10 s timeout.
 */
export const NOTIFY_CLAIM_MS = 60_000

/** Who the audit rows of alerts name as actor. */
export const ALERTS_ACTOR = 'system:alerts'

export interface AlertDeps {
	db: Db
	/** The evaluation's time (the cron's scheduled time): what episodes are dated by. */
	now: number
	/** The wall clock, for notification claims (default Date.now). */
	clock?: () => number
	newId(): string
	logger: Logger
	audit(event: AuditEvent): Promise<unknown>
	notify(webhook: AlertWebhook, message: AlertNotification): Promise<NotifyOutcome>
}

export interface EvaluationSummary {
	tenants: number
	raised: number
	resolved: number
}

export async function evaluateAlerts(deps: AlertDeps): Promise<EvaluationSummary> {
	const { now } = deps
	const tenants = await tenantsToJudge(
		deps.db,
		{ recent: now - RECENT_WINDOW_MS, deliveries: now - DELIVERY_WINDOW_MS },
		utcDay(now),
	)
	const summary = { tenants: tenants.length, raised: 0, resolved: 0 }
	for (const tenant of tenants) {
		try {
			await judge(deps, tenant, summary)
		} catch (error) {
			deps.logger.error('alert.evaluation_failed', { tenant: tenant.tenantId, error })
		}
	}
	return summary
}

async function judge(deps: AlertDeps, t: TenantToJudge, summary: EvaluationSummary) {
	const webhook = t.settings.alerts?.webhook
	const open = t.episodes.filter((e) => e.status === 'open')
	const done = new Set<string>()
	for (const change of decideAlerts(rulesOf(t.settings.alerts), t.facts, open)) {
		const episode = await apply(deps, t.tenantId, change, webhook ? 'pending' : 'none')
		if (!episode) continue
		done.add(episode.id)
		summary[change.kind === 'raise' ? 'raised' : 'resolved']++
		await announce(deps, episode, change.value)
		if (webhook) await notify(deps, episode, webhook)
	}
	for (const episode of t.episodes) {
		if (episode.notified !== 'pending' || done.has(episode.id)) continue
		if (!webhook) await setNotified(deps.db, episode, 'none')
		// Another evaluation running at the same time may be sending it: only the claim's holder does.
		else if (await claimNotification(deps.db, episode, wallClock(deps), NOTIFY_CLAIM_MS))
			await notify(deps, episode, webhook)
	}
}

const wallClock = (deps: AlertDeps): number => (deps.clock ?? Date.now)()

/** Writes the change; the episode as it now is, or undefined when another evaluation got there first. */
async function apply(
	deps: AlertDeps,
	tenantId: string,
	change: AlertChange<AlertEpisodeRow>,
	notified: NotifyState,
): Promise<AlertEpisodeRow | undefined> {
	const { db, now } = deps
	// The evaluation that writes the change sends its notification: it holds the claim from here.
	const notifyClaimedAt = notified === 'pending' ? wallClock(deps) : null
	if (change.kind === 'raise') {
		const row = {
			tenantId,
			id: deps.newId(),
			rule: change.rule,
			status: 'open' as const,
			value: change.value,
			threshold: change.threshold,
			openedAt: now,
			resolvedAt: null,
			notified,
			notifyClaimedAt,
		}
		return (await openEpisode(db, row)) ? row : undefined
	}
	const { episode } = change
	const resolved = await resolveEpisode(db, {
		tenantId,
		id: episode.id,
		resolvedAt: now,
		notified,
		notifyClaimedAt,
	})
	return resolved
		? { ...episode, status: 'resolved', resolvedAt: now, notified, notifyClaimedAt }
		: undefined
}

/** The log event and the audit row of a raise or resolve. */
async function announce(deps: AlertDeps, e: AlertEpisodeRow, current: number | null) {
	const action = e.status === 'open' ? 'alert.raised' : 'alert.resolved'
	const fields = {
		tenant: e.tenantId,
		episode: e.id,
		rule: e.rule,
		value: e.value,
		threshold: e.threshold,
		...(e.status === 'resolved' && { current, openedAt: e.openedAt }),
	}
	if (e.status === 'open') deps.logger.warn(action, fields)
	else deps.logger.info(action, fields)
	const { tenant: _, ...data } = fields
	try {
		await deps.audit({
			tenantId: e.tenantId,
			actor: ALERTS_ACTOR,
			action,
			target: `alert:${e.rule}`,
			outcome: 'success',
			data,
		})
	} catch (error) {
		deps.logger.error('audit.append_failed', { action, error })
	}
}

/** Sends the episode's latest news; records sent, still pending, or given up. */
async function notify(deps: AlertDeps, e: AlertEpisodeRow, webhook: AlertWebhook) {
	const outcome = await deps.notify(webhook, notificationOf(e))
	const at = e.resolvedAt ?? e.openedAt
	const state = outcome.ok ? 'sent' : deps.now - at >= NOTIFY_RETRY_MS ? 'failed' : 'pending'
	if (!outcome.ok) {
		const fields = { tenant: e.tenantId, episode: e.id, error: outcome.error, state }
		deps.logger.warn('alert.notify_failed', fields)
	}
	// Always written: it lets go of the claim too.
	await setNotified(deps.db, e, state)
}

export function notificationOf(e: AlertEpisodeRow): AlertNotification {
	return {
		type: e.status === 'open' ? 'alert.raised' : 'alert.resolved',
		tenantId: e.tenantId,
		alert: {
			id: e.id,
			rule: e.rule,
			status: e.status,
			value: e.value,
			threshold: e.threshold,
			openedAt: e.openedAt,
			resolvedAt: e.resolvedAt,
		},
	}
}
