import nodeDataChannel from 'node-datachannel';
import type { Mesh } from '../../web/mesh/mesh.ts';
import { MeshError } from '../../web/mesh/errors.ts';
import { serveRpc } from '../lib/ipc-rpc.ts';
import type { CallOutcome } from '../lib/call-outcomes.ts';
import { idFor } from '../../test/helpers/test-identity.ts';
import { startBenchMesh } from '../mesh/bench-peer.ts';

/**
 * A child process hosting a share of the mesh-scale benchmark's peers (real meshes on loopback
 * node-datachannel). The parent tells it whom to start, watches link activity until the overlay
 * is quiet, then asks it to place calls from its peers.
 */
const meshes = new Map<string, Mesh>();
let linkEvents = 0;
let errors = 0;
/** Mesh errors by code, so the run says which. */
const errorCodes: Record<string, number> = {};

/** Open DataChannels of one peer (a route on the fallback or routed tier is open without one). */
const openLinks = (m: Mesh) => m.links().filter((l) => l.state === 'open' && (l.tier === 'direct' || l.tier === 'relayed' || l.tier === 'unknown')).length;

serveRpc({
  /** Starts the named peers one after another (each waits for its welcome); returns each start's ms. */
  async join(args: { url: string; names: string[]; maxLinks: number }) {
    const ms: number[] = [];
    for (const name of args.names) {
      const t0 = performance.now();
      const mesh = await startBenchMesh(args.url, name, { maxLinks: args.maxLinks });
      mesh.on('link', () => linkEvents++);
      mesh.on('error', (e) => (errors++, (errorCodes[e.code] = (errorCodes[e.code] ?? 0) + 1)));
      meshes.set(name, mesh);
      ms.push(performance.now() - t0);
    }
    return ms;
  },
  /** Link events seen so far (the parent waits for them to stop) and each peer's open DataChannels. */
  activity() {
    return { linkEvents, errors, errorCodes, openLinks: [...meshes.values()].map(openLinks), known: [...meshes.values()].map((m) => m.peers().length) };
  },
  /** One `echo` call from peer `from` to peer `to`, timed here; never throws (a failure is an outcome). */
  async call(args: { from: string; to: string; timeoutMs: number }): Promise<CallOutcome> {
    const mesh = meshes.get(args.from);
    if (!mesh) throw new Error(`no peer "${args.from}" in this process`);
    const t0 = performance.now();
    try {
      const r = await mesh.call(idFor(args.to), 'echo', 'scale', { timeoutMs: args.timeoutMs });
      if (r.output !== 'scale') return { ok: false, ms: performance.now() - t0, error: 'wrong-output' };
      // A tier that reports hops (multi-hop routing) carries them on the result; read them if there.
      const hops = (r as { hops?: unknown }).hops;
      return { ok: true, ms: performance.now() - t0, tier: r.tier, ...(typeof hops === 'number' ? { hops } : {}) };
    } catch (err) {
      return { ok: false, ms: performance.now() - t0, error: err instanceof MeshError ? err.code : String(err) };
    }
  },
  async leave() {
    await Promise.all([...meshes.values()].map((m) => m.stop()));
    meshes.clear();
    return true;
  },
  exit() {
    nodeDataChannel.cleanup();
    setImmediate(() => process.exit(0));
    return true;
  },
});
