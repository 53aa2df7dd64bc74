import nodeDataChannel from 'node-datachannel';
import type { Mesh } from '../../web/mesh/mesh.ts';
import { serveRpc } from '../lib/ipc-rpc.ts';
import { sumCounts } from '../lib/counts.ts';
import { idFor } from '../../test/helpers/test-identity.ts';
import { allLinksOpen, startBenchMesh } from '../mesh/bench-peer.ts';
import { startPeerjsPeer, type PeerjsPeer } from './peerjs-peer.ts';

/**
 * A child process hosting peers for `npm run bench -- link-cpu`: tabmesh mesh peers (the mesh
 * core, joined with `autoConnect: false` so no link forms before the measured window) or
 * PeerJS-protocol peers. The parent starts them, then has them open the given links at once.
 */
type Kind = 'tabmesh' | 'peerjs';
let kind: Kind = 'tabmesh';
const meshes = new Map<string, Mesh>();
const peerjs = new Map<string, PeerjsPeer>();

/** Waits until every local mesh sees all of `names` present (presence is batched). */
async function allPresent(names: string[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const missing = [...meshes.entries()].filter(([self, m]) => names.some((n) => n !== self && !m.peers().some((p) => p.peerId === idFor(n) && p.present)));
    if (!missing.length) return;
    if (performance.now() > deadline) throw new Error(`${missing.length} peers do not see everyone within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

serveRpc({
  /** `linkReportMs` unset: the bench's 600 s; the grow scenario passes the default (10 s). `key`: another mesh's agent key. */
  async start(args: { kind: Kind; url: string; names: string[]; all: string[]; linkReportMs?: number; key?: string }) {
    kind = args.kind;
    if (kind === 'tabmesh') {
      const opts = { autoConnect: false, ...(args.linkReportMs ? { linkReportMs: args.linkReportMs } : {}) };
      const started = await Promise.all(args.names.map((n) => startBenchMesh(args.url, n, opts, args.key)));
      started.forEach((m, i) => meshes.set(args.names[i]!, m));
    } else {
      for (const p of await Promise.all(args.names.map((n) => startPeerjsPeer(args.url, n)))) peerjs.set(p.id, p);
    }
    return true;
  },
  async ready(args: { all: string[] }) {
    if (kind === 'tabmesh') await allPresent(args.all, 20_000);
    return true;
  },
  /**
   * Waits until each local end of the given pairs reaches the other end over peers (`routed`) or
   * directly; resolves with the pairs still missing at the timeout (they then negotiate through the server).
   */
  async routed(args: { pairs: Array<[string, string]>; timeoutMs: number }) {
    const ends = args.pairs.flatMap(([a, b]) => [[a, b], [b, a]] as const).filter(([from]) => meshes.has(from));
    const missing = () => ends.filter(([from, to]) => !meshes.get(from)!.links().some((l) => l.peerId === idFor(to) && (l.tier === 'routed' || (l.state === 'open' && l.tier !== 'fallback'))));
    const deadline = performance.now() + args.timeoutMs;
    while (missing().length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return { ends: ends.length, missing: missing().length };
  },
  /**
   * Opens every link [from, to] whose `from` lives here, all at once; resolves when each is open or failed.
   * `direct`: wait for the DataChannel itself (connect() resolves at once when the routed tier already carries messages).
   */
  async connect(args: { links: Array<[string, string]>; timeoutMs: number; direct?: boolean }) {
    const mine = args.links.filter(([from]) => meshes.has(from) || peerjs.has(from));
    let lastOpenAt = 0;
    const results = await Promise.allSettled(mine.map(async ([from, to]) => {
      let openMs: number;
      if (kind === 'peerjs') openMs = await peerjs.get(from)!.connect(to, args.timeoutMs);
      else {
        const t0 = performance.now();
        const info = await meshes.get(from)!.connect(idFor(to), { timeoutMs: args.timeoutMs });
        if (info.tier === 'fallback') throw new Error(`${from} → ${to}: fell back to the server`);
        openMs = info.openMs ?? NaN;
        if (args.direct) {
          await allLinksOpen(meshes.get(from)!, [to], args.timeoutMs);
          openMs = performance.now() - t0;
        }
      }
      lastOpenAt = Math.max(lastOpenAt, Date.now());
      return openMs;
    }));
    return {
      lastOpenAt,
      openMs: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
      failed: results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error)?.message ?? r.reason)] : [])),
      sent: sumCounts([...peerjs.values()].map((p) => p.sent)),
    };
  },
  async stop() {
    await Promise.all([...meshes.values()].map((m) => m.stop()));
    for (const p of peerjs.values()) p.close();
    meshes.clear();
    peerjs.clear();
    return true;
  },
  exit() {
    nodeDataChannel.cleanup();
    setImmediate(() => process.exit(0));
    return true;
  },
});
