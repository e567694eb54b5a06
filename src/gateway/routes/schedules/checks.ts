// A schedule write's checks beyond its shape, each refusal a 400 naming the field: one duration
// form, a known time zone and a valid cron expression, an `at` still ahead, an agent and a
// channel that exist, webhook URLs the SSRF guard admits, an alert secret the tenant stored.
import type { Context } from 'hono'
import { resolveAgent } from '../../../agents/lookup'
import {
	nextDue,
	normaliseTime,
	type ScheduleDefinition,
	type ScheduleFields,
} from '../../../automation/schedules/spec'
import { getChannel } from '../../../db/channels'
import { database } from '../../../db/client'
import { tenantSecretNames } from '../../../db/secrets'
import { checkUrl, tenantUrlRules } from '../../../security/ssrf'
import type { GatewayEnv } from '../../context'
import { type FieldError, fieldProblem } from '../../errors'

/** The normalised definition of valid fields; throws a validation problem otherwise. */
export async function checkedDefinition(
	c: Context<GatewayEnv>,
	fields: Omit<ScheduleFields, 'enabled'>,
	now: number,
): Promise<ScheduleDefinition> {
	const tenantId = c.get('principal').tenantId
	const db = database(c.env.DB)
	const issues: FieldError[] = []
	const time = normaliseTime(fields.schedule)
	if (Array.isArray(time)) issues.push(...time)
	else if (time.kind === 'at' && nextDue(time, now, now) === null) {
		issues.push({ path: 'schedule.at', message: 'is in the past' })
	}
	if (!(await resolveAgent(db, tenantId, fields.target.agentId))) {
		issues.push({ path: 'target.agentId', message: `no agent "${fields.target.agentId}"` })
	}
	const rules = tenantUrlRules(c.env)
	const delivery = fields.delivery
	if (delivery.type === 'channel') {
		const channel = await getChannel(db, tenantId, delivery.channelId)
		if (!channel) {
			issues.push({ path: 'delivery.channelId', message: `no channel "${delivery.channelId}"` })
		}
	} else if (delivery.type === 'webhook') {
		const checked = checkUrl(delivery.url, undefined, rules)
		if (!checked.ok) issues.push({ path: 'delivery.url', message: `refused: ${checked.message}` })
	}
	const hook = fields.alertWebhook
	if (hook) {
		const checked = checkUrl(hook.url, undefined, rules)
		if (!checked.ok)
			issues.push({ path: 'alertWebhook.url', message: `refused: ${checked.message}` })
		if (!(await tenantSecretNames(db, tenantId)).has(hook.secret)) {
			issues.push({
				path: 'alertWebhook.secret',
				message: `no tenant secret ${hook.secret}; store it with PUT /v1/secrets/${hook.secret} first`,
			})
		}
	}
	if (issues.length > 0 || Array.isArray(time)) throw fieldProblem(issues, 'json')
	return {
		...(fields.name !== undefined && { name: fields.name }),
		schedule: time,
		target: fields.target,
		delivery,
		misfire: fields.misfire,
		...(hook && { alertWebhook: hook }),
	}
}
