import { webcrypto } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairDevice, savedCredential } from '../../headless-node/session/device-pairing.ts';
import { openDataDir } from '../../headless-node/session/data-dir.ts';
import { loadNodeIdentity } from '../../headless-node/session/node-identity.ts';
import { createNodeTokenSource } from '../../headless-node/session/token-source.ts';
import { createControlPlaneClient } from '../../headless-node/session/control-plane-client.ts';
import { getToken, startServer, type ServerProcess } from '../helpers/server-process.ts';
import { identityFor, idFor } from '../helpers/test-identity.ts';

let server: ServerProcess;
let admin: string;
beforeAll(async () => {
  server = await startServer();
  admin = await getToken(server.url, server.adminKey!, 'test-admin');
});
afterAll(() => server.stop());

const adminApi = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
  const res = await fetch(`${server.url}/api${path}`, { ...init, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' } });
  expect(res.ok, `${path}: ${res.status}`).toBe(true);
  return (await res.json()) as T;
};
const pendingRequest = async (name: string) =>
  (await adminApi<{ requests: Array<{ id: string; name: string; status: string }> }>('/pairing/requests')).requests.find((r) => r.name === name && r.status === 'pending');
const mode = (path: string) => statSync(path).mode & 0o777;

describe('node session: identity, pairing, tokens, control plane', () => {
  it('keeps one identity per data dir, stored privately', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tabmesh-node-')), 'pi');
    const first = await loadNodeIdentity(openDataDir(path));
    expect(first.peerId).toMatch(/^k[0-9a-f]{32}$/);
    expect(mode(path)).toBe(0o700);
    expect(mode(join(path, 'identity.json'))).toBe(0o600);
    expect((await loadNodeIdentity(openDataDir(path))).peerId).toBe(first.peerId);
    const other = await loadNodeIdentity(openDataDir(`${path}-2`));
    expect(other.peerId).not.toBe(first.peerId);
  });

  it('pairs with a code, waits for approval, and saves a device token that works', async () => {
    const dir = openDataDir(mkdtempSync(join(tmpdir(), 'tabmesh-node-')));
    const { code } = await adminApi<{ code: string }>('/pairing/codes', { method: 'POST', body: '{}' });
    const lines: string[] = [];
    const pairing = pairDevice({ url: server.url, code, name: 'pi-kitchen', dir, signal: new AbortController().signal, log: (l) => lines.push(l) });
    // The admin sees the pending request (the device is long-polling meanwhile) and approves it.
    await expect.poll(() => pendingRequest('pi-kitchen')).toBeTruthy();
    await adminApi(`/pairing/requests/${(await pendingRequest('pi-kitchen'))!.id}/approve`, { method: 'POST', body: '{}' });
    const saved = await pairing;
    expect(saved.deviceToken).toMatch(/^tmd_/);
    expect(lines[0]).toMatch(/approve it in the hub/);
    expect(savedCredential(dir, server.url)).toEqual(saved);
    expect(savedCredential(dir, 'http://elsewhere')).toBeUndefined();
    expect(mode(join(dir.path, 'credential.json'))).toBe(0o600);

    const identity = await loadNodeIdentity(dir);
    const tokens = createNodeTokenSource({ url: server.url, secret: saved.deviceToken, identity });
    const jwt = await tokens.getToken();
    expect(await tokens.getToken()).toBe(jwt);
    expect(tokens.last()).toMatchObject({ peerId: identity.peerId, role: 'agent', mesh: 'default' });
  });

  it('keeps a device paired before key-derived ids working: same device token, the key\'s id, no new pairing', async () => {
    // A data dir as older versions left it: a saved device token and identity.json with a `node-…` id.
    const dir = openDataDir(mkdtempSync(join(tmpdir(), 'tabmesh-node-')));
    const { code } = await adminApi<{ code: string }>('/pairing/codes', { method: 'POST', body: '{}' });
    const pairing = pairDevice({ url: server.url, code, name: 'pi-old', dir, signal: new AbortController().signal, log: () => undefined });
    await expect.poll(() => pendingRequest('pi-old')).toBeTruthy();
    await adminApi(`/pairing/requests/${(await pendingRequest('pi-old'))!.id}/approve`, { method: 'POST', body: '{}' });
    const saved = await pairing;
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const legacyId = 'node-abcdefghijklmnop';
    writeFileSync(join(dir.path, 'identity.json'), JSON.stringify({
      peerId: legacyId, publicKey: await webcrypto.subtle.exportKey('jwk', keys.publicKey),
      privateKey: await webcrypto.subtle.exportKey('jwk', keys.privateKey), createdAt: '2026-01-01T00:00:00.000Z',
    }), { mode: 0o600 });

    // The old name is no identity any more: the server refuses a token for it, naming the rule.
    const byName = await fetch(`${server.url}/api/token`, {
      method: 'POST', headers: { 'x-api-key': saved.deviceToken, 'content-type': 'application/json' }, body: JSON.stringify({ peerId: legacyId }),
    });
    expect(byName.status).toBe(400);
    expect(((await byName.json()) as { error: { message: string } }).error.message).toMatch(/^peerId: must be a key-derived peer id/);
    // What `tabmesh node` does on start: the same key moves to its own id, and the same device token works.
    const identity = await loadNodeIdentity(dir);
    expect(identity.peerId).toMatch(/^k[0-9a-f]{32}$/);
    expect(savedCredential(dir, server.url)?.deviceToken).toBe(saved.deviceToken);
    const tokens = createNodeTokenSource({ url: server.url, secret: saved.deviceToken, identity });
    await tokens.getToken();
    expect(tokens.last()).toMatchObject({ peerId: identity.peerId, role: 'agent', verified: true });
  });

  it('reports a rejected pairing and a refused code clearly', async () => {
    const dir = openDataDir(mkdtempSync(join(tmpdir(), 'tabmesh-node-')));
    const bad = await pairDevice({ url: server.url, code: '000000', name: 'x', dir, signal: new AbortController().signal, log: () => undefined }).catch((e: Error) => e);
    expect((bad as Error).message).toBe('pairing code refused: this code is unknown, expired or already used');
    const { code } = await adminApi<{ code: string }>('/pairing/codes', { method: 'POST', body: '{}' });
    const pairing = pairDevice({ url: server.url, code, name: 'to-reject', dir, signal: new AbortController().signal, log: () => undefined }).catch((e: Error) => e);
    await expect.poll(() => pendingRequest('to-reject')).toBeTruthy();
    await adminApi(`/pairing/requests/${(await pendingRequest('to-reject'))!.id}/reject`, { method: 'POST', body: '{}' });
    expect(((await pairing) as Error).message).toBe('an admin rejected this pairing request; ask for a new pairing code');
  });

  it('turns a refused credential into a non-retryable error', async () => {
    const tokens = createNodeTokenSource({ url: server.url, secret: 'not-a-real-key-123', identity: await identityFor('node-x') });
    const err = (await tokens.getToken().catch((e: unknown) => e)) as { code: string; retryable: boolean; message: string };
    expect([err.code, err.retryable]).toEqual(['unauthorized', false]);
    expect(err.message).toMatch(/^the server refused the credential/);
  });

  it('registers an agent and routes a skill to it', async () => {
    const tokens = createNodeTokenSource({ url: server.url, secret: server.adminKey!, identity: await identityFor('node-cp-test') });
    const cp = createControlPlaneClient(server.url, () => tokens.getToken());
    expect(await cp.route('word-count')).toBeUndefined();
    const agent = await cp.registerAgent({ name: 'cp', platform: 'node', capabilities: [], skills: [{ name: 'word-count', description: 'd' }] });
    expect(agent.id).toBe(`${idFor('node-cp-test')}:cp`);
    expect((await cp.agents()).map((a) => a.id)).toContain(agent.id);
    await cp.deleteAgent(agent.id);
    expect((await cp.agents()).map((a) => a.id)).not.toContain(agent.id);
  });
});
