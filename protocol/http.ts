import * as v from 'valibot';
import { IceServerSchema, MeshSchema, PeerIdSchema, RoleSchema } from './common.ts';
import { KEY_PEER_ID_PATTERN, PublicIdentitySchema, SignatureSchema } from './identity.ts';

/** Proof that the caller holds the key its (key-derived) peer id stands for. */
export const IdentityProofSchema = v.object({
  publicKey: PublicIdentitySchema,
  /** From `POST /api/token/nonce` (single use, 60 s), or made by the client (`clientNonce`, protocol/token-nonce.ts). */
  nonce: v.pipe(v.string('must be a string'), v.regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be a nonce from /api/token/nonce')),
  /** base64url signature over `tabmesh-token-proof:<nonce>:<peerId>`. */
  signature: SignatureSchema,
});

/** A peer id a token can be issued for: only ids derived from a key, never a chosen name. */
export const KeyPeerIdSchema = v.pipe(
  v.string('must be a string'),
  v.regex(KEY_PEER_ID_PATTERN, 'must be a key-derived peer id ("k" + 32 hex: SHA-256 of identity.publicKey); names like "pi-kitchen" are display names, not peer ids'),
);

/**
 * `POST /api/token` body; the credential travels in the `X-API-Key` header, never the body.
 * Every peer id is key-derived and proven by `identity` (docs/protocol.md "Changes"); a missing
 * `identity` is refused by the route itself (`identity-required`, an identity failure it counts).
 */
export const TokenRequestSchema = v.object({ peerId: KeyPeerIdSchema, identity: v.optional(IdentityProofSchema) });
export type TokenRequest = v.InferOutput<typeof TokenRequestSchema>;

export const TokenResponseSchema = v.object({
  token: v.string(),
  expiresAt: v.number(),
  peerId: PeerIdSchema,
  role: RoleSchema,
  mesh: MeshSchema,
  /** True when the peer proved it holds the key behind its id: always, since every token needs the proof (kept for older clients). */
  verified: v.boolean(),
});
export type TokenResponse = v.InferOutput<typeof TokenResponseSchema>;

/** Claims carried by every tabmesh JWT. */
export interface TokenClaims {
  sub: string;
  role: v.InferOutput<typeof RoleSchema>;
  mesh: string;
  /** Credential id (API key id or device id); revoking it kicks sessions that used it. */
  cid: string;
  /** Expiry, epoch seconds. */
  exp: number;
}

/** `GET /api/config`: the caller's ICE servers (TURN credentials minted for its peer id) and limits. */
export const ClientConfigResponseSchema = v.object({
  iceServers: v.array(IceServerSchema),
  limits: v.object({ maxFrameBytes: v.number(), ratePerSec: v.number(), maxPeersPerMesh: v.number() }),
});
export type ClientConfigResponse = v.InferOutput<typeof ClientConfigResponseSchema>;

export const HealthResponseSchema = v.object({
  status: v.literal('ok'),
  version: v.string(),
  uptimeSeconds: v.number(),
});
