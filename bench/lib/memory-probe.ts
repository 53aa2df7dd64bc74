/**
 * Preloaded into a server under test (`node --expose-gc --import dist/bench/lib/memory-probe.js`):
 * answers `memory` over IPC with post-GC samples, so the server's own code stays untouched.
 */
import { serveRpc } from './ipc-rpc.ts';

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

serveRpc({
  /** `samples` (5) readings, each after two full GCs; bytes. */
  async memory(args: { samples?: number }): Promise<MemorySample[]> {
    if (!gc) throw new Error('memory probe needs node --expose-gc');
    const out: MemorySample[] = [];
    for (let i = 0; i < (args.samples ?? 5); i++) {
      gc();
      gc();
      // Let close callbacks and finalizers queued by the GC run before reading.
      await new Promise((resolve) => setImmediate(resolve));
      const m = process.memoryUsage();
      out.push({ rss: m.rss, heapUsed: m.heapUsed, external: m.external });
    }
    return out;
  },
});
