import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { createTabmeshServer } from '../../server/create-server.ts';
import { createLogger } from '../../server/ops/logger.ts';
import { createMemoryStore } from '../../server/store/memory-store.ts';
import { ADMIN_KEY, AGENT_KEY, createTestApp } from '../helpers/in-process.ts';
import { parsePrometheus, sampleValue } from './support/prometheus.ts';
import { idFor } from '../helpers/test-identity.ts';

describe('GET /health and /ready', () => {
  it('/health answers 200 with status, version and uptime, without a token', async () => {
    const t = await createTestApp();
    t.clock.advance(12_500);
    const r = await t.call('GET', '/health');
    expect(r).toEqual({ status: 200, body: { status: 'ok', version: '0.1.0', uptimeSeconds: 12 } });
  });

  it('/ready is 503 while starting and draining, 200 when ready', async () => {
    const t = await createTestApp();
    t.server.setReadiness('starting');
    expect(await t.call('GET', '/ready')).toEqual({ status: 503, body: { status: 'starting' } });
    t.server.setReadiness('ready');
    expect(await t.call('GET', '/ready')).toEqual({ status: 200, body: { status: 'ready' } });
    t.server.setReadiness('draining');
    expect(await t.call('GET', '/ready')).toEqual({ status: 503, body: { status: 'draining' } });
  });

  it('/ready is 503 while the store is unreachable', async () => {
    const config = loadConfig({ TABMESH_API_KEYS: `admin:${ADMIN_KEY}`, LOG_LEVEL: 'error' });
    const server = await createTabmeshServer({
      config, secrets: { apiKeys: config.apiKeys, jwtSecret: 'x'.repeat(32) }, logger: createLogger('error'),
      store: { ...createMemoryStore(), healthy: async () => false }, sweepIntervalMs: 0,
    });
    server.setReadiness('ready');
    const res = await server.app.request('/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'store-unavailable' });
    await server.shutdown();
  });
});

describe('shutdown', () => {
  it('keeps the store until the listener has drained: a late request still sees the registry', async () => {
    const t = await createTestApp();
    const a = await t.token('peer-a');
    const agent = { name: 'echoer', platform: 'node', skills: [{ name: 'echo', description: 'echoes' }] };
    expect((await t.call('POST', '/api/agents', { token: a, body: agent })).status).toBe(201);
    let drain!: () => void;
    const drained = new Promise<void>((resolve) => (drain = resolve));
    t.server.setReadiness('draining');
    const done = t.server.shutdown(drained);
    // A request the listener accepted before it closed: the memory store would answer "no agents".
    const late = await t.call('GET', '/api/agents', { token: a });
    expect(late.body.agents.map((x: { id: string }) => x.id)).toEqual([`${idFor('peer-a')}:echoer`]);
    drain();
    await done;
  });
});

describe('GET /metrics', () => {
  it('refuses without credentials (401), with an agent JWT or agent key (403) and an unknown key (401)', async () => {
    const t = await createTestApp();
    const agentJwt = await t.token('agent-1');
    const cases: Array<[Record<string, string>, number, string]> = [
      [{}, 401, 'unauthorized'],
      [{ authorization: 'Bearer not.a.jwt' }, 401, 'unauthorized'],
      [{ authorization: `Bearer ${agentJwt}` }, 403, 'forbidden'],
      [{ 'x-api-key': AGENT_KEY }, 403, 'forbidden'],
      [{ 'x-api-key': 'no-such-key-0123456789' }, 401, 'unauthorized'],
    ];
    for (const [headers, status, code] of cases) {
      const res = await t.server.app.request('/metrics', { headers });
      expect(res.status, JSON.stringify(headers)).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
  });

  it('serves Prometheus text to an admin JWT and to an admin X-API-Key', async () => {
    const t = await createTestApp();
    const adminJwt = await t.token('admin-1', ADMIN_KEY);
    const ways: Array<Record<string, string>> = [{ authorization: `Bearer ${adminJwt}` }, { 'x-api-key': ADMIN_KEY }];
    for (const headers of ways) {
      const res = await t.server.app.request('/metrics', { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const { types } = parsePrometheus(await res.text());
      expect(Object.fromEntries(types)).toMatchObject({
        tabmesh_ws_connections: 'gauge',
        tabmesh_peers: 'gauge',
        tabmesh_frames_relayed_total: 'counter',
        tabmesh_rejections_total: 'counter',
        tabmesh_http_requests_total: 'counter',
        tabmesh_http_request_duration_seconds: 'histogram',
        tabmesh_frame_handle_seconds: 'histogram',
      });
    }
  });

  it('answers an admin JWT itself: the hub fallback behind it never runs (it would read index.html per scrape)', async () => {
    const fallbackPaths: string[] = [];
    const t = await createTestApp({}, { serveHub: async (c, next) => { fallbackPaths.push(c.req.path); await next(); } });
    const res = await t.server.app.request('/metrics', { headers: { authorization: `Bearer ${await t.token('admin-1', ADMIN_KEY)}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('tabmesh_frames_relayed_total');
    await t.server.app.request('/no-such-page');
    expect(fallbackPaths).toEqual(['/no-such-page']);
  });

  it('counts requests by route pattern and status, and refusals by reason', async () => {
    const t = await createTestApp();
    await t.call('GET', '/health');
    await t.server.app.request('/metrics');
    await t.call('GET', '/api/whoami');
    const res = await t.server.app.request('/metrics', { headers: { 'x-api-key': ADMIN_KEY } });
    const { samples } = parsePrometheus(await res.text());
    expect(sampleValue(samples, 'tabmesh_http_requests_total', { route: '/health', method: 'GET', status: '200' })).toBe(1);
    expect(sampleValue(samples, 'tabmesh_http_requests_total', { route: '/api/whoami', method: 'GET', status: '401' })).toBe(1);
    expect(sampleValue(samples, 'tabmesh_http_requests_total', { route: '/metrics', status: '401' })).toBe(1);
    expect(sampleValue(samples, 'tabmesh_rejections_total', { reason: 'http-401' })).toBe(2);
    expect(sampleValue(samples, 'tabmesh_http_request_duration_seconds_count', { route: '/health' })).toBe(1);
    const buckets = samples.filter((s) => s.name === 'tabmesh_http_request_duration_seconds_bucket' && s.labels.route === '/health');
    expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: 1 });
  });
});
