import { generateIdentity } from '../../protocol/index.ts';
import { apiKeyTokenSource } from '../../web/mesh/signaling/token-source.ts';

/** A JWT for a fresh key-derived peer id (`k…`), with proof of possession, via the real routes
 * (`fetchFn` may be an in-process app's `request`). */
export async function keyedToken(url: string, key: string, fetchFn: typeof fetch = fetch): Promise<{ token: string; peerId: string }> {
  const { identity } = await generateIdentity();
  const token = await apiKeyTokenSource({ url, key, peerId: identity.peerId, fetch: fetchFn, identity })();
  return { token, peerId: identity.peerId };
}
