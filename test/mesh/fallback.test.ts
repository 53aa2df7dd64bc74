import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getToken, type ServerProcess } from '../helpers/server-process.ts';
import { waitFor as poll } from '../helpers/wait-for.ts';
import { AGENT_KEY, linksOpen, seesPeers, startMeshServer, startPeer, useMeshServer, type TestPeer } from './harness.ts';
import { idFor } from '../helpers/test-identity.ts';

const env = useMeshServer();

describe('fallback tier through the server', () => {
  let off: TestPeer;
  let on: TestPeer;

  beforeAll(async () => {
    on = await startPeer(env.server, 'p2p-on');
    off = await startPeer(env.server, 'p2p-off', { p2p: false });
    await seesPeers(on.mesh, [idFor('p2p-off')]);
  });

  it('reaches a p2p-disabled peer with the same API, both ways, reporting tier fallback', async () => {
    const r1 = await off.mesh.call(idFor('p2p-on'), 'echo', { via: 'server' });
    expect(r1).toMatchObject({ output: { via: 'server' }, tier: 'fallback' });
    const r2 = await on.mesh.call(idFor('p2p-off'), 'echo', 'back');
    expect(r2).toMatchObject({ output: 'back', tier: 'fallback' });
    const chunks: unknown[] = [];
    await on.mesh.call(idFor('p2p-off'), 'stream', { n: 20 }, { stream: true, onChunk: (c) => chunks.push(c) });
    expect(chunks).toHaveLength(20);
    const rtts: number[] = [];
    for (let i = 0; i < 10; i++) rtts.push((await off.mesh.ping(idFor('p2p-on'))).rttMs);
    rtts.sort((x, y) => x - y);
    console.log(`fallback ping p50 ${rtts[5]!.toFixed(2)} ms, max ${rtts[9]!.toFixed(2)} ms`);
    expect(on.mesh.links().find((l) => l.peerId === idFor('p2p-off'))).toMatchObject({ state: 'open', tier: 'fallback', sessions: 1 });
    expect(off.mesh.links().find((l) => l.peerId === idFor('p2p-on'))).toMatchObject({ state: 'open', tier: 'fallback', sessions: 0 });
  });

  it('carries a 1 MiB message over the relay in chunks', async () => {
    const big = 'r'.repeat(1024 * 1024);
    const t0 = performance.now();
    const r = await off.mesh.call(idFor('p2p-on'), 'echo', big, { timeoutMs: 60_000 });
    expect(r.output).toBe(big);
    expect(r.tier).toBe('fallback');
    console.log(`1 MiB round trip over the fallback tier: ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it('carries bytes over the relay exactly (a binary envelope as base64 frames)', async () => {
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 255);
    const small = new Uint8Array([0, 255]);
    const r = await off.mesh.call(idFor('p2p-on'), 'echo', { bytes, small }, { timeoutMs: 60_000 });
    const out = r.output as { bytes: Uint8Array; small: Uint8Array };
    expect(r.tier).toBe('fallback');
    expect(out.bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(out.bytes, bytes)).toBe(0);
    expect([...out.small]).toEqual([0, 255]);
  });

  it('falls back when no DataChannel opens within the connect timeout', async () => {
    // Relay-only ICE on both ends and no TURN server: no candidates, so no DataChannel, ever.
    const { createNodePlatform } = await import('../../headless-node/node-platform.ts');
    const stuck = { platform: createNodePlatform({ bindAddress: '127.0.0.1', iceTransportPolicy: 'relay' }), connectTimeoutMs: 1000, autoConnect: false };
    const x = await startPeer(env.server, 'no-ice-x', stuck);
    await startPeer(env.server, 'no-ice-y', stuck);
    await seesPeers(x.mesh, [idFor('no-ice-y')]);
    const t0 = performance.now();
    const r = await x.mesh.call(idFor('no-ice-y'), 'echo', 'eventually');
    const ms = performance.now() - t0;
    expect(r).toMatchObject({ output: 'eventually', tier: 'fallback' });
    expect(x.mesh.links().find((l) => l.peerId === idFor('no-ice-y'))).toMatchObject({ state: 'open', tier: 'fallback' });
    expect(x.mesh.links().find((l) => l.peerId === idFor('no-ice-y'))!.sessions).toBeGreaterThanOrEqual(1);
    console.log(`first call with an impossible DataChannel answered over the fallback after ${ms.toFixed(0)} ms (connect timeout 1000 ms)`);
  });

  it('reports real links, with tiers, to the topology view', async () => {
    const token = await getToken(env.server.url, AGENT_KEY, 'observer');
    const pair = [idFor('p2p-off'), idFor('p2p-on')].sort().join();
    const edges = await poll(async () => {
      const res = await fetch(`${env.server.url}/api/topology`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as { edges: Array<{ a: string; b: string; tier: string; state: string }> };
      const e = body.edges.find((x) => [x.a, x.b].sort().join() === pair);
      return e ? body.edges : undefined;
    }, 5000, 'a p2p-on <-> p2p-off edge');
    expect(edges.find((x) => [x.a, x.b].sort().join() === pair)).toMatchObject({ tier: 'fallback', state: 'open' });
  });
});

describe('per-peer connection cap', () => {
  let own: ServerProcess;
  afterAll(() => own?.stop());

  it('keeps at most maxLinks DataChannels and serves the rest on the fallback tier', async () => {
    own = await startMeshServer();
    const hub = await startPeer(own, 'capped', { maxLinks: 1 });
    const c1 = await startPeer(own, 'cap-c1');
    const c2 = await startPeer(own, 'cap-c2');
    await linksOpen(hub.mesh, [idFor('cap-c1'), idFor('cap-c2')]);
    const results = await Promise.all([hub.mesh.call(idFor('cap-c1'), 'echo', 1), hub.mesh.call(idFor('cap-c2'), 'echo', 2), c1.mesh.call(idFor('capped'), 'echo', 3), c2.mesh.call(idFor('capped'), 'echo', 4)]);
    expect(results.map((r) => r.output)).toEqual([1, 2, 3, 4]);
    const tiers = hub.mesh.links().filter((l) => [c1.id, c2.id].includes(l.peerId)).map((l) => l.tier).sort();
    expect(tiers).toEqual(['direct', 'fallback']);
  });
});
