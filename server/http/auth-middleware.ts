import type { MiddlewareHandler } from 'hono';
import { TokenError, type TokenService } from '../auth/tokens.ts';
import type { Role, TokenClaims } from '../../protocol/index.ts';
import { HttpError } from './http-error.ts';

export type AuthEnv = { Variables: { auth: TokenClaims } };

/** Requires `Authorization: Bearer <jwt>` (401 otherwise) and, if given, one of `roles` (403). */
export function requireAuth(
  tokens: TokenService,
  isRevoked: (cid: string) => Promise<boolean>,
  roles?: Role[],
): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header);
    if (!match) throw new HttpError(401, 'unauthorized', 'missing Authorization: Bearer <token> header');
    let claims: TokenClaims;
    try {
      claims = await tokens.verify(match[1]!);
    } catch (err) {
      throw new HttpError(401, 'unauthorized', err instanceof TokenError ? err.message : 'token is not valid');
    }
    if (await isRevoked(claims.cid)) throw new HttpError(403, 'revoked', 'credential has been revoked');
    if (roles && !roles.includes(claims.role)) {
      throw new HttpError(403, 'forbidden', `requires role ${roles.join(' or ')}; token has ${claims.role}`);
    }
    c.set('auth', claims);
    await next();
  };
}
