import { describe, expect, it } from 'vitest';
import { api, startServer, type Runtime, type ServerProcess } from '../helpers/server-process.ts';
import { provenToken } from './proven-token.ts';

/** Code → redeem (pending); returns what the device holds. */
async function redeem(server: ServerProcess, admin: string, name: string) {
  const { code } = (await api(server, 'POST', '/api/pairing/codes', { token: admin })).body as { code: string };
  const r = await api(server, 'POST', '/api/pairing/redeem', { body: { code, name } });
  expect(r.status).toBe(201);
  return r.body as { requestId: string; secret: string };
}

async function collect(server: ServerProcess, req: { requestId: string; secret: string }) {
  const r = await api(server, 'GET', `/api/pairing/requests/${req.requestId}/status`, { headers: { 'x-pairing-secret': req.secret } });
  return r.body as { status: string; deviceToken?: string; deviceId?: string };
}

async function pair(server: ServerProcess, admin: string, name: string) {
  const req = await redeem(server, admin, name);
  expect((await api(server, 'POST', `/api/pairing/requests/${req.requestId}/approve`, { token: admin })).status).toBe(200);
  const got = await collect(server, req);
  return { deviceToken: got.deviceToken!, deviceId: got.deviceId! };
}

const whoami = (server: ServerProcess, token: string) => api(server, 'GET', '/api/whoami', { token });

describe.each<Runtime>(['node', 'deno'])('kill -9 and start again on the same data dir (%s entry, zero config)', (runtime) => {
  it('devices, revocations, pending pairing requests and tasks are all still there', async () => {
    const first = await startServer({ runtime });
    const adminKey = first.adminKey!;
    const admin = (await provenToken(first.url, adminKey)).token;
    const kept = await pair(first, admin, 'kept');
    const revoked = await pair(first, admin, 'revoked');
    const revokedJwt = (await provenToken(first.url, revoked.deviceToken)).token;
    expect((await whoami(first, revokedJwt)).status).toBe(200);
    expect((await api(first, 'DELETE', `/api/devices/${revoked.deviceId}`, { token: admin })).status).toBe(200);
    expect((await whoami(first, revokedJwt)).status).toBe(403);
    const pending = await redeem(first, admin, 'waiting');
    const task = (await api(first, 'POST', '/api/tasks', { token: admin, body: { skill: 'nobody-has-it', requestId: 'before-crash', ttlSeconds: 3600 } })).body.task as { id: string; state: string };
    expect(task.state).toBe('pending');

    expect(await first.stop('SIGKILL')).toBe(null);
    const second = await startServer({ runtime, dataDir: first.dataDir });
    try {
      // Same admin key, no new one printed.
      expect(second.stdout.join('\n')).not.toContain('First start');
      const admin2 = (await provenToken(second.url, adminKey)).token;
      const devices = (await api(second, 'GET', '/api/devices', { token: admin2 })).body.devices as Array<{ id: string; name: string; revokedAt?: number }>;
      expect(devices.map((d) => d.name).sort()).toEqual(['kept', 'revoked']);
      expect(devices.find((d) => d.name === 'revoked')!.revokedAt).toBeGreaterThan(0);
      // The kept device's token still works; the revoked one's JWT and device token stay refused.
      expect((await whoami(second, (await provenToken(second.url, kept.deviceToken)).token)).status).toBe(200);
      expect((await whoami(second, revokedJwt)).status).toBe(403);
      await expect(provenToken(second.url, revoked.deviceToken)).rejects.toThrow(/40[13]/);
      // The admin can still revoke a device it knew before the crash.
      expect((await api(second, 'DELETE', `/api/devices/${kept.deviceId}`, { token: admin2 })).status).toBe(200);
      // The pending request can still be approved, and the device collects its token.
      expect((await api(second, 'POST', `/api/pairing/requests/${pending.requestId}/approve`, { token: admin2 })).status).toBe(200);
      expect(await collect(second, pending)).toMatchObject({ status: 'approved', deviceToken: expect.stringMatching(/^tmd_/) });
      expect((await api(second, 'GET', `/api/tasks/${task.id}`, { token: admin2 })).body.task).toMatchObject({ id: task.id, state: 'pending' });
    } finally {
      await second.stop();
    }
  });
});
