import { tokenProof, type Identity } from '../../protocol/identity.ts';
import type { TokenResponse } from '../../protocol/index.ts';
import { createTokenCache, type TokenCache } from '../mesh/signaling/token-source.ts';
import { ApiError, requestJson } from '../../protocol/api-client.ts';

/** The hub's tokens, cached by the mesh's one rule (`createTokenCache`); `getToken` throws `ApiError`. */
export type TokenSource = TokenCache;

/**
 * Exchanges the stored credential for JWTs: `POST /api/token/nonce`, then `POST /api/token` with
 * the nonce signed by this tab's identity key (proof that it owns its peer id). `base` is the
 * server's origin ('' = this page's). `onRejected` fires when the server refuses the credential
 * itself (401/403), so the hub can mark it refused and keep its outbox.
 */
export function createTokenSource(credential: { secret: string }, identity: Identity, onRejected: (err: ApiError) => void, base = ''): TokenSource {
  const headers = { 'x-api-key': credential.secret };
  return createTokenCache(async () => {
    try {
      const { nonce } = await requestJson<{ nonce: string }>(`${base}/api/token/nonce`, { method: 'POST', headers });
      return await requestJson<TokenResponse>(`${base}/api/token`, {
        method: 'POST',
        headers,
        json: { peerId: identity.peerId, identity: await tokenProof(identity, nonce) },
      });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403) && err.code !== 'bad-signature') onRejected(err);
      throw err;
    }
  });
}
