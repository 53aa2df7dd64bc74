import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, getToken, startServer, type ServerProcess } from '../helpers/server-process.ts';
import { startNodePeer, type NodePeer } from '../node-peer/helpers/tabmesh-cli.ts';
import { startMcp, toolText as text, type McpSession } from './mcp-client.ts';

// tabmesh mcp joined with a device token: once an admin revokes the device, its tools stop
// working (the server refuses the credential on every route the MCP path uses).
const ADMIN_KEY = 'admin-key-for-mcp-revocation-1';
const AGENT_KEY = 'agent-key-for-mcp-revocation-1';

let server: ServerProcess;
let alpha: NodePeer;
let mcp: McpSession | undefined;

beforeAll(async () => {
  server = await startServer({ env: { TABMESH_API_KEYS: `admin:${ADMIN_KEY},agent:${AGENT_KEY}` } });
  alpha = await startNodePeer({ url: server.url, key: AGENT_KEY, name: 'alpha', args: ['--skills', 'echo'] });
}, 60_000);
afterAll(async () => {
  await mcp?.close();
  await alpha?.stop();
  await server?.stop();
});

describe('tabmesh mcp with a device token', () => {
  it('serves tools until the device is revoked, then refuses calls naming the revocation', async () => {
    const admin = await getToken(server.url, ADMIN_KEY, 'admin-tab');
    const { code } = (await api(server, 'POST', '/api/pairing/codes', { token: admin })).body as { code: string };
    const redeemed = (await api(server, 'POST', '/api/pairing/redeem', { body: { code, name: 'mcp-laptop' } })).body as { requestId: string; secret: string };
    expect((await api(server, 'POST', `/api/pairing/requests/${redeemed.requestId}/approve`, { token: admin })).status).toBe(200);
    const { deviceToken, deviceId } = (await api(server, 'GET', `/api/pairing/requests/${redeemed.requestId}/status`, { headers: { 'x-pairing-secret': redeemed.secret } })).body as { deviceToken: string; deviceId: string };

    mcp = await startMcp(['--url', server.url, '--token', deviceToken, '--bind-address', '127.0.0.1', '--timeout', '10']);
    const before = await mcp.client.callTool({ name: 'echo', arguments: { n: 1 } });
    expect(before.isError, text(before)).toBeFalsy();
    expect(before.structuredContent).toEqual({ n: 1 });

    expect((await api(server, 'DELETE', `/api/devices/${deviceId}`, { token: admin })).status).toBe(200);
    const after = await mcp.client.callTool({ name: 'echo', arguments: { n: 2 } });
    expect(after.isError).toBe(true);
    expect(text(after)).toMatch(/revoked/);
    expect(mcp.stderr()).not.toContain(deviceToken);
  });
});
