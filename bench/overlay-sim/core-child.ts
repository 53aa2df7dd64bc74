import nodeDataChannel from 'node-datachannel';
import { serveRpc } from '../lib/ipc-rpc.ts';
import { seeded } from '../lib/seeded.ts';
import { simulateCore } from './core-sim.ts';

/**
 * Runs one mesh-core simulation in its own process (`npm run bench -- overlay-sim`): thousands of
 * meshes need a large heap (`--max-old-space-size`), and a fresh process per size returns it all.
 */
serveRpc({
  async run(args: { n: number; caps: number[]; leavers: number[]; seed: number; paced?: boolean }) {
    const leaving = new Set(args.leavers);
    return simulateCore(args.n, (i) => args.caps[i]!, (i) => leaving.has(i), seeded(args.seed), (m) => process.stderr.write(`${m}\n`), args.paced);
  },
  exit() {
    nodeDataChannel.cleanup();
    setImmediate(() => process.exit(0));
    return true;
  },
});
