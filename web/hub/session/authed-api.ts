import { requestJson } from './http.ts';
import type { TokenSource } from './token-source.ts';

export type AuthedFetch = <T>(path: string, init?: RequestInit & { json?: unknown }) => Promise<T>;

/** `requestJson` with this tab's bearer token; a 401 refreshes the token once and retries. */
export function createAuthedFetch(tokens: TokenSource): AuthedFetch {
  const once = async <T>(path: string, init: RequestInit & { json?: unknown }) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${await tokens.getToken()}`);
    return requestJson<T>(path, { ...init, headers });
  };
  return async (path, init = {}) => {
    try {
      return await once(path, init);
    } catch (err) {
      if ((err as { status?: number }).status !== 401) throw err;
      tokens.reset();
      return once(path, init);
    }
  };
}
