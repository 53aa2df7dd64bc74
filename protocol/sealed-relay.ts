import * as v from 'valibot';
import { PeerIdSchema } from './common.ts';
import { PublicIdentitySchema, SignatureSchema } from './identity.ts';

/**
 * The sealed relay: what two peers put in `relay` frames on the fallback tier, so the server that
 * carries them can neither read nor forge nor replay them (docs/protocol.md "Sealed relay").
 * Each end signs an ephemeral ECDH P-256 key with its identity key (`seal-hello`); both derive one
 * AES-256-GCM key (HKDF-SHA-256) and send every frame of every message as a `sealed` payload.
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

/** Largest sealed frame: a 64 KiB server frame holds at most this much base64. */
export const MAX_SEALED_CHARS = 65_536;

export const SealedFrameSchema = v.object({
  v: v.literal(1, 'must be 1'),
  type: v.literal('sealed', 'must be "sealed"'),
  /** The sender's frame counter: AES-GCM nonce and replay check. */
  n: v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'), v.maxValue(2 ** 48, 'must be <= 2^48')),
  /** base64 of the AES-GCM ciphertext + 16-byte tag of one mesh frame. */
  c: v.pipe(v.string('must be a string'), v.maxLength(MAX_SEALED_CHARS, `must be at most ${MAX_SEALED_CHARS} chars`), v.regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64')),
});
export type SealedFrame = v.InferOutput<typeof SealedFrameSchema>;

/** What a `seal-hello` signs: both ids and the ECDH key, so it cannot be replayed to another peer. */
export const sealHelloText = (from: string, to: string, ecdh: string) => `tabmesh-seal-hello:${from}:${to}:${ecdh}`;
