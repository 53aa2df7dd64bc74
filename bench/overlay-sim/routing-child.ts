import type { PeerKind } from '../../web/mesh/link/link-budget.ts';
import { serveRpc } from '../lib/ipc-rpc.ts';
import { replayRouting } from './routing-replay.ts';
import type { ServerLog } from './server-log.ts';

/** Runs routing-replay.ts in its own process (`npm run bench -- overlay-sim`): 10,000 peers' overlay tables need a large heap. */
serveRpc({
  run: (args: { log: ServerLog; mix: Record<PeerKind, number>; seed: number }) => replayRouting(args.log, args.mix, args.seed),
  exit() {
    setImmediate(() => process.exit(0));
    return true;
  },
});
