import * as v from 'valibot';
import { PeerIdSchema } from './common.ts';
import { PublicIdentitySchema, SignatureSchema } from './identity.ts';

/**
 * The link proof: the first message each end sends on a new DataChannel, before any MeshMessage.
 * It binds the sender's identity key to the DTLS fingerprints of both ends of this connection, so
 * a signaling server that put itself in the middle (two DTLS sessions) or answered with another
 * peer is caught before any application message flows. docs/protocol.md "Link proof".
 */

/** `sha-256 AB:CD:…` as `sdpFingerprint` returns it: hash name, then 16–64 upper-case hex bytes. */
export const DtlsFingerprintSchema = v.pipe(
  v.string('must be a string'),
  v.regex(/^[a-z0-9-]{1,16} [0-9A-F]{2}(?::[0-9A-F]{2}){15,63}$/, 'must be "<hash> AB:CD:…" (a DTLS fingerprint)'),
);

export const LinkProofSchema = v.object({
  v: v.literal(1, 'must be 1'),
  type: v.literal('link-proof', 'must be "link-proof"'),
  /** The signer (this connection's sender). */
  from: PeerIdSchema,
  /** The peer the signer believes it is talking to. */
  to: PeerIdSchema,
  payload: v.object({
    identity: PublicIdentitySchema,
    /** `from`: the signer's own DTLS fingerprint (its local SDP); `to`: the remote one it saw. */
    fingerprints: v.object({ from: DtlsFingerprintSchema, to: DtlsFingerprintSchema }),
    /** base64url signature over `linkProofText` (identity.ts) with the values above. */
    signature: SignatureSchema,
  }),
});
export type LinkProof = v.InferOutput<typeof LinkProofSchema>;

/**
 * Why a peer failed the link proof. `timeout` is the one soft failure (the link is retried);
 * every other reason refuses the peer until it rejoins.
 */
export const IDENTITY_FAILURE_REASONS = [
  'malformed', 'wrong-peer', 'id-mismatch', 'fingerprint-mismatch', 'bad-signature', 'pin-mismatch', 'timeout',
] as const;
export type IdentityFailureReason = (typeof IDENTITY_FAILURE_REASONS)[number];
export const IdentityFailureSchema = v.object({
  peer: PeerIdSchema,
  reason: v.picklist(IDENTITY_FAILURE_REASONS, `must be one of ${IDENTITY_FAILURE_REASONS.join(', ')}`),
});
export type IdentityFailure = v.InferOutput<typeof IdentityFailureSchema>;
