// Global setup of the workerd tests: a fake Analytics Engine SQL API on loopback (Node), so the
// metrics API's SQL client is tested over real HTTP. Each test registers a scenario (how to answer
// which query) and reads back the requests its scenario was sent; scenarios never see each other.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'
import type { RecordedSqlRequest, SqlRule } from '../fakes/metrics-sql.js'

interface Scenario {
	rules: SqlRule[]
	requests: RecordedSqlRequest[]
}

const readBody = async (req: IncomingMessage): Promise<string> => {
	const chunks: Buffer[] = []
	for await (const chunk of req) chunks.push(chunk as Buffer)
	return Buffer.concat(chunks).toString('utf8')
}

const sendJson = (res: ServerResponse, status: number, body: unknown) => {
	res.writeHead(status, { 'content-type': 'application/json' })
	res.end(JSON.stringify(body))
}

export default async function setup(project: TestProject) {
	const scenarios = new Map<string, Scenario>()
	let next = 0
	const server = createServer(async (req, res) => {
		const body = await readBody(req)
		const path = new URL(req.url ?? '/', 'http://fake').pathname
		if (req.method === 'POST' && path === '/scenarios') {
			const id = `s${++next}`
			scenarios.set(id, { rules: (JSON.parse(body) as { rules: SqlRule[] }).rules, requests: [] })
			return sendJson(res, 201, { id })
		}
		const recorded = /^\/scenarios\/(\w+)\/requests$/.exec(path)
		if (req.method === 'GET' && recorded) {
			return sendJson(res, 200, scenarios.get(recorded[1] as string)?.requests ?? [])
		}
		const sql = /^\/sql\/(\w+)$/.exec(path)
		const scenario = sql ? scenarios.get(sql[1] as string) : undefined
		if (!scenario) return sendJson(res, 404, { errors: [{ message: 'no such scenario' }] })
		scenario.requests.push({
			method: req.method ?? '',
			authorization: req.headers.authorization ?? null,
			contentType: req.headers['content-type'] ?? null,
			body,
		})
		const rule = scenario.rules.find((r) => r.match === undefined || body.includes(r.match))
		if (!rule) return sendJson(res, 400, { errors: [{ message: 'no rule matches the query' }] })
		if (rule.hang) return
		if (rule.text !== undefined) {
			res.writeHead(rule.status ?? 200, { 'content-type': 'text/plain' })
			return res.end(rule.text)
		}
		return sendJson(res, rule.status ?? 200, rule.json ?? {})
	})
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
	const { port } = server.address() as AddressInfo
	project.provide('metricsSqlApi', `http://127.0.0.1:${port}`)
	return async () => {
		server.closeAllConnections()
		await new Promise((resolve) => server.close(resolve))
	}
}
