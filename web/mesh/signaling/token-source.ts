import { clientNonce, tokenProof, TokenResponseSchema, validate, type Identity, type TokenResponse } from '../../../protocol/index.ts';
import { MeshError } from '../errors.ts';

/** JWTs from an exchange, under the one caching rule every token source of the mesh follows. */
export interface TokenCache {
  /** A JWT: the cached one while in the first half of its lifetime, else a fresh exchange. */
  getToken(): Promise<string>;
  /** The last token response (role, mesh), undefined before the first exchange. */
  last(): TokenResponse | undefined;
  /** Stops reusing the cached token (the server refused it), so the next call exchanges again. */
  reset(): void;
}

/**
 * The caching rule: a token is reused only in the first half of its lifetime (measured from when
 * its exchange began), so the signaling client's refresh, due when about 80 % of the lifetime is
 * gone, always receives a fresh one; and one exchange at a time, however many callers wait.
 */
export function createTokenCache(exchange: () => Promise<TokenResponse>, now: () => number = Date.now): TokenCache {
  let current: TokenResponse | undefined;
  let reuseUntil = 0;
  let pending: Promise<string> | undefined;
  const refresh = async (): Promise<string> => {
    const startedAt = now();
    const response = await exchange();
    current = response;
    reuseUntil = startedAt + (response.expiresAt - startedAt) / 2;
    return response.token;
  };
  return {
    getToken() {
      if (current && now() < reuseUntil) return Promise.resolve(current.token);
      pending ??= refresh().finally(() => (pending = undefined));
      return pending;
    },
    last: () => current,
    reset: () => void (reuseUntil = 0),
  };
}

/**
 * A `getToken` for createMesh: exchanges an API key or device token for a short-lived JWT via
 * `POST /api/token` (the credential in `X-API-Key`, never in a URL). A 401/403 is final
 * (`retryable: false`); network errors and 5xx are retried by the signaling client. Each exchange
 * signs a fresh nonce from `POST /api/token/nonce` with `identity`: the token is for the id its key
 * stands for (`identity.peerId`), the only kind of id the server issues tokens for. Pass the same
 * identity to createMesh. `peerId`, when given, must be that id (older callers passed a name).
 * Tokens are cached by the rule of `createTokenCache`.
 */
export function apiKeyTokenSource(o: { url: string; key: string; fetch: typeof fetch; identity: Identity; peerId?: string }): () => Promise<string> {
  // Plain-JS callers of the browser library get a rule, not "cannot read properties of undefined".
  if (!o.identity?.peerId || !o.identity.privateKey) {
    throw new MeshError('identity-required', 'apiKeyTokenSource: identity is required (every peer id is derived from a key: pass `(await generateIdentity()).identity`, and the same identity to createMesh)', { retryable: false });
  }
  if (o.peerId !== undefined && o.peerId !== o.identity.peerId) {
    throw new MeshError('identity-mismatch', `apiKeyTokenSource: peerId "${o.peerId}" is not the id of the identity key ("${o.identity.peerId}"); peer ids are derived from keys, leave peerId out`, { retryable: false });
  }
  const endpoint = `${o.url.replace(/\/+$/, '')}/api/token`;
  const headers = { 'x-api-key': o.key, 'content-type': 'application/json' };
  /** `undefined` when the server refused the nonce (400 `nonce-clock`, or `bad-nonce` from an older server): the caller then asks it for one. */
  const post = async (url: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await o.fetch(url, { method: 'POST', headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (err) {
      throw new MeshError('token-failed', `POST ${url} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    const json = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
    if (res.status === 400 && /^(nonce-clock|bad-nonce)$/.test(json?.error?.code ?? '') && body !== undefined) return undefined;
    if (!res.ok) {
      const final = res.status === 400 || res.status === 401 || res.status === 403;
      const detail = json?.error?.message ?? res.statusText;
      throw new MeshError(final ? 'unauthorized' : 'token-failed', `POST ${url}: ${res.status} ${detail}`, { retryable: !final });
    }
    return json;
  };
  const proven = async (nonce: string) => post(endpoint, { peerId: o.identity.peerId, identity: await tokenProof(o.identity, nonce) });
  const cache = createTokenCache(async () => {
    let answer = await proven(clientNonce());
    if (answer === undefined) {
      const nonce = ((await post(`${endpoint}/nonce`)) as { nonce?: unknown } | undefined)?.nonce;
      if (typeof nonce !== 'string') throw new MeshError('token-failed', `POST ${endpoint}/nonce: no nonce in the response`);
      answer = await proven(nonce);
      if (answer === undefined) throw new MeshError('token-failed', `POST ${endpoint}: 400 identity.nonce: the server refused the nonce it had just issued`);
    }
    const parsed = validate(TokenResponseSchema, answer);
    if (!parsed.ok) throw new MeshError('token-failed', `POST ${endpoint}: unexpected response (${parsed.message})`);
    return parsed.value;
  });
  return () => cache.getToken();
}
