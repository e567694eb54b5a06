// Who may do what with a response: creating one is sending to its session, retrieving it reading
// that session, cancelling it cancelling there — decided on the session the id names, so a policy
// on one session applies although the path holds only a response id.
import { beforeAll, describe, expect, it } from 'vitest'
import { admin } from '../../helpers'
import { key } from '../../security/helpers'
import { openAIError } from './helpers'
import { created, get, respond } from './responses-helpers'

let member: string
let viewer: string

beforeAll(async () => {
	member = (await key('default', 'member')).secret
	viewer = (await key('default', 'viewer')).secret
})

describe('roles', () => {
	it('a viewer may retrieve a response, not create or cancel one', async () => {
		const { body } = await created({ model: 'main', input: 'for viewers' }, member)
		const create = await respond({ model: 'main', input: 'x' }, {}, viewer)
		expect(create.status).toBe(403)
		expect(await openAIError(create)).toMatchObject({ type: 'permission_error', code: 'forbidden' })
		const read = await get(`/v1/responses/${body.id}`, viewer)
		expect(read.status).toBe(200)
		const cancel = await get(`/v1/responses/${body.id}/cancel`, viewer, 'POST')
		expect(cancel.status).toBe(403)
		await openAIError(cancel)
	})
})

describe('a policy on one session', () => {
	it('applies to the responses whose ids name it', async () => {
		const locked = await created({ model: 'main', input: 'secret' }, member, {
			'x-edgeclaw-session': 'resp-locked-1',
		})
		const open = await created({ model: 'main', input: 'public' }, member, {
			'x-edgeclaw-session': 'resp-open-1',
		})
		const policy = await admin('/v1/policies', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({
				id: 'lock-response-sessions',
				effect: 'deny',
				resources: ['tenant:default/session:resp-locked-*'],
				actions: ['sessions:read', 'sessions:send'],
				conditions: [{ key: 'subject.role', operator: 'equals', value: 'member' }],
			}),
		})
		expect(policy.status).toBe(201)
		try {
			const read = await get(`/v1/responses/${locked.body.id}`, member)
			expect(read.status).toBe(403)
			await openAIError(read)
			expect((await get(`/v1/responses/${open.body.id}`, member)).status).toBe(200)
			const next = await respond(
				{ model: 'main', input: 'more', previous_response_id: locked.body.id },
				{},
				member,
			)
			expect(next.status).toBe(403)
			await openAIError(next)
			// Its answer cannot be brought into another session either.
			const reference = await respond(
				{
					model: 'main',
					input: [
						{ type: 'item_reference', id: locked.body.output[0]?.id },
						{ role: 'user', content: 'leak it' },
					],
				},
				{},
				member,
			)
			expect(reference.status).toBe(403)
			await openAIError(reference)
		} finally {
			expect(
				(await admin('/v1/policies/lock-response-sessions', { method: 'DELETE' })).status,
			).toBe(204)
		}
	})
})
