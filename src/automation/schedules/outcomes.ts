// What happens after a schedule's turn ends: its answer delivered (a channel's outbox took it with
// the turn; a webhook gets a signed POST), and the failure streak kept — an alert (audit entry, log
// event, optional signed webhook) at the 2nd failure in a row, the schedule turned off at the 10th.
import { cachedChannel } from '../../db/channels'
import { database } from '../../db/client'
import { credentialsFromEnv } from '../../db/credentials'
import { recordScheduleOutcome, reportTimer, type ScheduleRow } from '../../db/schedules'
import type { ReplyRoute, RunView } from '../../lanes/types'
import { FAILING_STREAK } from '../../observability/alerts'
import { isHeartbeatAck } from '../heartbeat/ack'
import {
	guardedFetchFor,
	openSigningSecret,
	type PostOutcome,
	postSigned,
	secretSlot,
} from './delivery'
import type { DeliveryState, ScheduleRun } from './ledger'
import type { ScheduleDefinition } from './spec'
import type { TimerDeps } from './timer'

/**
 * Failures in a row that raise an alert (the schedule counts for the tenant's `failing_schedules`
 * rule from there), and that turn the schedule off.
 */
export const ALERT_AFTER = FAILING_STREAK
export const DISABLE_AFTER = 10

/**
 * `ok`: the turn succeeded and its answer reached where it goes. A `pending` delivery (a webhook
 * POST that failed but is worth a retry) carries the body to post again; the run counts for the
 * failure streak only once its delivery is settled.
 */
export interface Outcome {
	ok: boolean
	error: string | null
	delivery: DeliveryState
	deliveryError: string | null
	/** Webhook POSTs tried. */
	attempts: number
	retryBody?: string
}

/** What a webhook delivery receives (the body). */
export interface ScheduleRunNotification {
	type: 'schedule.run'
	tenantId: string
	scheduleId: string
	run: {
		id: string
		dueAt: number | null
		firedAt: number
		laneRunId: string | null
		sessionKey: string | null
		status: 'succeeded' | 'failed' | 'cancelled'
		output: string | null
		error: string | null
	}
}

export class ScheduleOutcomes {
	readonly #d: TimerDeps

	constructor(deps: TimerDeps) {
		this.#d = deps
	}

