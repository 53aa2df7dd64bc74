import { TokenResponseSchema, validate } from '../../server/protocol.ts';
import { MeshError } from './errors.ts';

/**
 * A `getToken` for createMesh: exchanges an API key or device token for a short-lived JWT via
 * `POST /api/token` (the credential in `X-API-Key`, never in a URL). A 401/403 is final
 * (`retryable: false`); network errors and 5xx are retried by the signaling client.
 */
export function apiKeyTokenSource(o: { url: string; key: string; peerId: string; fetch: typeof fetch }): () => Promise<string> {
  const endpoint = `${o.url.replace(/\/+$/, '')}/api/token`;
  return async () => {
    let res: Response;
    try {
      res = await o.fetch(endpoint, {
        method: 'POST',
        headers: { 'x-api-key': o.key, 'content-type': 'application/json' },
        body: JSON.stringify({ peerId: o.peerId }),
      });
    } catch (err) {
      throw new MeshError('token-failed', `POST ${endpoint} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    const body = (await res.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
    if (!res.ok) {
      const final = res.status === 400 || res.status === 401 || res.status === 403;
      const detail = body?.error?.message ?? res.statusText;
      throw new MeshError(final ? 'unauthorized' : 'token-failed', `POST ${endpoint}: ${res.status} ${detail}`, { retryable: !final });
    }
    const parsed = validate(TokenResponseSchema, body);
    if (!parsed.ok) throw new MeshError('token-failed', `POST ${endpoint}: unexpected response (${parsed.message})`);
    return parsed.value.token;
  };
}
