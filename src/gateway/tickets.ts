// Stream tickets as the gateway makes and reads them: `et_<tenant>_<64 hex>`, 32 random bytes
// bound to one tenant; the lane keeps only the SHA-256 of the whole ticket (src/lanes/tickets.ts).
import { hex } from '../security/bytes'

const TICKET = /^et_([a-z0-9][a-z0-9-]{0,62})_([0-9a-f]{64})$/

export function newTicket(tenantId: string): string {
	return `et_${tenantId}_${hex(crypto.getRandomValues(new Uint8Array(32)))}`
}

export function parseTicket(ticket: string): { ticket: string; tenantId: string } | undefined {
	const m = TICKET.exec(ticket)
	return m?.[1] ? { ticket, tenantId: m[1] } : undefined
}

export async function ticketHash(ticket: string): Promise<string> {
	return hex(
		new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(ticket))),
	)
}
