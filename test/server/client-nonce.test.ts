import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientNonce, CLIENT_NONCE_PATTERN, clientNonceTime } from '../../protocol/index.ts';
import { apiKeyTokenSource } from '../../web/mesh/signaling/token-source.ts';
import { AGENT_KEY, createTestApp } from '../helpers/in-process.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { identityFor, tokenRequestFor } from '../helpers/test-identity.ts';

describe('client nonces for POST /api/token', () => {
  it('have the documented shape and carry their clock; server nonces never look like one', async () => {
    const n = clientNonce(1_800_000_000_123);
    expect(n).toMatch(CLIENT_NONCE_PATTERN);
    expect(n).toHaveLength(48);
    expect(clientNonceTime(n)).toBe(1_800_000_000_123);
    expect(clientNonce()).not.toBe(clientNonce());
    const t = await createTestApp();
    const { nonce } = (await t.call('POST', '/api/token/nonce', { headers: { 'x-api-key': AGENT_KEY } })).body as { nonce: string };
    expect(clientNonceTime(nonce)).toBeUndefined();
  });

  it('a client nonce is taken once, and only within 60 s of the server clock', async () => {
    const t = await createTestApp();
    const post = async (body: unknown) => t.call('POST', '/api/token', { headers: { 'x-api-key': AGENT_KEY }, body });
    const fresh = await tokenRequestFor('cn-1', clientNonce(t.clock.now - 30_000));
    expect((await post(fresh)).status).toBe(200);
    const again = await post(fresh);
    expect(again.status).toBe(400);
    expect((again.body as { error: { code: string; message: string } }).error).toEqual({ code: 'bad-nonce', message: 'identity.nonce: unknown, expired or already used' });
    for (const skew of [-61_000, 61_000]) {
      const r = await post(await tokenRequestFor('cn-2', clientNonce(t.clock.now + skew)));
      expect(r.status, String(skew)).toBe(400);
      expect((r.body as { error: { code: string; message: string } }).error).toEqual({
        code: 'nonce-clock', message: 'identity.nonce: a client nonce must carry a time within 60 s of the server clock; use one from POST /api/token/nonce',
      });
    }
    // A clock that is off is not an attack: only the replay counted as a key-proof failure.
    const failures = t.server.metrics.registry.render().split('\n').filter((l) => l.startsWith('tabmesh_identity_failures_total{'));
    expect(failures).toEqual(['tabmesh_identity_failures_total{reason="bad-nonce"} 1']);
    // The replay is refused on any later attempt too, while the nonce's time is still in the window.
    t.clock.advance(20_000);
    expect((await post(fresh)).status).toBe(400);
  });

  it('a client whose clock the server does not share falls back to a server nonce', async () => {
    // The in-process app runs on a clock years ahead of this process's Date.now().
    const t = await createTestApp();
    const paths: string[] = [];
    const fetchVia = (async (url: string, init?: RequestInit) => {
      paths.push(new URL(url).pathname);
      return t.server.app.request(new URL(url).pathname, init);
    }) as typeof fetch;
    const identity = await identityFor('cn-skewed');
    const token = await apiKeyTokenSource({ url: 'http://in-process', key: AGENT_KEY, fetch: fetchVia, identity })();
    expect(token.split('.')).toHaveLength(3);
    expect(paths).toEqual(['/api/token', '/api/token/nonce', '/api/token']);
  });

  describe('against a real server process', () => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await startServer({ env: { TABMESH_API_KEYS: `agent:${AGENT_KEY}` } });
    }, 60_000);
    afterAll(async () => void (await server?.stop()));

    it('a token costs one request when the clocks agree', async () => {
      const paths: string[] = [];
      const counted = ((url: string, init?: RequestInit) => (paths.push(new URL(url).pathname), fetch(url, init))) as typeof fetch;
      const identity = await identityFor('cn-real');
      const token = await apiKeyTokenSource({ url: server.url, key: AGENT_KEY, fetch: counted, identity })();
      expect(token.split('.')).toHaveLength(3);
      expect(paths).toEqual(['/api/token']);
    });
  });
});