	/** The reply route a channel delivery rides on; an error when the channel cannot take it. */
	async replyRoute(
		row: ScheduleRow,
		def: ScheduleDefinition,
	): Promise<{ route?: ReplyRoute } | { error: string }> {
		const delivery = def.delivery
		if (delivery.type !== 'channel') return {}
		const channel = await cachedChannel(database(this.#d.env.DB), row.tenantId, delivery.channelId)
		if (!channel) return { error: `channel ${delivery.channelId} does not exist` }
		if (!channel.enabled) return { error: `channel ${delivery.channelId} is disabled` }
		const route = { channelId: channel.id, kind: channel.kind, target: delivery.target }
		// The lane's outbox holds a heartbeat's `HEARTBEAT_OK` back from the channel.
		return { route: def.heartbeat ? { ...route, dropHeartbeatAck: true } : route }
	}

	/** Delivers the ended turn's answer where the schedule says; the run's outcome. */
	async deliver(
		row: ScheduleRow,
		def: ScheduleDefinition,
		run: ScheduleRun,
		ended: RunView | { error: string },
	): Promise<Outcome> {
		const view = 'runId' in ended ? ended : undefined
		const ok = view?.status === 'succeeded'
		const error = view
			? ok
				? null
				: view.error
					? `${view.error.code}: ${view.error.message}`.slice(0, 500)
					: `the turn ended ${view.status}`
			: (ended as { error: string }).error
		const base = { ok, error, attempts: 0 }
		// A heartbeat with nothing to report: metered like any turn, delivered nowhere.
		if (def.heartbeat && ok && isHeartbeatAck(view?.output ?? '')) {
			return { ...base, delivery: 'suppressed', deliveryError: null }
		}
		switch (def.delivery.type) {
			case 'none':
				return { ...base, delivery: 'none', deliveryError: null }
			case 'channel':
				// The lane's outbox took the answer with the turn (retried, dead-lettered on its own).
				return { ...base, delivery: view ? 'outbox' : 'none', deliveryError: null }
			case 'webhook': {
				const body = JSON.stringify(notification(row, run, view, error))
				const posted = await this.post(row, def.delivery.url, run.id, body)
				if (posted.ok) return { ...base, attempts: 1, delivery: 'sent', deliveryError: null }
				if (!posted.permanent) {
					return {
						...base,
						attempts: 1,
						delivery: 'pending',
						deliveryError: posted.error,
						retryBody: body,
					}
				}
				return {
					ok: false,
					error: error ?? posted.error,
					attempts: 1,
					delivery: 'failed',
					deliveryError: posted.error,
				}
			}
		}
	}

	/**
	 * One signed POST of a run's notification (`body`, JSON): the `webhook-id` is the run's on every
	 * try, the timestamp and signature are fresh.
	 */
	async post(row: ScheduleRow, url: string, runId: string, body: string): Promise<PostOutcome> {
		const { secretKeyId, secretIv, secretCiphertext } = row
		const secret =
			secretKeyId && secretIv && secretCiphertext
				? await openSigningSecret(this.#d.env, secretSlot(row.tenantId, row.id), {
						keyId: secretKeyId,
						iv: secretIv,
						ciphertext: secretCiphertext,
					})
				: undefined
		if (!secret) {
			return {
				ok: false,
				permanent: true,
				error: 'the signing secret cannot be opened; PATCH the delivery to get a new one',
			}
		}
		const fetcher = guardedFetchFor(this.#d.env, this.#d.fetch)
		return postSigned(fetcher, url, secret, `schedule_run_${runId}`, body, this.#d.now())
	}

	/**
	 * Keeps the failure streak; true when this outcome turned the schedule off. An alert goes out
	 * once per streak, when it reaches ALERT_AFTER.
	 */
	async account(
		row: ScheduleRow,
		def: ScheduleDefinition,
		run: ScheduleRun,
		outcome: Outcome,
	): Promise<boolean> {
		const db = database(this.#d.env.DB)
		const key = { tenantId: row.tenantId, id: row.id }
		const now = this.#d.now()
		const streak = await recordScheduleOutcome(db, key, {
			ok: outcome.ok,
			at: now,
			status: outcome.ok ? 'ok' : 'failed',
		})
		if (outcome.ok) return false
		if (streak === ALERT_AFTER) await this.#alert(row, def, run, streak, outcome.error)
		if (streak < DISABLE_AFTER) return false
		const reason =
			`turned off after ${streak} failed runs in a row; the last: ${outcome.error ?? 'failed'}`.slice(
				0,
				500,
			)
		await reportTimer(db, key, { disable: reason })
		await this.#audit(row, 'schedule.disabled', { consecutiveFailures: streak, reason })
		this.#d.logger.warn('schedule.disabled', { schedule: row.id, tenant: row.tenantId, reason })
		return true
	}

	async #alert(
		row: ScheduleRow,
		def: ScheduleDefinition,
		run: ScheduleRun,
		streak: number,
		error: string | null,
	): Promise<void> {
		this.#d.logger.warn('schedule.failing', {
			schedule: row.id,
			tenant: row.tenantId,
			consecutiveFailures: streak,
			error,
		})
		await this.#audit(row, 'schedule.failing', {
			consecutiveFailures: streak,
			error,
			runId: run.id,
		})
		const hook = def.alertWebhook
		if (!hook) return
		const secret = await credentialsFromEnv(this.#d.env).resolve({
			tenantId: row.tenantId,
			name: hook.secret,
			officialFor: undefined,
		})
		if (!secret.ok) {
			this.#d.logger.warn('schedule.alert_unsigned', { schedule: row.id, secret: hook.secret })
			return
		}
		const posted = await postSigned(
			guardedFetchFor(this.#d.env, this.#d.fetch),
			hook.url,
			secret.value,
			`schedule_failing_${row.id}_${run.id}`,
			{
				type: 'schedule.failing',
				tenantId: row.tenantId,
				scheduleId: row.id,
				consecutiveFailures: streak,
				error,
			},
			this.#d.now(),
		)
		if (!posted.ok) {
			this.#d.logger.warn('schedule.alert_failed', { schedule: row.id, error: posted.error })
		}
	}

	async #audit(row: ScheduleRow, action: string, data: Record<string, unknown>): Promise<void> {
		try {
			await this.#d.env.AUDIT.getByName(row.tenantId).append({
				tenantId: row.tenantId,
				actor: 'system',
				action,
				target: `schedule:${row.id}`,
				outcome: 'failure',
				data,
			})
		} catch (error) {
			this.#d.logger.error('audit.append_failed', { action, error })
		}
	}
}

/** The body a webhook delivery of a run receives. */
function notification(
	row: ScheduleRow,
	run: ScheduleRun,
	view: RunView | undefined,
	error: string | null,
): ScheduleRunNotification {
	return {
		type: 'schedule.run',
		tenantId: row.tenantId,
		scheduleId: row.id,
		run: {
			id: run.id,
			dueAt: run.dueAt,
			firedAt: run.firedAt,
			laneRunId: run.laneRunId,
			sessionKey: run.sessionKey,
			status: view?.status === 'succeeded' || view?.status === 'cancelled' ? view.status : 'failed',
			output: view?.output ?? null,
			error,
		},
	}
}
