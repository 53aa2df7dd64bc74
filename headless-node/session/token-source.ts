import { tokenProof, type Identity, type TokenResponse } from '../../server/protocol.ts';
import { MeshError } from '../../web/mesh/errors.ts';
import { ApiError, requestJson } from '../../web/hub/session/http.ts';

export interface NodeTokenSource {
  /** A JWT for `peerId`, exchanged again once half its lifetime is gone; one exchange at a time. */
  getToken(): Promise<string>;
  /** The last token response (role, mesh), undefined before the first exchange. */
  last(): TokenResponse | undefined;
}

/**
 * Exchanges an API key or device token for JWTs at `POST /api/token` for `identity.peerId`; every
 * exchange proves the key behind that (key-derived) id by signing a fresh server nonce.
 * A refused credential (401/403) becomes a non-retryable MeshError so the mesh stops instead of
 * retrying forever.
 */
export function createNodeTokenSource(opts: { url: string; secret: string; identity: Identity }): NodeTokenSource {
  let current: TokenResponse | undefined;
  // Reusing a token only in its first half of life means the signaling client's own early
  // refresh (shortly before expiry) always receives a fresh one.
  let reuseUntil = 0;
  let pending: Promise<string> | undefined;
  const exchange = async (): Promise<string> => {
    try {
      const issuedAt = Date.now();
      const headers = { 'x-api-key': opts.secret };
      const { nonce } = await requestJson<{ nonce: string }>(`${opts.url}/api/token/nonce`, { method: 'POST', headers });
      current = await requestJson<TokenResponse>(`${opts.url}/api/token`, {
        method: 'POST', headers, json: { peerId: opts.identity.peerId, identity: await tokenProof(opts.identity, nonce) },
      });
      reuseUntil = issuedAt + (current.expiresAt - issuedAt) / 2;
      return current.token;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        throw new MeshError(err.status === 401 ? 'unauthorized' : 'revoked', `the server refused the credential: ${err.message}`, { retryable: false });
      }
      throw err;
    }
  };
  return {
    getToken() {
      if (current && Date.now() < reuseUntil) return Promise.resolve(current.token);
      pending ??= exchange().finally(() => (pending = undefined));
      return pending;
    },
    last: () => current,
  };
}
