// OpenClaw features edgeclaw does not have, answered as what they truly are here — empty — in the
// shapes OpenClaw's clients expect, so their views render "nothing" instead of failing: no
// scheduler (`cron.list`, `cron.status`, `cron.runs`), no question tool (`question.list`) and no presence
// registry (`system-presence`; the hello snapshot's presence is empty too). Nothing here invents a
// job, a question or a device.
import { z } from 'zod'
import { type Method, method } from './context'

/** The revision of an inventory that is always empty. */
const NO_JOBS = 'no-scheduler'

const cronList = method({
	scope: 'operator.read',
	params: z
		.object({
			limit: z.number().int().min(1).max(200).optional(),
			offset: z.number().int().min(0).optional(),
		})
		.loose(),
	async handle(_ctx, p) {
		return {
			jobs: [],
			// The inventory never changes: there is no scheduler to add a job to.
			snapshotRevision: NO_JOBS,
			total: 0,
			offset: p.offset ?? 0,
			limit: p.limit ?? 50,
			hasMore: false,
			nextOffset: null,
		}
	},
})

/** No job has ever run: an empty page of run history. */
const cronRuns = method({
	scope: 'operator.read',
	params: z
		.object({
			limit: z.number().int().min(1).max(200).optional(),
			offset: z.number().int().min(0).optional(),
		})
		.loose(),
	async handle(_ctx, p) {
		return { entries: [], total: 0, offset: p.offset ?? 0, hasMore: false, nextOffset: null }
	},
})

/** No scheduler runs here: disabled, no jobs, no wake-up. */
const cronStatus = method({
	scope: 'operator.read',
	params: z.object({}).loose(),
	async handle() {
		return { enabled: false, jobs: 0, nextWakeAtMs: null }
	},
})

/** edgeclaw's agents have no tool that asks the operator a question. */
const questionList = method({
	scope: 'operator.questions',
	params: z.object({}).loose(),
	async handle() {
		return { questions: [] }
	},
})

/** edgeclaw keeps no registry of connected clients or devices. */
const presence = method({
	scope: 'operator.read',
	params: z.object({}).loose(),
	async handle() {
		return []
	},
})

export const absentMethods: Record<string, Method> = {
	'cron.list': cronList,
	'cron.status': cronStatus,
	'cron.runs': cronRuns,
	'question.list': questionList,
	'system-presence': presence,
}
