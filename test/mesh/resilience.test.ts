import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createNodePlatform } from '../../headless-node/node-platform.ts';
import { MeshError } from '../../web/mesh/errors.ts';
import { createSignalingClient } from '../../web/mesh/signaling/signaling-client.ts';
import { apiKeyTokenSource } from '../../web/mesh/signaling/token-source.ts';
import { idFor, identityFor } from '../helpers/test-identity.ts';
import { AGENT_KEY, linksOpen, startMeshServer, startPeer, useMeshServer, waitFor, type TestPeer } from './harness.ts';

const FIXTURE = new URL('./fixtures/peer-process.mjs', import.meta.url).pathname;
const env = useMeshServer();

const sessionsOf = (p: TestPeer) => Object.fromEntries(p.mesh.links().map((l) => [l.peerId, `${l.sessionId}/${l.sessions}`]));

describe('mesh resilience', () => {
  it('keeps DataChannels through a server kill and restart, then rejoins without renegotiating', async () => {
    const ps = await Promise.all([idFor('r1'), idFor('r2'), idFor('r3')].map((id) => startPeer(env.server, id)));
    await Promise.all(ps.map((p) => linksOpen(p.mesh, ps.filter((q) => q !== p).map((q) => q.id), 'direct')));
    const before = ps.map(sessionsOf);
    const down = ps.map((p) => waitFor(p.mesh, 'signaling', (s) => s.state === 'connecting'));
    await env.server.stop('SIGKILL');
    await Promise.all(down);

    // No server: the peers keep talking over their DataChannels.
    for (const [a, b] of [[0, 1], [1, 2], [2, 0]] as const) {
      const r = await ps[a]!.mesh.call(ps[b]!.id, 'echo', `while the server is down ${a}->${b}`);
      expect(r).toMatchObject({ output: `while the server is down ${a}->${b}`, tier: 'direct' });
    }
    const big = 'm'.repeat(256 * 1024);
    expect((await ps[0]!.mesh.call(ps[2]!.id, 'echo', big)).output).toBe(big);

    const rejoined = ps.map((p) => waitFor(p.mesh, 'signaling', (s) => s.state === 'open' && s.resumed === true, 20_000));
    env.server = await startMeshServer({ PORT: String(env.server.port) });
    await Promise.all(rejoined);
    // Rejoined peers see each other present again (welcome or peer-joined) and keep their links.
    const allPresent = (p: TestPeer) => () => p.mesh.peers().length === 2 && p.mesh.peers().every((x) => x.present);
    await Promise.all(ps.map((p) => waitFor(p.mesh, 'peer-joined', allPresent(p), 10_000, allPresent(p))));
    expect(ps.map(sessionsOf)).toEqual(before);
    const late = await startPeer(env.server, 'r4');
    await linksOpen(late.mesh, [idFor('r1'), idFor('r2'), idFor('r3')], 'direct');
    expect((await late.mesh.call(idFor('r1'), 'echo', 'hi')).tier).toBe('direct');
    expect(ps.map((p) => Object.fromEntries(Object.entries(sessionsOf(p)).filter(([k]) => k !== idFor('r4'))))).toEqual(before);
  });

  it('fails pending calls with a clear error when a peer process is killed', async () => {
    const watcher = await startPeer(env.server, 'watcher');
    const child = spawn(process.execPath, [FIXTURE, env.server.url, AGENT_KEY, 'victim'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
    try {
      await linksOpen(watcher.mesh, [idFor('victim')], 'direct', 20_000);
      expect((await watcher.mesh.call(idFor('victim'), 'echo', 'alive?')).output).toBe('alive?');
      const pending = watcher.mesh.call(idFor('victim'), 'hang', null, { timeoutMs: 60_000 }).catch((e: unknown) => e);
      const left = waitFor(watcher.mesh, 'peer-left', (e) => e.peerId === idFor('victim'));
      const t0 = performance.now();
      child.kill('SIGKILL');
      const err = await pending;
      const ms = performance.now() - t0;
      expect(err).toMatchObject({ name: 'MeshError', code: 'peer-left', peerId: idFor('victim') });
      expect((err as Error).message).toContain(idFor('victim'));
      await left;
      expect(watcher.mesh.links().some((l) => l.peerId === idFor('victim'))).toBe(false);
      await expect(watcher.mesh.call(idFor('victim'), 'echo', 1)).rejects.toMatchObject({ code: 'unknown-peer' });
      console.log(`killed peer: pending call failed after ${ms.toFixed(0)} ms`);
    } finally {
      child.kill('SIGKILL');
      if (stderr.length) console.log(stderr.join(''));
    }
  });

  it('refreshes its token over the open socket before expiry', async () => {
    const short = await startMeshServer({ TABMESH_TOKEN_TTL_SECONDS: '30' });
    let tokens = 0;
    const fetchToken = apiKeyTokenSource({ url: short.url, key: AGENT_KEY, fetch, identity: await identityFor('refresher') });
    const client = createSignalingClient({
      url: short.wsUrl,
      platform: createNodePlatform(),
      getToken: () => (tokens++, fetchToken()),
      refreshLeadMs: 29_000,
    });
    const disconnects: number[] = [];
    client.on('disconnected', (d) => disconnects.push(d.code));
    try {
      const refreshed: number[] = [];
      const twice = new Promise<void>((resolve) => client.on('token-refreshed', (r) => (refreshed.push(r.expiresAt), refreshed.length === 2 && resolve())));
      const welcomed = new Promise((resolve) => client.on('welcome', resolve));
      client.start();
      await welcomed;
      await twice;
      expect(tokens).toBe(3);
      expect(refreshed[1]).toBeGreaterThanOrEqual(refreshed[0]!);
      expect(client.state).toBe('open');
      expect(disconnects).toEqual([]);
    } finally {
      client.stop();
      await short.stop();
    }
  });

  it('stops at once when a token refresh is refused, not when the current token expires', async () => {
    const server = await startMeshServer({ TABMESH_TOKEN_TTL_SECONDS: '120' });
    const fetchToken = apiKeyTokenSource({ url: server.url, key: AGENT_KEY, fetch, identity: await identityFor('refused-refresh') });
    let calls = 0;
    const client = createSignalingClient({
      url: server.wsUrl,
      platform: createNodePlatform(),
      // The first exchange works; the refresh is refused as a revoked device's would be.
      getToken: () => (++calls === 1 ? fetchToken() : Promise.reject(new MeshError('revoked', 'credential has been revoked', { retryable: false }))),
      refreshLeadMs: 119_000,
    });
    try {
      const fatal = new Promise<MeshError>((resolve) => client.on('fatal', resolve));
      client.start();
      const err = await Promise.race([fatal, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no fatal within 20 s of a refused refresh')), 20_000))]);
      expect([err.code, err.retryable, client.state]).toEqual(['revoked', false, 'stopped']);
      expect(calls).toBe(2);
    } finally {
      client.stop();
      await server.stop();
    }
  });
});
