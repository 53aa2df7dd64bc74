import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../helpers/server-process.ts';
import { startTcpBalancer, type TcpBalancer } from '../helpers/tcp-balancer.ts';
import { waitFor as poll } from '../helpers/wait-for.ts';
import { linksOpen, startPeer, stopPeers, type TestPeer } from '../mesh/harness.ts';
import { getJson, localPeerCount, startCluster, type TestCluster } from './cluster-harness.ts';
import { idFor } from '../helpers/test-identity.ts';

let cluster: TestCluster;
let lb: TcpBalancer;
let ps: TestPeer[] = [];
beforeAll(async () => {
  cluster = await startCluster(3);
  lb = await startTcpBalancer(cluster.servers.map((s) => s.port));
  // Every peer knows only the balancer's URL (tokens, signaling), as behind a real load balancer.
  for (const id of [idFor('f1'), idFor('f2'), idFor('f3'), idFor('f4')]) ps.push(await startPeer({ url: lb.url }, id));
  await Promise.all(ps.map((p) => linksOpen(p.mesh, ps.filter((q) => q !== p).map((q) => q.id), 'direct')));
});
afterAll(async () => {
  await stopPeers();
  await lb?.close();
  await cluster?.stop();
});

const sessionsOf = (p: TestPeer) => Object.fromEntries(p.mesh.links().map((l) => [l.peerId, `${l.sessionId}/${l.sessions}/${l.tier}/${l.state}`]));

/** Watches every peer: signaling drops (with close codes), resumes, and any peer-left. */
function watch() {
  const down = new Set<string>();
  const dropped = new Set<string>();
  const codes: number[] = [];
  const left: string[] = [];
  const offs = ps.flatMap((p) => [
    p.mesh.on('signaling', (s) => {
      if (s.state === 'connecting') (down.add(p.id), dropped.add(p.id), s.code !== undefined && codes.push(s.code));
      if (s.state === 'open') down.delete(p.id);
    }),
    p.mesh.on('peer-left', (e) => void left.push(`${p.id} saw ${e.peerId} leave`)),
  ]);
  return { down, dropped, codes, left, stop: () => offs.forEach((off) => off()) };
}

/**
 * Each peer calls the others in turn over its DataChannels until stopped, paced so four loops do
 * not saturate the shared cores; counts calls that completed while the caller had no signaling.
 */
function traffic(down: Set<string>) {
  let running = true;
  const failures: string[] = [];
  let ok = 0;
  let whileDown = 0;
  const loops = ps.map(async (p, i) => {
    for (let n = 0; running; n++) {
      const to = ps[(i + 1 + (n % (ps.length - 1))) % ps.length]!.id;
      try {
        const r = await p.mesh.call(to, 'echo', `${p.id}#${n}`, { timeoutMs: 5000 });
        if (r.output !== `${p.id}#${n}` || r.tier !== 'direct') failures.push(`${p.id}→${to}: ${JSON.stringify(r)}`);
        else (ok++, down.has(p.id) && whileDown++);
      } catch (err) {
        failures.push(`${p.id}→${to}: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 15));
    }
  });
  return {
    failures,
    counts: () => ({ ok, whileDown }),
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function mostLoaded(servers: ServerProcess[]): Promise<ServerProcess> {
  const counts = await Promise.all(servers.map(localPeerCount));
  return servers[counts.indexOf(Math.max(...counts))]!;
}

const allOpen = (ids: string[]) => ps.every((p) => !ids.includes(p.id) || p.mesh.peers().every((q) => q.present));

describe('an instance dies behind a load balancer', () => {
  it('SIGKILL: its peers reconnect to another instance at once, DataChannels stay up, messages keep flowing', async () => {
    const before = ps.map(sessionsOf);
    const w = watch();
    const load = traffic(w.down);
    await poll(() => load.counts().ok >= 40, 10_000, 'traffic before the kill');
    const victim = await mostLoaded(cluster.servers);
    const onVictim = await localPeerCount(victim);
    expect(onVictim).toBeGreaterThan(0);
    const t0 = performance.now();
    await victim.stop('SIGKILL');
    cluster.servers = cluster.servers.filter((s) => s !== victim);

    await poll(() => w.dropped.size === onVictim, 10_000, 'the victim’s peers to notice');
    // Its peers' records still name the dead instance (liveness key: 10 s); they are taken over
    // after one unanswered probe instead of refusing the peers with 4409 until then.
    await poll(() => w.down.size === 0, 10_000, 'every dropped peer to rejoin');
    console.log(`SIGKILL: ${onVictim} peer(s) rejoined another instance ${(performance.now() - t0).toFixed(0)} ms after the kill; ` +
      `${load.counts().whileDown} calls completed while their signaling was down`);
    expect(w.codes.filter((c) => c === 4409)).toEqual([]);
    const okAtRejoin = load.counts().ok;
    await poll(() => load.counts().ok >= okAtRejoin + 40, 10_000, 'traffic after the rejoin');
    await load.stop();
    w.stop();

    expect(load.failures).toEqual([]);
    expect(load.counts().whileDown).toBeGreaterThan(0);
    expect(w.left).toEqual([]);
    expect(ps.map(sessionsOf)).toEqual(before);
    expect((await Promise.all(cluster.servers.map(localPeerCount))).reduce((a, b) => a + b)).toBe(4);
    // Both survivors list every peer, and new signaling works: a newcomer links up with all four.
    for (const s of cluster.servers) {
      await poll(async () => (await getJson<{ peers: Array<{ peerId: string }> }>(s, '/api/peers')).peers.filter((p) => ps.some((x) => x.id === p.peerId)).length === 4, 10_000, 'peers listed');
    }
    const late = await startPeer({ url: lb.url }, 'f5');
    await linksOpen(late.mesh, ps.map((p) => p.id), 'direct');
    expect((await late.mesh.call(idFor('f1'), 'echo', 'hi')).tier).toBe('direct');
    ps.push(late);
    // The next test compares link sessions before and after: let every far end see f5's link open too.
    await poll(() => ps.every((p) => p.mesh.links().every((l) => l.state === 'open')), 10_000, 'every link open on both ends');
  });

  it('SIGTERM: a draining instance hands its peers over without 4409 and without dropping DataChannels', async () => {
    const before = ps.map(sessionsOf);
    const w = watch();
    const load = traffic(w.down);
    const victim = await mostLoaded(cluster.servers);
    const onVictim = await localPeerCount(victim);
    expect(onVictim).toBeGreaterThan(0);
    const t0 = performance.now();
    expect(await victim.stop('SIGTERM')).toBe(0);
    cluster.servers = cluster.servers.filter((s) => s !== victim);
    await poll(() => w.dropped.size === onVictim && w.down.size === 0, 15_000, 'every dropped peer to rejoin');
    console.log(`SIGTERM: ${onVictim} peer(s) rejoined ${(performance.now() - t0).toFixed(0)} ms after the signal (process exit included)`);
    const okAtRejoin = load.counts().ok;
    await poll(() => load.counts().ok >= okAtRejoin + 40, 10_000, 'traffic after the rejoin');
    await load.stop();
    w.stop();
    expect(w.codes.filter((c) => c === 4409)).toEqual([]);
    expect(load.failures).toEqual([]);
    expect(w.left).toEqual([]);
    expect(ps.map(sessionsOf)).toEqual(before);
    expect(await localPeerCount(cluster.servers[0]!)).toBe(ps.length);
    await poll(() => allOpen(ps.map((p) => p.id)), 10_000, 'all peers present');
  });
});
