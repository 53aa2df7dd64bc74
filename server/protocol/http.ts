import * as v from 'valibot';
import { MeshSchema, PeerIdSchema, RoleSchema } from './common.ts';

/** `POST /api/token` body; the credential travels in the `X-API-Key` header, never the body. */
export const TokenRequestSchema = v.object({ peerId: PeerIdSchema });
export type TokenRequest = v.InferOutput<typeof TokenRequestSchema>;

export const TokenResponseSchema = v.object({
  token: v.string(),
  expiresAt: v.number(),
  peerId: PeerIdSchema,
  role: RoleSchema,
  mesh: MeshSchema,
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

export const HealthResponseSchema = v.object({
  status: v.literal('ok'),
  version: v.string(),
  uptimeSeconds: v.number(),
});
