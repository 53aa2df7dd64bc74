import { describe, expect, it } from 'vitest';
import { attachFakePeer } from '../helpers/fake-socket.ts';
import { ADMIN_KEY, createTestApp } from '../helpers/in-process.ts';
import { idFor } from '../helpers/test-identity.ts';

describe('GET /api/topology names peers for people', () => {
  it('a paired device carries its name, an API-key peer says so, and agents give the platform; no credential id leaks', async () => {
    const t = await createTestApp();
    const admin = await t.token('admin-tab', ADMIN_KEY);
    const adminPeer = await attachFakePeer(t.server, admin);
    const inv = (await t.call('POST', '/api/invites', { token: admin, body: { autoApprove: true } })).body;
    const r = (await t.call('POST', '/api/pairing/redeem', { body: { code: inv.code, name: 'pi-kitchen' } })).body;
    const got = (await t.call('GET', `/api/pairing/requests/${r.requestId}/status`, { headers: { 'x-pairing-secret': r.secret } })).body;
    const device = await t.token('kitchen-peer', got.deviceToken);
    const devicePeer = await attachFakePeer(t.server, device);
    await t.call('POST', '/api/agents', { token: device, body: { name: 'pi-kitchen', platform: 'node', skills: [{ name: 'echo' }] } });

    const topo = await t.call('GET', '/api/topology', { token: admin });
    expect(topo.status).toBe(200);
    const byId = Object.fromEntries(topo.body.nodes.map((n: { peerId: string }) => [n.peerId, n]));
    expect(byId[idFor('kitchen-peer')]).toMatchObject({ credential: 'device', name: 'pi-kitchen', platform: 'node', agents: ['pi-kitchen'] });
    expect(byId[idFor('admin-tab')]).toMatchObject({ credential: 'api-key', role: 'admin' });
    expect(byId[idFor('admin-tab')].name).toBeUndefined();
    expect(JSON.stringify(topo.body)).not.toMatch(/device-|key-[0-9a-f]{12}/);
    void adminPeer;
    void devicePeer;
  });
});
