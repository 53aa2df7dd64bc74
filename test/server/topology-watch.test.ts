import { describe, expect, it } from 'vitest';
import type { TopologyEdge } from '../../protocol/index.ts';
import { getToken, type Runtime } from '../helpers/server-process.ts';
import { waitFor as poll } from '../helpers/wait-for.ts';
import { idFor } from '../helpers/test-identity.ts';
import { linksOpen, startPeer, stopPeers, useMeshServer } from '../mesh/harness.ts';
import { barrier, join, record, serverForSuite, type Frame } from './support/signaling.ts';

const KEY = 'agent-key-topology-watch-0123456789';

describe.each<Runtime>(['node', 'deno'])('topology watch on %s', (runtime) => {
  const server = serverForSuite(runtime, { TABMESH_API_KEYS: `agent:${KEY}` });

  it('a read of the topology tells every peer to report link changes for 60 s, once per half window; later welcomes say how long is left', async () => {
    const a = await join(server, KEY, `watch-a-${runtime}`);
    // Nobody has read the topology yet: periodic reports only.
    expect(a.welcome.watch).toBe(0);
    const log = record(a);
    const reader = await getToken(server.url, KEY, `watch-reader-${runtime}`);
    const read = async () => expect((await fetch(`${server.url}/api/topology`, { headers: { authorization: `Bearer ${reader}` } })).status).toBe(200);
    await read();
    // An empty presence batch carries it: clients that predate watching read it as nothing.
    expect(await a.next('presence')).toEqual({ type: 'presence', left: [], joined: [], meshSize: 1, watch: 60_000 });
    // A hub polling every 3 s renews the watch only once half of it is gone: no second broadcast now.
    await read();
    const b = await join(server, KEY, `watch-b-${runtime}`);
    expect(b.welcome.watch).toBeGreaterThan(50_000);
    expect(b.welcome.watch).toBeLessThanOrEqual(60_000);
    // Whatever the server wrote to `a` before this relay has arrived by now.
    await barrier(b, a as typeof a & { welcome: Frame });
    expect(log.filter((f) => f.type === 'presence' && 'watch' in f)).toHaveLength(1);
  });
});

describe('topology watch with mesh peers', () => {
  const ctx = useMeshServer();

  it('peers that link while nobody watches report only once someone reads the topology, and every change while it is watched', { timeout: 60_000 }, async () => {
    // No periodic report within the test: whatever reaches the topology came from the watch.
    const opts = { linkReportMs: 600_000 };
    const x = await startPeer(ctx.server, 'tw-x', opts);
    const y = await startPeer(ctx.server, 'tw-y', opts);
    await linksOpen(x.mesh, [y.id], 'direct');
    await linksOpen(y.mesh, [x.id], 'direct');
    const reader = await getToken(ctx.server.url, 'agent-key-for-mesh-tests-0001', 'tw-reader');
    const edges = async () => {
      const res = await fetch(`${ctx.server.url}/api/topology`, { headers: { authorization: `Bearer ${reader}` } });
      return ((await res.json()) as { edges: TopologyEdge[] }).edges;
    };
    const has = (list: TopologyEdge[], p: string, q: string) => list.some((e) => [e.a, e.b].sort().join() === [p, q].sort().join() && e.state === 'open');
    // This read starts the watch; the peers answer it with a report.
    await poll(async () => (has(await edges(), x.id, y.id) ? true : undefined), 15_000, 'the x-y link, reported after the watch began');
    // A peer that joins while the mesh is watched learns it from its welcome and reports its links.
    const z = await startPeer(ctx.server, 'tw-z', opts);
    await linksOpen(z.mesh, [x.id, y.id], 'direct');
    await poll(async () => {
      const list = await edges();
      return has(list, z.id, x.id) && has(list, z.id, y.id) ? true : undefined;
    }, 15_000, 'z\'s links, reported while watched');
    expect(idFor('tw-z')).toBe(z.id);
    await stopPeers();
  });
});
