import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, AGENT_KEY, createTestApp, type TestApp } from '../helpers/in-process.ts';

const preflight = (origin: string) => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,a2a-version' },
});

describe('A2A routes in-process', () => {
  it('allow browser A2A clients only from TABMESH_CORS_ORIGINS, and none by default', async () => {
    const closed = await createTestApp();
    for (const path of ['/a2a', '/.well-known/agent-card.json', '/a2a/agents/p:a']) {
      expect((await closed.server.app.request(path, preflight('https://hub.example'))).headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const open = await createTestApp({ TABMESH_CORS_ORIGINS: 'https://hub.example' });
    for (const path of ['/a2a', '/.well-known/agent-card.json', '/a2a/agents/p:a']) {
      const ok = await open.server.app.request(path, preflight('https://hub.example'));
      expect(ok.headers.get('access-control-allow-origin'), path).toBe('https://hub.example');
      expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('a2a-version');
      expect((await open.server.app.request(path, preflight('https://evil.example'))).headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('answer a per-agent card for an unknown agent with 404 and a queue refusal with a JSON-RPC error keeping its code', async () => {
    const t = await createTestApp();
    const auth = { authorization: `Bearer ${AGENT_KEY}` };
    expect((await t.call('GET', '/a2a/agents/nobody%3Aghost/.well-known/agent-card.json', { headers: auth })).status).toBe(404);
    const big = 'x'.repeat(300 * 1024);
    const res = await t.call('POST', '/a2a', { headers: auth, body: { jsonrpc: '2.0', id: 7, method: 'SendMessage', params: { message: { messageId: 'm', parts: [{ data: { skill: 'echo', input: big } }] } } } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ jsonrpc: '2.0', id: 7, error: { code: -32602, message: 'input must be at most 262144 bytes of JSON', data: { code: 'input-too-large' } } });
  });

  it('honour revocation: a revoked device token and a JWT it got are refused with 403 revoked on every A2A route', async () => {
    const t = await createTestApp();
    const { deviceToken, deviceId, admin } = await pairDevice(t);
    const jwt = await t.token('a2a-phone', deviceToken);
    const card = (bearer: string) => t.call('GET', '/.well-known/agent-card.json', { headers: { authorization: `Bearer ${bearer}` } });
    const rpc = (bearer: string, path = '/a2a') => t.call('POST', path, { headers: { authorization: `Bearer ${bearer}` }, body: { jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'none' } } });
    for (const bearer of [deviceToken, jwt]) {
      expect((await card(bearer)).status).toBe(200);
      expect((await rpc(bearer)).status).toBe(200);
    }
    expect((await t.call('DELETE', `/api/devices/${deviceId}`, { token: admin })).status).toBe(200);
    for (const bearer of [deviceToken, jwt]) {
      for (const res of [await card(bearer), await rpc(bearer), await rpc(bearer, '/a2a/agents/p%3Aa'), await t.call('GET', '/a2a/agents/p%3Aa/.well-known/agent-card.json', { headers: { authorization: `Bearer ${bearer}` } })]) {
        expect([res.status, res.body?.error?.code]).toEqual([403, 'revoked']);
      }
    }
  });
});

/** Pairs a device through the real routes: code, redeem, approve, collect its device token. */
async function pairDevice(t: TestApp): Promise<{ deviceToken: string; deviceId: string; admin: string }> {
  const admin = await t.token('admin-tab', ADMIN_KEY);
  const { code } = (await t.call('POST', '/api/pairing/codes', { token: admin })).body;
  const r = (await t.call('POST', '/api/pairing/redeem', { body: { code, name: 'phone' } })).body;
  await t.call('POST', `/api/pairing/requests/${r.requestId}/approve`, { token: admin });
  const got = (await t.call('GET', `/api/pairing/requests/${r.requestId}/status`, { headers: { 'x-pairing-secret': r.secret } })).body;
  return { deviceToken: got.deviceToken, deviceId: got.deviceId, admin };
}
