import { keyedToken } from '../helpers/keyed-token.ts';
import { createHmac } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createTokenService } from '../../server/auth/tokens.ts';
import { requireAuth, type AuthEnv } from '../../server/http/auth-middleware.ts';
import { HttpError } from '../../server/http/http-error.ts';
import { ADMIN_KEY, AGENT_KEY, createTestApp } from '../helpers/in-process.ts';
import { attachFakePeer } from '../helpers/fake-socket.ts';
import { idFor } from '../helpers/test-identity.ts';

const MESH_B_KEY = 'agent-key-mesh-b-0123456789';

describe('bearer auth on /api routes', () => {
  it('answers 401 without a bearer token, with a malformed header, a forged and an expired token', async () => {
    const t = await createTestApp();
    const good = await t.token('p1');
    const forged = (await createTokenService('another-secret-of-at-least-32-chars!!').issue({ sub: 'p1', role: 'admin', mesh: 'default', cid: 'x' })).token;
    const headers: Array<[string, Record<string, string>]> = [
      ['none', {}],
      ['no scheme', { authorization: good }],
      ['basic', { authorization: `Basic ${good}` }],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['garbage', { authorization: 'Bearer not-a-jwt' }],
      ['forged', { authorization: `Bearer ${forged}` }],
      ['api key instead of token', { 'x-api-key': AGENT_KEY }],
    ];
    for (const path of ['/api/whoami', '/api/peers', '/api/config']) {
      for (const [name, h] of headers) {
        const r = await t.call('GET', path, { headers: h });
        expect(r.status, `${path} ${name}`).toBe(401);
        expect(r.body.error.code).toBe('unauthorized');
      }
    }
    t.clock.advance(301_000);
    const expired = await t.call('GET', '/api/whoami', { token: good });
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toBe('token has expired');
  });

  it('accepts the scheme name in any case', async () => {
    const t = await createTestApp();
    const token = await t.token('p1');
    expect((await t.call('GET', '/api/whoami', { headers: { authorization: `bearer ${token}` } })).status).toBe(200);
  });

  it('answers 403 naming the required role when the role is wrong', async () => {
    const t = await createTestApp();
    const app = new Hono<AuthEnv>();
    app.onError((err, c) => (err instanceof HttpError ? c.json(err.body(), err.status) : c.text('bug', 500)));
    const tokens = createTokenService('test-secret-0123456789abcdef-0123456789', 300, () => t.clock.now);
    app.get('/admin-only', requireAuth(tokens, async () => false, ['admin']), (c) => c.json(c.var.auth));
    const agent = await app.request('/admin-only', { headers: { authorization: `Bearer ${await t.token('p1')}` } });
    expect(agent.status).toBe(403);
    expect(await agent.json()).toEqual({ error: { code: 'forbidden', message: 'requires role admin; token has agent' } });
    const admin = await app.request('/admin-only', { headers: { authorization: `Bearer ${await t.token('p2', ADMIN_KEY)}` } });
    expect(admin.status).toBe(200);
  });

  it('answers 403 for a revoked credential', async () => {
    const t = await createTestApp();
    const app = new Hono<AuthEnv>();
    app.onError((err, c) => (err instanceof HttpError ? c.json(err.body(), err.status) : c.text('bug', 500)));
    const tokens = createTokenService('test-secret-0123456789abcdef-0123456789', 300, () => t.clock.now);
    app.get('/x', requireAuth(tokens, async () => true), (c) => c.text('no'));
    const res = await app.request('/x', { headers: { authorization: `Bearer ${await t.token('p1')}` } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('revoked');
  });
});

describe('GET /api/whoami, /api/peers, /api/config', () => {
  it('/api/whoami returns the verified claims', async () => {
    const t = await createTestApp();
    const r = await t.call('GET', '/api/whoami', { token: await t.token('laptop') });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ sub: idFor('laptop'), role: 'agent', mesh: 'default', exp: Math.floor(t.clock.now / 1000) + 300 });
    expect(r.body.cid).toMatch(/^key-/);
  });

  it('/api/peers lists the live peers of the caller\'s mesh only', async () => {
    const t = await createTestApp({ TABMESH_API_KEYS: `admin:${ADMIN_KEY},agent:${AGENT_KEY},agent:${MESH_B_KEY}:b` });
    await attachFakePeer(t.server, await t.token('a1'));
    await attachFakePeer(t.server, await t.token('a2', ADMIN_KEY));
    await attachFakePeer(t.server, await t.token('b1', MESH_B_KEY));
    const inDefault = await t.call('GET', '/api/peers', { token: await t.token('observer') });
    expect(inDefault.body.peers.map((p: { peerId: string }) => p.peerId).sort()).toEqual([idFor('a1'), idFor('a2')].sort());
    expect(inDefault.body.peers.find((p: { peerId: string }) => p.peerId === idFor('a2'))).toEqual({ peerId: idFor('a2'), role: 'admin', joinedAt: t.clock.now });
    const inB = await t.call('GET', '/api/peers', { token: await t.token('observer-b', MESH_B_KEY) });
    expect(inB.body).toEqual({ peers: [{ peerId: idFor('b1'), role: 'agent', joinedAt: t.clock.now }], total: 1 });
  });

  it('/api/peers pages the membership in peer-id order (limit, after), naming a bad query field', async () => {
    const t = await createTestApp({ TABMESH_API_KEYS: `admin:${ADMIN_KEY},agent:${AGENT_KEY}` });
    const viaApp = ((input: string, init?: RequestInit) => t.server.app.request(input, init)) as typeof fetch;
    const keyed = await Promise.all(Array.from({ length: 5 }, () => keyedToken('http://in-process', AGENT_KEY, viaApp)));
    const ids = keyed.map((k) => k.peerId);
    for (const k of keyed) await attachFakePeer(t.server, k.token);
    const token = keyed[0]!.token;
    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const r = await t.call('GET', `/api/peers?limit=2${after ? `&after=${after}` : ''}`, { token });
      expect(r.status).toBe(200);
      expect(r.body.total).toBe(5);
      expect(r.body.peers.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.peers.map((p: { peerId: string }) => p.peerId));
      after = r.body.next;
      if (!after) break;
    }
    expect(seen).toEqual([...ids].sort());
    for (const [query, message] of [['limit=0', 'limit: must be an integer from 1 to 1000'], ['limit=1001', 'limit: must be an integer from 1 to 1000'], ['limit=x', 'limit: must be an integer from 1 to 1000']]) {
      const r = await t.call('GET', `/api/peers?${query}`, { token });
      expect(r).toMatchObject({ status: 400, body: { error: { code: 'invalid-query', message } } });
    }
  });

  it('/api/config has no ICE servers by default (never a public STUN server) and the limits', async () => {
    const t = await createTestApp({ TABMESH_MAX_FRAME_BYTES: '4096', TABMESH_RATE_LIMIT_PER_SEC: '7', TABMESH_MAX_PEERS_PER_MESH: '9' });
    const r = await t.call('GET', '/api/config', { token: await t.token('p1') });
    expect(r).toEqual({ status: 200, body: { iceServers: [], limits: { maxFrameBytes: 4096, ratePerSec: 7, maxPeersPerMesh: 9, relayBytesPerSec: 33_554_432 } } });
  });

  it('/api/config hands out TURN REST credentials: username expiry:peerId, base64 HMAC-SHA1 credential', async () => {
    const secret = 'turn-shared-secret';
    const t = await createTestApp({
      STUN_URLS: 'stun:127.0.0.1:3478',
      TURN_URLS: 'turn:127.0.0.1:3478?transport=udp,turns:turn.example:5349',
      TURN_SECRET: secret,
      TURN_CREDENTIAL_TTL_SECONDS: '600',
    });
    const r = await t.call('GET', '/api/config', { token: await t.token('pi-1') });
    const expiry = Math.floor(t.clock.now / 1000) + 600;
    const username = `${expiry}:${idFor('pi-1')}`;
    expect(r.body.iceServers).toEqual([
      { urls: ['stun:127.0.0.1:3478'] },
      {
        urls: ['turn:127.0.0.1:3478?transport=udp', 'turns:turn.example:5349'],
        username,
        credential: createHmac('sha1', secret).update(username).digest('base64'),
      },
    ]);
    // Each peer gets its own username, so a leaked credential names its peer.
    const other = await t.call('GET', '/api/config', { token: await t.token('pi-2') });
    expect(other.body.iceServers[1].username).toBe(`${expiry}:${idFor('pi-2')}`);
  });
});

describe('CORS', () => {
  const preflight = (origin: string) => ({
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
  });

  it('sends no CORS headers at all when no origins are configured', async () => {
    const t = await createTestApp();
    for (const [path, init] of [['/api/token', preflight('https://evil.example')], ['/api/whoami', { headers: { origin: 'https://evil.example' } }]] as const) {
      const res = await t.server.app.request(path, init);
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
    }
  });

  it('allows only the listed origins, never a wildcard', async () => {
    const t = await createTestApp({ TABMESH_CORS_ORIGINS: 'https://hub.example,http://localhost:5173' });
    const ok = await t.server.app.request('/api/token', preflight('https://hub.example'));
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://hub.example');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-api-key');
    // A page on a listed origin can pair by invite with the browser library (docs/browser-library.md).
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-pairing-secret');
    const dev = await t.server.app.request('/api/whoami', { headers: { origin: 'http://localhost:5173' } });
    expect(dev.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(dev.headers.get('vary')).toContain('Origin');
    for (const origin of ['https://evil.example', 'https://hub.example.evil.example', 'null', '*']) {
      const res = await t.server.app.request('/api/token', preflight(origin));
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });
});
