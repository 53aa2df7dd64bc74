import * as v from 'valibot';
import { PeerIdSchema } from './common.ts';
import { PublicIdentitySchema, SignatureSchema } from './identity.ts';
import { MAX_SEALED_CHARS } from './sealed-relay.ts';

/**
 * The sealed relay's schemas (protocol/sealed-relay.ts, docs/protocol.md "Sealed relay"). Not in
 * the protocol barrel (index.ts): a module it re-exports is part of every bundle that imports the
 * barrel, and the browser library seals only once a message goes through the server relay.
 */

/** Raw (uncompressed, 65-byte) P-256 public key, base64url: 87 chars. */
export const EcdhPublicKeySchema = v.pipe(v.string('must be a string'), v.regex(/^[A-Za-z0-9_-]{87}$/, 'must be a base64url raw P-256 public key (65 bytes)'));

export const SealHelloSchema = v.object({
  v: v.literal(1, 'must be 1'),
  type: v.literal('seal-hello', 'must be "seal-hello"'),
  /** The signer, and the peer it wants to talk to. */
  from: PeerIdSchema,
  to: PeerIdSchema,
  payload: v.object({
    identity: PublicIdentitySchema,
    ecdh: EcdhPublicKeySchema,
    /** True when this hello answers the remote's (so the remote need not answer again). */
    reply: v.boolean('must be a boolean'),
    /** Over `sealHelloText(from, to, ecdh)`. */
    signature: SignatureSchema,
  }),
});
export type SealHello = v.InferOutput<typeof SealHelloSchema>;

export const SealedFrameSchema = v.object({
  v: v.literal(1, 'must be 1'),
  type: v.literal('sealed', 'must be "sealed"'),
  /** The sender's frame counter: AES-GCM nonce and replay check. */
  n: v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'), v.maxValue(2 ** 48, 'must be <= 2^48')),
  /** base64 of the AES-GCM ciphertext + 16-byte tag of one mesh frame. */
  c: v.pipe(v.string('must be a string'), v.maxLength(MAX_SEALED_CHARS, `must be at most ${MAX_SEALED_CHARS} chars`), v.regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64')),
});
export type SealedFrame = v.InferOutput<typeof SealedFrameSchema>;

