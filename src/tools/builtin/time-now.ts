// time_now: the current time, optionally in an IANA zone. Read-only and I/O-free, so it runs in
// the session's lane.
import { z } from 'zod'
import type { ToolSpec } from '../registry'

export const timeNow: ToolSpec<{ timezone?: string | undefined }> = {
	name: 'time_now',
	description:
		'The current date and time. Optionally in an IANA time zone such as "Europe/Paris" (default UTC).',
	parameters: z.object({ timezone: z.string().min(1).max(64).optional() }).strict(),
	sideEffect: 'read',
	groups: ['group:session'],
	timeoutMs: 1_000,
	idempotent: true,
	placement: 'lane',
	async execute({ timezone }, ctx) {
		const now = new Date(ctx.now())
		const zone = timezone ?? 'UTC'
		let local: string
		try {
			local = new Intl.DateTimeFormat('en-CA', {
				timeZone: zone,
				dateStyle: 'short',
				timeStyle: 'long',
				hourCycle: 'h23',
			}).format(now)
		} catch {
			throw new Error(`unknown time zone "${zone}"`)
		}
		return { iso: now.toISOString(), epochMs: now.getTime(), timezone: zone, local }
	},
}
