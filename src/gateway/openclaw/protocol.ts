// The OpenClaw Gateway protocol v4, server side: frame shapes and limits (its errors: errors.ts).
// Frames are JSON text: requests `{type:"req",id,method,params}`, responses
// `{type:"res",id,ok,payload|error}`, events `{type:"event",event,payload,seq}`. Field names follow
// OpenClaw's published schema (@openclaw/gateway-protocol), so its clients work unchanged.
import { z } from 'zod'
import type { ErrorShape } from './errors'

export const PROTOCOL_VERSION = 4
/** Frames before `connect` succeeds may be at most this large (OpenClaw's MAX_PREAUTH_PAYLOAD_BYTES). */
export const MAX_PREAUTH_BYTES = 64 * 1024
/** Largest frame after the handshake (`hello-ok.policy.maxPayload`). */
export const MAX_PAYLOAD_BYTES = 1024 * 1024
/** Outbound buffer a client should allow for (`hello-ok.policy.maxBufferedBytes`). */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024
/**
 * Keepalive period. Clients close a socket that stays silent for twice this long, so the
 * connection object wakes from hibernation once per period to send a `tick`.
 */
export const TICK_INTERVAL_MS = 30_000
/** A socket that has not completed `connect` by then is closed. */
export const HANDSHAKE_TIMEOUT_MS = 15_000

/** Close codes: 1002 protocol mismatch, 1008 policy violation (bad handshake), 1009 frame too
 * large, 4001 credentials no longer valid. */
export const CLOSE = { protocol: 1002, policy: 1008, tooBig: 1009, revoked: 4001 } as const

export const RequestFrame = z.object({
	type: z.literal('req'),
	id: z.string().min(1).max(200),
	method: z.string().min(1).max(200),
	params: z.unknown().optional(),
	traceparent: z.string().max(128).optional(),
})
export type RequestFrame = z.infer<typeof RequestFrame>

export const ConnectParams = z.object({
	minProtocol: z.number().int().min(1),
	maxProtocol: z.number().int().min(1),
	client: z
		.object({
			id: z.string().min(1).max(200),
			version: z.string().max(200).optional(),
			platform: z.string().max(200).optional(),
			mode: z.string().max(100).optional(),
			deviceFamily: z.string().max(200).optional(),
			displayName: z.string().max(200).optional(),
			instanceId: z.string().max(200).optional(),
		})
		.loose(),
	role: z.string().max(50).optional(),
	scopes: z.array(z.string().max(100)).max(50).optional(),
	caps: z.array(z.string().max(100)).max(100).optional(),
	auth: z
		.object({
			token: z.string().max(8_192).optional(),
			password: z.string().max(8_192).optional(),
			deviceToken: z.string().max(8_192).optional(),
			bootstrapToken: z.string().max(8_192).optional(),
		})
		.loose()
		.optional(),
	locale: z.string().max(100).optional(),
	userAgent: z.string().max(500).optional(),
	device: z.object({}).loose().optional(),
})
export type ConnectParams = z.infer<typeof ConnectParams>

export const res = (id: string, payload: unknown): string =>
	JSON.stringify({ type: 'res', id, ok: true, payload })

export const resError = (id: string, error: ErrorShape): string =>
	JSON.stringify({ type: 'res', id, ok: false, error })

export const eventFrame = (event: string, payload: unknown, seq?: number): string =>
	JSON.stringify(
		seq === undefined ? { type: 'event', event, payload } : { type: 'event', event, payload, seq },
	)
