import { beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, createTestApp, type TestApp } from '../helpers/in-process.ts';

describe('pairing code list and revocation (GET /api/pairing/codes, DELETE /api/pairing/codes/:code)', () => {
  let t: TestApp;
  let admin: string;
  beforeEach(async () => {
    t = await createTestApp();
    admin = await t.token('admin-tab', ADMIN_KEY);
  });
  const redeem = (code: string) => t.call('POST', '/api/pairing/redeem', { body: { code, name: 'pi' } });
  const newCode = async () => (await t.call('POST', '/api/pairing/codes', { token: admin })).body as { code: string; expiresAt: number };

  it('lists outstanding codes (not invites), newest first; a redeemed or expired code leaves the list', async () => {
    const a = await newCode();
    t.clock.advance(1000);
    const b = await newCode();
    // An invite is not a pairing code and is listed under /api/invites only.
    await t.call('POST', '/api/invites', { token: admin, body: {} });
    const listed = await t.call('GET', '/api/pairing/codes', { token: admin });
    expect(listed.status).toBe(200);
    expect(listed.body.codes).toEqual([
      { code: b.code, role: 'agent', createdAt: b.expiresAt - 300_000, expiresAt: b.expiresAt },
      { code: a.code, role: 'agent', createdAt: a.expiresAt - 300_000, expiresAt: a.expiresAt },
    ]);
    expect((await redeem(a.code)).status).toBe(201);
    expect((await t.call('GET', '/api/pairing/codes', { token: admin })).body.codes.map((c: { code: string }) => c.code)).toEqual([b.code]);
    t.clock.advance(300_000);
    admin = await t.token('admin-tab', ADMIN_KEY);
    expect((await t.call('GET', '/api/pairing/codes', { token: admin })).body.codes).toEqual([]);
  });

  it('a revoked code can no longer be redeemed, and revoking it twice is a 404', async () => {
    const { code } = await newCode();
    const del = await t.call('DELETE', `/api/pairing/codes/${code}`, { token: admin });
    expect(del.status).toBe(200);
    expect(del.body.pairingCode).toMatchObject({ code, role: 'agent' });
    const r = await redeem(code);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('invalid-code');
    expect((await t.call('GET', '/api/pairing/codes', { token: admin })).body.codes).toEqual([]);
    const again = await t.call('DELETE', `/api/pairing/codes/${code}`, { token: admin });
    expect([again.status, again.body.error.code]).toEqual([404, 'not-found']);
  });

  it('refuses non-admins (403), anonymous callers (401), malformed codes and invite codes (400)', async () => {
    const { code } = await newCode();
    const agent = await t.token('agent-x');
    expect((await t.call('GET', '/api/pairing/codes', { token: agent })).status).toBe(403);
    expect((await t.call('DELETE', `/api/pairing/codes/${code}`, { token: agent })).status).toBe(403);
    expect((await t.call('GET', '/api/pairing/codes')).status).toBe(401);
    expect((await t.call('DELETE', `/api/pairing/codes/${code}`)).status).toBe(401);
    const bad = await t.call('DELETE', '/api/pairing/codes/12345', { token: admin });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe('code: must be a 6-digit pairing code');
    const inv = (await t.call('POST', '/api/invites', { token: admin, body: {} })).body;
    expect((await t.call('DELETE', `/api/pairing/codes/${inv.code}`, { token: admin })).status).toBe(400);
    // Neither the refused calls nor the malformed ones touched the code or the invite.
    expect((await redeem(code)).status).toBe(201);
    expect((await redeem(inv.code)).status).toBe(201);
  });
});
