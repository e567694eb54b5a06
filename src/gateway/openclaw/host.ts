// What an OpenClaw connection stands on: the host that holds its socket, storage and clock (the
// GatewayConnection Durable Object, or a fake in tests), and the phases it remembers there.
import type { Logger } from '../../observability/logger'
import type { Principal } from '../context'
import type { Scope } from './scopes'

/** The connection's own storage (synchronous key-value, as a Durable Object's `storage.kv`). */
export interface KeyValue {
	get<T = unknown>(key: string): T | undefined
	put<T>(key: string, value: T): void
	delete(key: string): boolean
	list<T = unknown>(options?: { prefix?: string }): Iterable<[string, T]>
}

export interface ConnectionHost {
	env: Env
	/** This connection's id (the Durable Object id lanes relay to). */
	connId: string
	/** Sends one text frame; false when the socket is gone. */
	send(text: string): boolean
	close(code: number, reason: string): void
	kv: KeyValue
	setAlarm(at: number): void
	deleteAll(): Promise<void>
	now(): number
	logger: Logger
	waitUntil(promise: Promise<unknown>): void
}

export interface OpenMeta {
	ip?: string
	tenant: string
	requestId: string
	/** The upgrade request's trace id: the handshake's audit rows carry it. */
	traceId?: string
}

/** Before `connect` has succeeded (`connecting` while its credential is checked). */
export interface Challenged {
	phase: 'challenged' | 'connecting'
	nonce: string
	ts: number
	openedAt: number
	meta: OpenMeta
}

export interface Connected {
	phase: 'connected'
	principal: Principal
	scopes: Scope[]
	client: { id: string; version?: string; platform?: string; mode?: string }
	/** The verified device this connection presented (its id and its row's id). */
	device?: { id: string; rowId: string }
	connectedAt: number
	meta: OpenMeta
}

/** Stored under `state` in the host's storage. */
export type State = Challenged | Connected
