import type { CredentialVerifier } from '../auth/credentials.ts';
import type { TokenService } from '../auth/tokens.ts';
import { HttpError } from '../http/http-error.ts';
import type { A2ACaller } from './a2a-gateway.ts';

export interface A2AAuthDeps {
  tokens: TokenService;
  verifyCredential: CredentialVerifier;
  isRevoked(cid: string): Promise<boolean>;
}

const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Whether an `Authorization` header carries an API key or device token rather than a JWT: those
 * are counted by the unknown-key throttle when refused, as on /api/token.
 */
export function presentsBearerKey(header: string | undefined): boolean {
  const value = header === undefined ? undefined : BEARER.exec(header)?.[1];
  return value !== undefined && !JWT.test(value);
}

/**
 * The caller behind an `Authorization: Bearer …` header: a tabmesh JWT (as on /api), or, since
 * A2A clients are configured with one static secret, an API key or device token itself. A secret
 * used directly submits tasks as `a2a-<credential id>`. Undefined when no header was sent.
 */
export async function a2aCaller(deps: A2AAuthDeps, header: string | undefined): Promise<A2ACaller | undefined> {
  if (header === undefined) return undefined;
  const value = BEARER.exec(header)?.[1];
  if (!value) throw new HttpError(401, 'unauthorized', 'Authorization must be "Bearer <token, API key or device token>"');
  if (JWT.test(value)) {
    const claims = await deps.tokens.verify(value).catch(() => {
      throw new HttpError(401, 'unauthorized', 'bearer token is not valid (expired or not issued here)');
    });
    if (await deps.isRevoked(claims.cid)) throw new HttpError(403, 'revoked', 'credential has been revoked');
    return { mesh: claims.mesh, sub: claims.sub, role: claims.role };
  }
  const cred = await deps.verifyCredential(value);
  if (!cred) throw new HttpError(401, 'unauthorized', 'unknown bearer token, API key or device token');
  if (await deps.isRevoked(cred.cid)) throw new HttpError(403, 'revoked', 'credential has been revoked');
  return { mesh: cred.mesh, sub: `a2a-${cred.cid.replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 64), role: cred.role };
}
