import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, getToken, startServer, type ServerProcess } from '../helpers/server-process.ts';
import { joinWith } from '../helpers/ws-client.ts';
import { idFor } from '../helpers/test-identity.ts';

describe('pairing end to end against a real server process', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ env: { TURN_URLS: 'turn:127.0.0.1:3478', TURN_SECRET: 'shared-turn-secret' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('code → pair → pending → approve → device token → JWT → WebSocket; revoke → socket closed', async () => {
    const admin = await getToken(server.url, server.adminKey!, 'admin-1');
    const { code } = (await api(server, 'POST', '/api/pairing/codes', { token: admin })).body;
    const redeemed = (await api(server, 'POST', '/api/pairing/redeem', { body: { code, name: 'pi-kitchen' } })).body;
    expect(redeemed.status).toBe('pending');
    const waiting = api(server, 'GET', `/api/pairing/requests/${redeemed.requestId}/status?wait=20`, { headers: { 'x-pairing-secret': redeemed.secret } });
    const pending = (await api(server, 'GET', '/api/pairing/requests', { token: admin })).body.requests;
    expect(pending.map((r: { id: string }) => r.id)).toContain(redeemed.requestId);
    await api(server, 'POST', `/api/pairing/requests/${redeemed.requestId}/approve`, { token: admin });
    const { deviceToken, deviceId } = (await waiting).body;
    expect(deviceToken).toMatch(/^tmd_/);

    // "pi-kitchen" is the device's display name; its peer id is the one its key stands for.
    const jwt = await getToken(server.url, deviceToken, 'pi-kitchen');
    const device = await joinWith(server.wsUrl, jwt);
    // ICE config carries TURN REST credentials for this peer, never a static password.
    const ice = device.welcome.iceServers as Array<{ urls: string[]; username?: string }>;
    expect(ice[0]!.username).toMatch(new RegExp(`^\\d+:${idFor('pi-kitchen')}$`));

    device.send({ type: 'link-report', payload: { links: [{ peer: idFor('admin-1'), state: 'open', tier: 'direct', rttMs: 1.5 }] } });
    const watcher = await joinWith(server.wsUrl, admin);
    const topo = async () => (await api(server, 'GET', '/api/topology', { token: admin })).body;
    // The report is stored asynchronously; the watcher's join proves the server processed earlier frames.
    // An edge names its ends in id order.
    const [a, b] = [idFor('admin-1'), idFor('pi-kitchen')].sort();
    expect((await topo()).edges).toEqual([expect.objectContaining({ a, b, tier: 'direct', rttMs: 1.5, reportedBy: idFor('pi-kitchen') })]);

    await api(server, 'DELETE', `/api/devices/${deviceId}`, { token: admin });
    // The bound: the device's socket is closed within 1 s of the revocation.
    const closed = await Promise.race([device.closed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('socket still open 1 s after revoke')), 1000))]);
    expect(closed.code).toBe(4403);
    expect((await watcher.next('peer-left')).peerId).toBe(idFor('pi-kitchen'));
    watcher.close();
  });
});
