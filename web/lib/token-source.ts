import { tokenProof, type Identity } from '../../server/protocol/identity.ts';
import type { TokenResponse } from '../../server/protocol.ts';
import { ApiError, requestJson } from './http.ts';

export interface TokenSource {
  /** A valid JWT for this tab's peer id, refreshed 30 s before expiry; throws `ApiError`. */
  getToken(): Promise<string>;
  /** The last token response (role, mesh) or undefined before the first exchange. */
  last(): TokenResponse | undefined;
  /** Drops the cached token so the next call exchanges the credential again. */
  reset(): void;
}

const REFRESH_MARGIN_MS = 30_000;

/**
 * Exchanges the stored credential for JWTs: `POST /api/token/nonce`, then `POST /api/token` with
 * the nonce signed by this tab's identity key (proof that it owns its peer id). One exchange at
 * a time. `base` is the server's origin ('' = this page's). `onRejected` fires when the server refuses the credential itself (401/403).
 */
export function createTokenSource(credential: { secret: string }, identity: Identity, onRejected: (err: ApiError) => void, base = ''): TokenSource {
  let current: TokenResponse | undefined;
  let pending: Promise<string> | undefined;
  const headers = { 'x-api-key': credential.secret };
  const exchange = async (): Promise<string> => {
    try {
      const { nonce } = await requestJson<{ nonce: string }>(`${base}/api/token/nonce`, { method: 'POST', headers });
      current = await requestJson<TokenResponse>(`${base}/api/token`, {
        method: 'POST',
        headers,
        json: { peerId: identity.peerId, identity: await tokenProof(identity, nonce) },
      });
      return current.token;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403) && err.code !== 'bad-signature') onRejected(err);
      throw err;
    }
  };
  return {
    getToken() {
      if (current && current.expiresAt - Date.now() > REFRESH_MARGIN_MS) return Promise.resolve(current.token);
      pending ??= exchange().finally(() => (pending = undefined));
      return pending;
    },
    last: () => current,
    reset: () => void (current = undefined),
  };
}
