// The Worker's cron (wrangler.toml `[triggers]`, every minute): evaluate alerts from the rollups,
// and once an hour prune rollups and old alert episodes. Failures are logged, never thrown, so
// one bad minute does not mark the trigger failed for the next.
import { EPISODE_RETENTION_MS, pruneEpisodes } from '../db/alerts'
import { database } from '../db/client'
import { credentialsFromEnv } from '../db/credentials'
import { pruneMetricRollups } from '../db/metrics'
import { guardedFetch } from '../security/outbound'
import { checkUrl, tenantUrlRules } from '../security/ssrf'
import { evaluateAlerts } from './alert-evaluation'
import { postAlert } from './alert-webhook'
import type { Logger } from './logger'

/** Per-minute rollups are kept this long (the metrics API's longest range). */
export const ROLLUP_RETENTION_MS = 31 * 86_400_000

/** Pruning runs on the tick of this minute of each hour (UTC). */
const PRUNE_MINUTE = 0

export type ScheduleEnv = Pick<Env, 'DB' | 'AUDIT' | 'EDGECLAW_DEV_ALLOW_LOOPBACK'> & object

export async function runSchedule(
	env: ScheduleEnv,
	at: number,
	logger: Logger,
	fetcher: typeof fetch = (input, init) => fetch(input, init),
): Promise<void> {
	const db = database(env.DB)
	const credentials = credentialsFromEnv(env)
	const rules = tenantUrlRules(env)
	const guarded = guardedFetch(fetcher, (url) => checkUrl(url, undefined, rules))
	try {
		const summary = await evaluateAlerts({
			db,
			now: at,
			newId: () => crypto.randomUUID(),
			logger,
			audit: (event) => env.AUDIT.getByName(event.tenantId).append(event),
			notify: (webhook, message) =>
				postAlert(
					{
						fetch: guarded,
						now: Date.now,
						async secret(name) {
							const found = await credentials.resolve({
								tenantId: message.tenantId,
								name,
								officialFor: undefined,
							})
							if (!found.ok) throw new Error(found.message)
							return found.value
						},
					},
					webhook,
					message,
				),
		})
		if (summary.raised + summary.resolved > 0) logger.info('alert.evaluated', { ...summary })
	} catch (error) {
		logger.error('alert.evaluation_failed', { error })
	}
	if (new Date(at).getUTCMinutes() !== PRUNE_MINUTE) return
	try {
		const rollups = await pruneMetricRollups(db, at - ROLLUP_RETENTION_MS)
		const episodes = await pruneEpisodes(db, at - EPISODE_RETENTION_MS)
		logger.info('metrics.pruned', { rollups, episodes })
	} catch (error) {
		logger.error('metrics.prune_failed', { error })
	}
}
