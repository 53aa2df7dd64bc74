import { requestJson } from '../../protocol/api-client.ts';
import type { TokenSource } from './token-source.ts';

export type AuthedFetch = <T>(path: string, init?: RequestInit & { json?: unknown }) => Promise<T>;

/**
 * `requestJson` with this tab's bearer token; a 401 refreshes the token once and retries.
 * `tokens` needs only `getToken` (a page's own token callback fits); `base` prefixes every path.
 */
export function createAuthedFetch(tokens: Pick<TokenSource, 'getToken'> & Partial<Pick<TokenSource, 'reset'>>, base = ''): AuthedFetch {
  const once = async <T>(path: string, init: RequestInit & { json?: unknown }) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${await tokens.getToken()}`);
    return requestJson<T>(base + path, { ...init, headers });
  };
  return async (path, init = {}) => {
    try {
      return await once(path, init);
    } catch (err) {
      if ((err as { status?: number }).status !== 401) throw err;
      tokens.reset?.();
      return once(path, init);
    }
  };
}
