import type { NodeChild } from '../lib/child-process.ts';
import type { MemorySample } from '../lib/memory-probe.ts';
import { median } from '../lib/stats.ts';
import type { ConnectResult } from './load-types.ts';
import type { SignalingPlan } from './plan.ts';
import { startServer, type ServerKind } from './servers.ts';

export interface IdleMemoryResult {
  connections: number;
  connectSeconds: number;
  /** Medians of the post-GC samples, bytes. */
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
  rssPerConnection: number;
  heapPerConnection: number;
  samples: { before: MemorySample[]; after: MemorySample[] };
}

/**
 * Server memory per idle connection: a fresh server, a warm-up batch opened and closed, a post-GC
 * baseline, then `idleConnections` accepted sockets (welcomed / OPEN) and a post-GC reading. tabmesh
 * tokens come from a second instance with the same secret, so the measured one only holds sockets.
 */
export async function measureIdleMemory(loader: NodeChild, kind: ServerKind, plan: SignalingPlan, log: (m: string) => void): Promise<IdleMemoryResult> {
  const n = plan.idleConnections;
  const server = await startServer(kind, {
    meshes: Math.ceil(n / plan.idlePeersPerMesh),
    maxPeers: kind === 'tabmesh' ? plan.idlePeersPerMesh : n + plan.warmConnections,
    fdLimit: n + 1024,
    separateTokenIssuer: true,
  });
  try {
    await loader.call('prepare', { target: server.target(plan.idlePeersPerMesh), count: plan.warmConnections, idPrefix: 'warm' });
    await loader.call('connect');
    await loader.call('disconnect');
    await loader.call('prepare', { target: server.target(plan.idlePeersPerMesh), count: n, idPrefix: 'idle' });
    const before = await server.memory();
    const connected = await loader.call<ConnectResult>('connect');
    const after = await server.memory();
    await loader.call('disconnect');
    const rss = (s: MemorySample[]) => median(s.map((x) => x.rss));
    const heap = (s: MemorySample[]) => median(s.map((x) => x.heapUsed));
    const result: IdleMemoryResult = {
      connections: n, connectSeconds: connected.seconds,
      rssBefore: rss(before), rssAfter: rss(after), heapBefore: heap(before), heapAfter: heap(after),
      rssPerConnection: (rss(after) - rss(before)) / n,
      heapPerConnection: (heap(after) - heap(before)) / n,
      samples: { before, after },
    };
    log(`idle ${kind}: ${n} connections in ${connected.seconds.toFixed(1)} s, ` +
      `${(result.rssPerConnection / 1024).toFixed(1)} KB RSS and ${(result.heapPerConnection / 1024).toFixed(1)} KB heap per connection`);
    return result;
  } finally {
    await server.stop();
  }
}
