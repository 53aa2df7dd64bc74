import { signHs256, verifyHs256 } from './hs256-jwt.ts';
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

/** HS256 tokens (hs256-jwt.ts); `ttlSeconds` default 300; `now` in epoch ms (injectable for tests). */
export function createTokenService(secret: string, ttlSeconds = 300, now: () => number = Date.now): TokenService {
  const key = new TextEncoder().encode(secret);
  return {
    async issue(claims) {
      const iat = Math.floor(now() / 1000);
      const exp = iat + ttlSeconds;
      const token = signHs256({ role: claims.role, mesh: claims.mesh, cid: claims.cid, sub: claims.sub, iat, exp }, key);
      return { token, expiresAt: exp * 1000 };
    },
    async verify(token) {
      let payload: Record<string, unknown>;
      try {
        payload = verifyHs256(token, key);
      } catch {
        throw new TokenError('invalid', 'token is not valid');
      }
      const { sub, role, mesh, cid, exp, iat, nbf } = payload;
      const t = Math.floor(now() / 1000);
      // As jose checks them: iat and nbf must be numbers if present, nbf not in the future.
      if ((iat !== undefined && typeof iat !== 'number') || (nbf !== undefined && (typeof nbf !== 'number' || nbf > t))) {
        throw new TokenError('invalid', 'token is not valid');
      }
      if (
        typeof sub !== 'string' || !PEER_ID_PATTERN.test(sub) ||
        (role !== 'admin' && role !== 'agent') ||
        typeof mesh !== 'string' || !MESH_PATTERN.test(mesh) ||
        typeof cid !== 'string' || typeof exp !== 'number'
      ) {
        throw new TokenError('invalid', 'token claims are malformed');
      }
      if (exp <= t) throw new TokenError('expired', 'token has expired');
      return { sub, role: role as Role, mesh, cid, exp };
    },
  };
}
