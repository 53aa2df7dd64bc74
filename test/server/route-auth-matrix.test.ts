import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenService } from '../../server/auth/tokens.ts';
import { toBase64Url } from '../../protocol/base64.ts';
import { ADMIN_KEY, AGENT_KEY, createTestApp, type TestApp } from '../helpers/in-process.ts';
import { keyedToken } from '../helpers/keyed-token.ts';

/**
 * Who may call each route. The test enumerates the Hono app's own route table and fails on any
 * route missing here (or listed here but gone), so a new route cannot ship without a decision.
 * - public: no credential needed (liveness, pairing redemption);
 * - bearer / admin: `Authorization: Bearer <jwt>`, any role / the admin role;
 * - key: an API key or device token in `X-API-Key`;
 * - metrics: an admin JWT or an admin `X-API-Key`;
 * - pairing-secret: the `X-Pairing-Secret` of the request;
 * - a2a: `Authorization: Bearer <jwt, API key or device token>` (A2A clients hold one static secret);
 * - not-found: the /api catch-all.
 * The mesh's A2A card is public (it lists skills only for a valid bearer).
 */
const EXPECTED: Record<string, 'public' | 'bearer' | 'admin' | 'key' | 'metrics' | 'pairing-secret' | 'a2a' | 'not-found'> = {
  'GET /health': 'public',
  'GET /ready': 'public',
  'GET /metrics': 'metrics',
  'POST /api/token/nonce': 'key',
  'POST /api/token': 'key',
  'GET /api/whoami': 'bearer',
  'GET /api/peers': 'bearer',
  'GET /api/config': 'bearer',
  'POST /api/agents': 'bearer',
  'GET /api/agents': 'bearer',
  'GET /api/agents/:id': 'bearer',
  'DELETE /api/agents/:id': 'bearer',
  'POST /api/heartbeat': 'bearer',
  'GET /api/route': 'bearer',
  'GET /api/topology': 'bearer',
  'POST /api/tasks': 'bearer',
  'GET /api/tasks': 'bearer',
  'GET /api/tasks/:id': 'bearer',
  'PATCH /api/tasks/:id': 'bearer',
  'POST /api/pairing/codes': 'admin',
  'GET /api/pairing/codes': 'admin',
  'DELETE /api/pairing/codes/:code': 'admin',
  'POST /api/invites': 'admin',
  'GET /api/invites': 'admin',
  'DELETE /api/invites/:code': 'admin',
  'POST /api/pairing/redeem': 'public',
  'GET /api/pairing/requests/:id/status': 'pairing-secret',
  'GET /api/pairing/requests': 'admin',
  'POST /api/pairing/requests/:id/approve': 'admin',
  'POST /api/pairing/requests/:id/reject': 'admin',
  'GET /api/devices': 'admin',
  'DELETE /api/devices/:id': 'admin',
  'ALL /api/*': 'not-found',
  'GET /.well-known/agent-card.json': 'public',
  'POST /a2a': 'a2a',
  'GET /a2a/agents/:id/.well-known/agent-card.json': 'a2a',
  'POST /a2a/agents/:id': 'a2a',
};

const SECRET = 'test-secret-0123456789abcdef-0123456789'; // test/helpers/in-process.ts signs with this
const b64json = (v: unknown) => toBase64Url(new TextEncoder().encode(JSON.stringify(v)));

/** The app's routes as `METHOD path`, without the `use()` middleware entries (method ALL, path /*). */
function routeTable(t: TestApp): string[] {
  const seen = new Set<string>();
  for (const r of t.server.app.routes) {
    // Middleware registered with use() shows up as ALL on its path with a `next` parameter.
    if (r.method === 'ALL' && r.handler.length >= 2) continue;
    seen.add(`${r.method} ${r.path}`);
  }
  return [...seen];
}

