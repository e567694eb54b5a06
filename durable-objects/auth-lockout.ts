// AuthLockout: one per client IP that failed authentication too often — until when that IP is
// locked out, shared by every isolate and every connection (src/gateway/lockout.ts). Its alarm
// forgets the IP when the lockout ends, so the object keeps nothing afterwards.
import { DurableObject } from 'cloudflare:workers'

export class AuthLockout extends DurableObject<Env> {
	/** Locks the IP out until `until` (ms since the epoch); a later lockout extends it. */
	lock(until: number): void {
		const kv = this.ctx.storage.kv
		if (until <= (kv.get<number>('until') ?? 0)) return
		kv.put('until', until)
		void this.ctx.storage.setAlarm(until)
	}

	/** When the lockout ends, or null when the IP is not locked out. */
	lockedUntil(): number | null {
		const until = this.ctx.storage.kv.get<number>('until')
		return until !== undefined && until > Date.now() ? until : null
	}

	override async alarm(): Promise<void> {
		const until = this.ctx.storage.kv.get<number>('until')
		if (until !== undefined && until > Date.now()) return void this.ctx.storage.setAlarm(until)
		await this.ctx.storage.deleteAll()
	}
}
