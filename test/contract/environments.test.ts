// wrangler.toml's environments against its top level: wrangler inherits no bindings, vars or
// containers into `[env.<name>]`, so each environment repeats them — this fails when one drifts
// (a binding added at the top level and forgotten in an environment, a resource name shared
// between environments). Node-side: it reads the file, nothing is deployed.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { describe, expect, it } from 'vitest'

const ENVIRONMENTS = ['staging', 'production'] as const

/** The keys wrangler does not inherit into an environment (its `notInheritable` fields). */
const NOT_INHERITED = [
	'vars',
	'define',
	'durable_objects',
	'containers',
	'd1_databases',
	'kv_namespaces',
	'r2_buckets',
	'queues',
	'ratelimits',
	'worker_loaders',
	'ai',
	'analytics_engine_datasets',
	'services',
	'hyperdrive',
	'vectorize',
	'workflows',
	'browser',
	'send_email',
	'secrets_store_secrets',
	'version_metadata',
	'tail_consumers',
	'unsafe',
] as const

type Table = Record<string, unknown>
type Entry = Record<string, unknown>

const config = parse(
	readFileSync(join(import.meta.dirname, '..', '..', 'wrangler.toml'), 'utf8'),
) as Table
const envOf = (name: string) => (config.env as Record<string, Table>)[name] as Table
const list = (table: Table, path: string): Entry[] => {
	let at: unknown = table
	for (const part of path.split('.')) at = (at as Table | undefined)?.[part]
	return (at as Entry[] | undefined) ?? []
}
const names = (entries: Entry[], key: string) => entries.map((e) => e[key]).sort()
/** An entry without the fields that name an environment's own resource. */
const shape = (entry: Entry, own: readonly string[]) =>
	Object.fromEntries(Object.entries(entry).filter(([k]) => !own.includes(k)))

describe('wrangler.toml environments', () => {
	it.each(ENVIRONMENTS)('%s repeats every key wrangler does not inherit', (name) => {
		const env = envOf(name)
		for (const key of NOT_INHERITED) {
			if (config[key] !== undefined) expect(env[key], `env.${name}.${key}`).toBeDefined()
		}
		expect(Object.keys(env.vars as Table).sort()).toEqual(Object.keys(config.vars as Table).sort())
	})

	it.each(ENVIRONMENTS)('%s binds the same names to the same kinds of resource', (name) => {
		const env = envOf(name)
		expect(list(env, 'durable_objects.bindings')).toEqual(list(config, 'durable_objects.bindings'))
		expect(list(env, 'containers')).toEqual(list(config, 'containers'))
		expect(list(env, 'worker_loaders')).toEqual(list(config, 'worker_loaders'))
		expect(env.ai).toEqual(config.ai)
		expect(names(list(env, 'd1_databases'), 'binding')).toEqual(
			names(list(config, 'd1_databases'), 'binding'),
		)
		expect(list(env, 'd1_databases').map((d) => shape(d, ['database_name']))).toEqual(
			list(config, 'd1_databases').map((d) => shape(d, ['database_name'])),
		)
		expect(names(list(env, 'queues.producers'), 'binding')).toEqual(
			names(list(config, 'queues.producers'), 'binding'),
		)
		expect(
			list(env, 'queues.consumers').map((q) => shape(q, ['queue', 'dead_letter_queue'])),
		).toEqual(list(config, 'queues.consumers').map((q) => shape(q, ['queue', 'dead_letter_queue'])))
		expect(list(env, 'ratelimits').map((r) => shape(r, ['namespace_id']))).toEqual(
			list(config, 'ratelimits').map((r) => shape(r, ['namespace_id'])),
		)
		expect(names(list(env, 'analytics_engine_datasets'), 'binding')).toEqual(
			names(list(config, 'analytics_engine_datasets'), 'binding'),
		)
	})

	it.each(ENVIRONMENTS)('%s has resources of its own, named for it', (name) => {
		const env = envOf(name)
		for (const db of list(env, 'd1_databases')) expect(db.database_name).toBe(`edgeclaw-${name}`)
		const queues = [
			...list(env, 'queues.producers').map((q) => q.queue),
			...list(env, 'queues.consumers').flatMap((q) => [q.queue, q.dead_letter_queue ?? []].flat()),
		]
		for (const queue of queues)
			expect(queue).toMatch(new RegExp(`^edgeclaw-tool-jobs-${name}(-dlq)?$`))
		for (const set of list(env, 'analytics_engine_datasets'))
			expect(set.dataset).toBe(`edgeclaw_metrics_${name}`)
	})

	it('points the metrics API at the dataset the METRICS binding writes, in each', () => {
		for (const table of [config, ...ENVIRONMENTS.map(envOf)]) {
			const written = list(table, 'analytics_engine_datasets').find((d) => d.binding === 'METRICS')
			expect((table.vars as Table).EDGECLAW_METRICS_DATASET).toBe(written?.dataset)
		}
	})

	it('names every dead-letter queue, and only those, `…-dlq` (how the consumer knows one)', () => {
		for (const table of [config, ...ENVIRONMENTS.map(envOf)]) {
			const dlqs = list(table, 'queues.consumers').flatMap((q) => q.dead_letter_queue ?? [])
			expect(dlqs.length).toBeGreaterThan(0)
			for (const dlq of dlqs) expect(dlq).toMatch(/-dlq$/)
			for (const p of list(table, 'queues.producers')) expect(p.queue).not.toMatch(/-dlq$/)
		}
	})

	it('shares no rate-limit namespace between the top level and the environments', () => {
		const ids = [config, ...ENVIRONMENTS.map(envOf)].flatMap((t) =>
			list(t, 'ratelimits').map((r) => r.namespace_id),
		)
		expect(new Set(ids).size).toBe(ids.length)
	})
})
