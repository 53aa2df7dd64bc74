import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getToken, startServer, type ServerProcess } from '../helpers/server-process.ts';
import { pairNodeByCode } from './helpers/pair-node.ts';
import { runCli, type NodePeer } from './helpers/tabmesh-cli.ts';

// `tabmesh node` against a real server process whose credential it holds is refused: once
// revoked by an admin, once by a server that no longer knows the device (a fresh data dir on the
// same address, which is what an empty store after a restart looks like from the node).
const ADMIN_KEY = 'admin-key-for-refusal-tests-001';
// Short tokens: the node exchanges its credential again within seconds of a server change.
const ENV = { TABMESH_API_KEYS: `admin:${ADMIN_KEY}`, TABMESH_TOKEN_TTL_SECONDS: '10' };

const servers: ServerProcess[] = [];
const nodes: NodePeer[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
});

async function serve(extra: Record<string, string> = {}): Promise<ServerProcess> {
  const s = await startServer({ env: { ...ENV, ...extra } });
  servers.push(s);
  return s;
}

async function adminApi<T>(server: ServerProcess, path: string, init: RequestInit = {}): Promise<T> {
  const token = await getToken(server.url, ADMIN_KEY, 'refusal-admin');
  const res = await fetch(`${server.url}/api${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A `tabmesh node` paired by code (approved as the admin); resolves once it joined. */
async function pairNode(server: ServerProcess, name: string, dataDir: string): Promise<NodePeer> {
  const node = await pairNodeByCode(server, () => getToken(server.url, ADMIN_KEY, 'refusal-admin'), { name, dataDir, args: ['--skills', 'echo'] });
  nodes.push(node);
  return node;
}

/** The lines the node printed as `tabmesh node: …` (its errors; the log uses `[tabmesh node]`). */
const errorLines = (lines: string[]) => lines.filter((l) => l.startsWith('tabmesh node:'));
const pairAgain = (server: ServerProcess, name: string, dir: string) =>
  `to pair again, create a pairing code in the hub (Admin tab) and run: tabmesh node --url ${server.url} --name ${name} --data-dir ${dir} --code CODE`;

describe('tabmesh node when the server refuses its credential', () => {
  it('says in one line that an admin revoked it and how to pair again; exits 3 and keeps its files', async () => {
    const server = await serve();
    const dir = mkdtempSync(join(tmpdir(), 'tabmesh-revoked-'));
    const node = await pairNode(server, 'revoked-pi', dir);
    const { devices } = await adminApi<{ devices: Array<{ id: string; name: string }> }>(server, '/devices');
    await adminApi(server, `/devices/${devices.find((d) => d.name === 'revoked-pi')!.id}`, { method: 'DELETE' });

    expect(await node.exited).toBe(3);
    expect(errorLines(node.stderr)).toEqual([
      `tabmesh node: an admin revoked this device on ${server.url} (its device token saved in ${dir}/credential.json is refused); ${pairAgain(server, 'revoked-pi', dir)}`,
    ]);
    expect(existsSync(join(dir, 'credential.json'))).toBe(true);

    // Started again without a code: refused at once, same line, nothing retried.
    const again = await runCli(['node', '--url', server.url, '--name', 'revoked-pi', '--data-dir', dir, '--bind-address', '127.0.0.1'], { timeoutMs: 30_000 });
    expect(again.code).toBe(3);
    expect(errorLines(again.stderr.trim().split('\n'))).toEqual([
      `tabmesh node: an admin revoked this device on ${server.url} (its device token saved in ${dir}/credential.json is refused); ${pairAgain(server, 'revoked-pi', dir)}`,
    ]);
  }, 90_000);

  it('says the server does not know an API key, and how to pair instead', async () => {
    const server = await serve();
    const r = await runCli(['node', '--url', server.url, '--name', 'keyed-pi', '--key', 'tma_not-a-key-of-this-server', '--bind-address', '127.0.0.1'], { timeoutMs: 30_000 });
    expect(r.code).toBe(3);
    expect(errorLines(r.stderr.trim().split('\n'))).toEqual([
      `tabmesh node: the server at ${server.url} does not know this API key; check --key / TABMESH_KEY, or pair this node instead: create a pairing code in the hub (Admin tab) and run: tabmesh node --url ${server.url} --name keyed-pi --code CODE`,
    ]);
  }, 90_000);

  it('says the server no longer knows it when the server comes back without its data, and pairs again with the printed command', async () => {
    const first = await serve();
    const dir = mkdtempSync(join(tmpdir(), 'tabmesh-forgotten-'));
    const node = await pairNode(first, 'forgotten-pi', dir);

    // Same address, empty data dir: to the node this is its server having lost every device.
    await first.stop('SIGKILL');
    const second = await serve({ PORT: String(first.port) });
    expect(second.url).toBe(first.url);

    expect(await node.exited).toBe(3);
    const line = `tabmesh node: the server at ${first.url} no longer knows this device (it refused the device token saved in ${dir}/credential.json); ${pairAgain(first, 'forgotten-pi', dir)}`;
    expect(errorLines(node.stderr)).toEqual([line]);
    expect(existsSync(join(dir, 'credential.json'))).toBe(true);

    // The printed command, with a real code, pairs it again (same identity) and it joins.
    const repaired = await pairNode(second, 'forgotten-pi', dir);
    expect(repaired.peerId).toBe(node.peerId);
    expect(repaired.stderr.join('\n')).toMatch(/the saved device token was refused \(unknown to the server\); pairing again with --code/);
    const echoed = await runCli(['call', '--url', second.url, '--key', ADMIN_KEY, '--skill', 'echo', '--to', repaired.peerId, '--input', '"back"', '--bind-address', '127.0.0.1']);
    expect(echoed.stdout, echoed.stderr).toBe('back\n');
    expect(await repaired.stop()).toBe(0);
  }, 120_000);
});
