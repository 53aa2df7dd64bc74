import { beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, createTestApp, type TestApp } from '../helpers/in-process.ts';

describe('invite list and revocation (GET /api/invites, DELETE /api/invites/:code)', () => {
  let t: TestApp;
  let admin: string;
  beforeEach(async () => {
    t = await createTestApp();
    admin = await t.token('admin-tab', ADMIN_KEY);
  });
  const redeem = (code: string) => t.call('POST', '/api/pairing/redeem', { body: { code, name: 'phone' } });

  it('lists outstanding invites with their URL; a redeemed or expired invite leaves the list', async () => {
    const a = (await t.call('POST', '/api/invites', { token: admin, body: { autoApprove: true, ttlSeconds: 3600 } })).body;
    const b = (await t.call('POST', '/api/invites', { token: admin, body: { ttlSeconds: 60 } })).body;
    // A CLI pairing code is not an invite and is not listed.
    await t.call('POST', '/api/pairing/codes', { token: admin });
    const listed = await t.call('GET', '/api/invites', { token: admin });
    expect(listed.status).toBe(200);
    expect(listed.body.invites.map((i: { code: string }) => i.code).sort()).toEqual([a.code, b.code].sort());
    expect(listed.body.invites.find((i: { code: string }) => i.code === a.code)).toMatchObject({ autoApprove: true, role: 'agent', url: a.url, expiresAt: a.expiresAt });
    expect((await redeem(a.code)).status).toBe(201);
    t.clock.advance(61_000);
    admin = await t.token('admin-tab', ADMIN_KEY);
    expect((await t.call('GET', '/api/invites', { token: admin })).body.invites).toEqual([]);
  });

  it('a revoked invite can no longer be redeemed, and revoking it twice is a 404', async () => {
    const inv = (await t.call('POST', '/api/invites', { token: admin, body: { autoApprove: true } })).body;
    const del = await t.call('DELETE', `/api/invites/${inv.code}`, { token: admin });
    expect(del.status).toBe(200);
    expect(del.body.invite).toMatchObject({ code: inv.code, autoApprove: true });
    const r = await redeem(inv.code);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('invalid-code');
    expect((await t.call('GET', '/api/invites', { token: admin })).body.invites).toEqual([]);
    expect((await t.call('DELETE', `/api/invites/${inv.code}`, { token: admin })).status).toBe(404);
  });

  it('refuses non-admins (403), anonymous callers (401), malformed codes and 6-digit pairing codes (400)', async () => {
    const inv = (await t.call('POST', '/api/invites', { token: admin, body: {} })).body;
    const agent = await t.token('agent-x');
    expect((await t.call('GET', '/api/invites', { token: agent })).status).toBe(403);
    expect((await t.call('DELETE', `/api/invites/${inv.code}`, { token: agent })).status).toBe(403);
    expect((await t.call('GET', '/api/invites')).status).toBe(401);
    expect((await t.call('DELETE', `/api/invites/${inv.code}`)).status).toBe(401);
    const bad = await t.call('DELETE', '/api/invites/nope', { token: admin });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^code: /);
    const { code } = (await t.call('POST', '/api/pairing/codes', { token: admin })).body;
    expect((await t.call('DELETE', `/api/invites/${code}`, { token: admin })).status).toBe(400);
    // The invite the agent tried to delete still works.
    expect((await redeem(inv.code)).status).toBe(201);
  });
});
