// Signed checkpoints of an audit chain: "tenant T's chain had head (seq, hash) at ts", signed
// with the deployment's Ed25519 checkpoint key. An operator keeps exported checkpoints and checks
// them later against the public key with any Ed25519 tool (scripts/audit-verify-checkpoint.mjs):
// a chain rewritten after a checkpoint no longer has that hash at that seq. Pure.

import { canonicalJson } from './audit'
import type { AuditKey } from './audit-key'
import { encodeBase64url } from './bytes'

export const CHECKPOINT_TYPE = 'edgeclaw.audit.checkpoint'

export interface Checkpoint {
	type: typeof CHECKPOINT_TYPE
	tenant: string
	seq: number
	/** The hash of row `seq`. */
	hash: string
	/** When it was signed, ms since the epoch. */
	ts: number
	/** The id of the audit key that signed it (the `kid` of its public JWK). */
	kid: string
	/** base64url Ed25519 signature over `checkpointMessage`. */
	signature: string
}

/** The signed bytes: the canonical JSON (keys sorted, no spaces) of every member but the signature. */
export function checkpointMessage(c: Omit<Checkpoint, 'signature'>): string {
	const { type, tenant, seq, hash, ts, kid } = c
	return canonicalJson({ type, tenant, seq, hash, ts, kid })
}

const encoder = new TextEncoder()

export async function signCheckpoint(
	key: AuditKey,
	head: { tenant: string; seq: number; hash: string },
	now: number,
): Promise<Checkpoint> {
	const body = { type: CHECKPOINT_TYPE, ...head, ts: now, kid: key.id } as const
	const signature = await crypto.subtle.sign(
		'Ed25519',
		key.signing,
		encoder.encode(checkpointMessage(body)),
	)
	return { ...body, signature: encodeBase64url(signature) }
}
