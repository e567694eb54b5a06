// The typed client's types are the gateway's own: `client/schema.ts`, regenerated from the
// running gateway's GET /openapi.json, is exactly the checked-in file. A route or schema change
// without `npm run client:generate` fails here (and usually in the CLI's and web app's typecheck).
import { readFileSync } from 'node:fs'
import { describe, expect, inject, it } from 'vitest'
import { SCHEMA_FILE, schemaSource } from '../../client/generate.mjs'

describe('client/schema.ts', () => {
	it('matches the running gateway’s OpenAPI document', async () => {
		const res = await fetch(`${inject('baseUrl')}/openapi.json`)
		expect(res.status).toBe(200)
		const generated = await schemaSource(await res.json())
		const checkedIn = readFileSync(SCHEMA_FILE, 'utf8')
		// A drift shows as a diff of the two; say how to fix it first.
		if (generated !== checkedIn)
			console.error('client/schema.ts drifted: run `npm run client:generate`')
		expect(generated).toBe(checkedIn)
	})
})
