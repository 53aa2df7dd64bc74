import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { MESH_PATTERN, PEER_ID_PATTERN, type Role, type TokenClaims } from '../../protocol/index.ts';

/** Why a token was refused: `expired` maps to 401/4401 like `invalid`, but clients may refresh. */
export class TokenError extends Error {
  override name = 'TokenError';
  constructor(readonly reason: 'invalid' | 'expired', message: string) {
    super(message);
  }
}

export interface TokenService {
  /** Signs a JWT for `sub`; returns it with its expiry in epoch milliseconds. */
  issue(claims: Omit<TokenClaims, 'exp'>): Promise<{ token: string; expiresAt: number }>;
  /** Verifies signature, expiry and claim shapes; throws `TokenError`. */
  verify(token: string): Promise<TokenClaims>;
}

/** HS256 tokens via jose; `ttlSeconds` default 300; `now` in epoch ms (injectable for tests). */
export function createTokenService(secret: string, ttlSeconds = 300, now: () => number = Date.now): TokenService {
  const key = new TextEncoder().encode(secret);
  return {
    async issue(claims) {
      const exp = Math.floor(now() / 1000) + ttlSeconds;
      const token = await new SignJWT({ role: claims.role, mesh: claims.mesh, cid: claims.cid })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuedAt(Math.floor(now() / 1000))
        .setExpirationTime(exp)
        .sign(key);
      return { token, expiresAt: exp * 1000 };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          currentDate: new Date(now()),
        });
        const { sub, role, mesh, cid, exp } = payload;
        if (
          typeof sub !== 'string' || !PEER_ID_PATTERN.test(sub) ||
          (role !== 'admin' && role !== 'agent') ||
          typeof mesh !== 'string' || !MESH_PATTERN.test(mesh) ||
          typeof cid !== 'string' || typeof exp !== 'number'
        ) {
          throw new TokenError('invalid', 'token claims are malformed');
        }
        return { sub, role: role as Role, mesh, cid, exp };
      } catch (err) {
        if (err instanceof TokenError) throw err;
        if (err instanceof joseErrors.JWTExpired) throw new TokenError('expired', 'token has expired');
        throw new TokenError('invalid', 'token is not valid');
      }
    },
  };
}
