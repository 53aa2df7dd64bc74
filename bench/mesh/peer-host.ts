import nodeDataChannel from 'node-datachannel';
import type { Mesh } from '../../web/mesh/mesh.ts';
import { serveRpc } from '../lib/ipc-rpc.ts';
import { idFor } from '../../test/helpers/test-identity.ts';
import { allLinksOpen, startBenchMesh } from './bench-peer.ts';

/**
 * A child process hosting several mesh peers for the full-mesh round of `npm run bench -- mesh`.
 * The parent starts every host first, then tells them all to join at once and waits for each to
 * report that its peers have a DataChannel to every other peer.
 */
let meshes: Mesh[] = [];

serveRpc({
  /** Starts `ids` at once; resolves with the ms from the call to every link open, plus each link's openMs. */
  async join(args: { url: string; ids: string[]; all: string[]; timeoutMs: number }) {
    const t0 = performance.now();
    meshes = await Promise.all(args.ids.map((id) => startBenchMesh(args.url, id)));
    await Promise.all(meshes.map((m) => allLinksOpen(m, args.all.map(idFor).filter((id) => id !== m.peerId), args.timeoutMs)));
    const elapsedMs = performance.now() - t0;
    const openMs = meshes.flatMap((m) => m.links().map((l) => l.openMs ?? NaN));
    const sessions = meshes.flatMap((m) => m.links().map((l) => l.sessions));
    return { elapsedMs, doneAt: Date.now(), openMs, sessions };
  },
  async leave() {
    await Promise.all(meshes.map((m) => m.stop()));
    meshes = [];
    return true;
  },
  exit() {
    nodeDataChannel.cleanup();
    setImmediate(() => process.exit(0));
    return true;
  },
});
