import { tokenProof, type Identity, type TokenResponse } from '../../protocol/index.ts';
import { MeshError } from '../../web/mesh/index.ts';
import { ApiError, requestJson } from '../../protocol/api-client.ts';

import { createTokenCache, type TokenCache } from '../../web/mesh/index.ts';

/** The node's tokens: cached by the mesh's one rule (`createTokenCache`). */
export type NodeTokenSource = TokenCache;

/**
 * Exchanges an API key or device token for JWTs at `POST /api/token` for `identity.peerId`; every
 * exchange proves the key behind that (key-derived) id by signing a fresh server nonce.
 * A refused credential (401/403) becomes a non-retryable MeshError so the mesh stops instead of
 * retrying forever; network and server failures stay `ApiError`s (the CLI words them).
 */
export function createNodeTokenSource(opts: { url: string; secret: string; identity: Identity }): NodeTokenSource {
  return createTokenCache(async () => {
    try {
      const headers = { 'x-api-key': opts.secret };
      const { nonce } = await requestJson<{ nonce: string }>(`${opts.url}/api/token/nonce`, { method: 'POST', headers });
      return await requestJson<TokenResponse>(`${opts.url}/api/token`, {
        method: 'POST', headers, json: { peerId: opts.identity.peerId, identity: await tokenProof(opts.identity, nonce) },
      });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        throw new MeshError(err.status === 401 ? 'unauthorized' : 'revoked', `the server refused the credential: ${err.message}`, { retryable: false });
      }
      throw err;
    }
  });
}
