// The fake platforms other channel tests lean on: a hold keeps matching requests until released,
// and is gone then, so holding the same path again holds again.
import { describe, expect, it } from 'vitest'
import { FakePlatforms } from '../fakes/platforms'

const platforms = FakePlatforms.install()
const send = () =>
	fetch('https://tg.platform.test/bot1/sendMessage', { method: 'POST', body: '{}' })

describe('FakePlatforms.hold', () => {
	it('holds until released, and a second hold of the same path holds again', async () => {
		for (const round of [1, 2]) {
			const release = platforms.hold('/sendMessage')
			const sent = send()
			await expect.poll(() => platforms.waiting).toBe(1)
			expect(platforms.calls).toHaveLength(round - 1)
			release()
			expect((await sent).status).toBe(200)
			expect(platforms.waiting).toBe(0)
			expect(platforms.calls).toHaveLength(round)
		}
		// Released holds are gone: nothing waits now.
		expect((await send()).status).toBe(200)
		expect(platforms.calls).toHaveLength(3)
	})
})
