import { beforeEach, describe, expect, it } from 'vitest';
import { attachFakePeer } from '../helpers/fake-socket.ts';
import { ADMIN_KEY, createTestApp, type TestApp } from '../helpers/in-process.ts';

describe('pairing, invites, approval and revocation', () => {
  let t: TestApp;
  let admin: string;
  beforeEach(async () => {
    t = await createTestApp();
    admin = await t.token('admin-tab', ADMIN_KEY);
  });

  const redeem = (code: string, name = 'phone') => t.call('POST', '/api/pairing/redeem', { body: { code, name } });
  const poll = (id: string, secret: string, wait = 0) =>
    t.call('GET', `/api/pairing/requests/${id}/status?wait=${wait}`, { headers: { 'x-pairing-secret': secret } });

  it('code → pending → approve → device token (once) → JWT; revoke kicks the socket and refuses the token', async () => {
    const created = await t.call('POST', '/api/pairing/codes', { token: admin });
    expect(created.status).toBe(201);
    expect(created.body.code).toMatch(/^\d{6}$/);
    const r = await redeem(created.body.code);
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('pending');
    expect((await poll(r.body.requestId, r.body.secret)).body).toEqual({ status: 'pending' });
    expect((await poll(r.body.requestId, 'wrong-secret')).status).toBe(404);
    const queue = await t.call('GET', '/api/pairing/requests', { token: admin });
    expect(queue.body.requests[0]).toMatchObject({ id: r.body.requestId, status: 'pending', name: 'phone' });
    expect(JSON.stringify(queue.body)).not.toContain('secret');
    // A long poll is woken by the approval, not by its timeout.
    const waiting = poll(r.body.requestId, r.body.secret, 30);
    expect((await t.call('POST', `/api/pairing/requests/${r.body.requestId}/approve`, { token: admin })).body.request.status).toBe('approved');
    const got = (await waiting).body;
    expect(got.status).toBe('approved');
    expect(got.deviceToken).toMatch(/^tmd_/);
    // Shown once.
    expect((await poll(r.body.requestId, r.body.secret)).body).toEqual({ status: 'delivered' });
    const jwt = await t.token('phone-1', got.deviceToken);
    const peer = await attachFakePeer(t.server, jwt);
    const devices = await t.call('GET', '/api/devices', { token: admin });
    expect(devices.body.devices[0]).toMatchObject({ id: got.deviceId, name: 'phone', role: 'agent' });
    expect(JSON.stringify(devices.body)).not.toContain('tokenHash');
    await t.call('DELETE', `/api/devices/${got.deviceId}`, { token: admin });
    expect(peer.closed?.code).toBe(4403);
    // The holder of a revoked device token is told so (403 revoked), not "unknown" (401).
    const refused = await t.call('POST', '/api/token', { body: { peerId: 'phone-1' }, headers: { 'x-api-key': got.deviceToken } });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'revoked']);
    // A token that only shares the device id is still unknown.
    const forged = await t.call('POST', '/api/token', { body: { peerId: 'phone-1' }, headers: { 'x-api-key': got.deviceToken.slice(0, -4) + 'AAAA' } });
    expect(forged.status).toBe(401);
    expect((await t.call('GET', '/api/whoami', { token: jwt })).status).toBe(403);
  });

  it('codes are single use, expire after 5 minutes, and rejection is final', async () => {
    const { code } = (await t.call('POST', '/api/pairing/codes', { token: admin })).body;
    const first = await redeem(code);
    expect(first.status).toBe(201);
    expect((await redeem(code)).status).toBe(404);
    const late = (await t.call('POST', '/api/pairing/codes', { token: admin })).body.code;
    t.clock.advance(300_001);
    expect((await redeem(late)).body.error.code).toBe('invalid-code');
    admin = await t.token('admin-tab', ADMIN_KEY);
    await t.call('POST', `/api/pairing/requests/${first.body.requestId}/reject`, { token: admin });
    expect((await poll(first.body.requestId, first.body.secret)).body).toEqual({ status: 'rejected' });
    expect((await t.call('POST', `/api/pairing/requests/${first.body.requestId}/approve`, { token: admin })).status).toBe(409);
  });

  it('limits attempts per IP to 5 a minute (429), and validates the body', async () => {
    expect((await t.call('POST', '/api/pairing/redeem', { body: { code: '12', name: 'x' } })).body.error.message).toMatch(/^code: /);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await redeem(String(100000 + i))).status);
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
    t.clock.advance(60_001);
    expect((await redeem('123456')).status).toBe(404);
  });

  it('an autoApprove invite joins with one scan; the URL carries the code in the fragment', async () => {
    const inv = await t.call('POST', '/api/invites', { token: admin, body: { autoApprove: true } });
    expect(inv.status).toBe(201);
    expect(inv.body.url).toMatch(/\/#invite=[A-Z2-7]{12}$/);
    const r = await redeem(inv.body.code, 'scanner');
    expect(r.body.status).toBe('approved');
    expect((await poll(r.body.requestId, r.body.secret)).body.deviceToken).toMatch(/^tmd_/);
    expect((await redeem(inv.body.code)).status).toBe(404);
    const agent = await t.token('agent-x');
    expect((await t.call('POST', '/api/invites', { token: agent, body: {} })).status).toBe(403);
    expect((await t.call('POST', '/api/invites', { body: {} })).status).toBe(401);
  });
});
