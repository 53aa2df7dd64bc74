import { describe, expect, it } from 'vitest';
import { AGENT_KEY, createTestApp } from '../helpers/in-process.ts';

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
});