describe('route × credential matrix, generated from the route table', () => {
  let t: TestApp;
  const bad: Record<string, Record<string, string>> = {};
  let agent = '';
  let admin = '';
  beforeAll(async () => {
    t = await createTestApp();
    const viaApp = ((input: string, init?: RequestInit) => t.server.app.request(input, init)) as typeof fetch;
    const claims = { sub: 'k' + '0'.repeat(32), role: 'admin' as const, mesh: 'default', cid: 'key-admin' };
    const expired = (await createTokenService(SECRET, 5, () => t.clock.now).issue(claims)).token;
    t.clock.advance(6_000);
    admin = (await keyedToken('http://in-process', ADMIN_KEY, viaApp)).token;
    agent = (await keyedToken('http://in-process', AGENT_KEY, viaApp)).token;
    const now = Math.floor(t.clock.now / 1000);
    Object.assign(bad, {
      missing: {},
      malformed: { authorization: 'Bearer not a token' },
      'wrong-scheme': { authorization: `Basic ${btoa('admin:secret')}` },
      expired: { authorization: `Bearer ${expired}` },
      'foreign-secret': { authorization: `Bearer ${(await createTokenService('another-secret-0123456789abcdef-012345', 300, () => t.clock.now).issue(claims)).token}` },
      'alg-none': { authorization: `Bearer ${b64json({ alg: 'none', typ: 'JWT' })}.${b64json({ ...claims, iat: now, exp: now + 300 })}.` },
      'tampered-role': { authorization: `Bearer ${agent.split('.')[0]}.${b64json({ ...JSON.parse(atob(agent.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))), role: 'admin' })}.${agent.split('.')[2]}` },
    });
  });

  const call = (route: string, headers: Record<string, string>) => {
    const [method, path] = route.split(' ') as [string, string];
    const url = path.replace(/:id/g, 'some-id').replace('*', 'no-such-route');
    const body = method === 'POST' || method === 'PATCH' ? '{}' : undefined;
    return t.server.app.request(url, { method: method === 'ALL' ? 'GET' : method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body });
  };

  it('every route of the app is in the expected-auth table, and every table entry is a route', () => {
    const routes = routeTable(t);
    expect(routes.filter((r) => !(r in EXPECTED)), 'routes without an auth decision in EXPECTED').toEqual([]);
    expect(Object.keys(EXPECTED).filter((r) => !routes.includes(r)), 'EXPECTED entries that are no route').toEqual([]);
  });

  it('bearer routes refuse missing, malformed, expired, foreign-secret, alg:none and tampered tokens with 401; admin routes refuse agents with 403', async () => {
    for (const route of Object.keys(EXPECTED).filter((r) => ['bearer', 'admin', 'metrics', 'a2a'].includes(EXPECTED[r]!))) {
      for (const [what, headers] of Object.entries(bad)) {
        const res = await call(route, headers);
        expect(res.status, `${route} with ${what}`).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code, `${route} with ${what}`).toBe('unauthorized');
      }
      const asAgent = await call(route, { authorization: `Bearer ${agent}` });
      if (EXPECTED[route] === 'bearer' || EXPECTED[route] === 'a2a') expect([401, 403], `${route} as agent`).not.toContain(asAgent.status);
      else expect([asAgent.status, ((await asAgent.json()) as { error: { code: string } }).error.code], `${route} as agent`).toEqual([403, 'forbidden']);
      const asAdmin = await call(route, { authorization: `Bearer ${admin}` });
      expect([401, 403], `${route} as admin`).not.toContain(asAdmin.status);
    }
  });

  it('key routes refuse a missing, malformed or unknown key with 401; /metrics refuses an agent key with 403', async () => {
    for (const route of Object.keys(EXPECTED).filter((r) => ['key', 'metrics'].includes(EXPECTED[r]!))) {
      for (const key of ['!!', 'tma_unknown-key-0123456789abcdef', `${AGENT_KEY}x`]) {
        const res = await call(route, { 'x-api-key': key });
        expect(res.status, `${route} with key ${key}`).toBe(401);
      }
      if (EXPECTED[route] === 'key') expect((await call(route, {})).status, `${route} without a key`).toBe(401);
    }
    expect((await call('GET /metrics', { 'x-api-key': AGENT_KEY })).status).toBe(403);
    expect((await call('GET /metrics', { 'x-api-key': ADMIN_KEY })).status).toBe(200);
  });

  it('A2A routes take an API key as the bearer value and refuse an unknown one with 401', async () => {
    for (const route of Object.keys(EXPECTED).filter((r) => EXPECTED[r] === 'a2a')) {
      expect((await call(route, { authorization: 'Bearer tma_unknown-key-0123456789abcdef' })).status, `${route} with an unknown key`).toBe(401);
      expect([401, 403], `${route} with an agent key`).not.toContain((await call(route, { authorization: `Bearer ${AGENT_KEY}` })).status);
    }
  });

  it('public routes need nothing; the pairing status needs its secret; unknown /api routes are a JSON 404', async () => {
    for (const route of Object.keys(EXPECTED).filter((r) => EXPECTED[r] === 'public')) {
      expect([401, 403], route).not.toContain((await call(route, {})).status);
    }
    const status = 'GET /api/pairing/requests/:id/status';
    expect((await call(status, {})).status).toBe(401);
    expect((await call(status, { 'x-pairing-secret': 'guess' })).status).toBe(404);
    const unknown = await call('ALL /api/*', { authorization: `Bearer ${admin}` });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not-found');
  });
});
