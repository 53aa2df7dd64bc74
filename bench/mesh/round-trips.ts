import { createWorkerAgentHost } from '../../headless-node/agents/worker-agent-host.ts';
import type { Mesh } from '../../web/mesh/mesh.ts';
import type { BenchContext, BenchRow } from '../lib/bench-types.ts';
import { connectBarePair, echoRoundTrip } from '../lib/bare-rtc-pair.ts';
import { summarize } from '../lib/stats.ts';
import { idFor } from '../../test/helpers/test-identity.ts';
import { allLinksOpen, seesPeer, startBenchMesh } from './bench-peer.ts';
import { latencyRow } from './mesh-rows.ts';

/** `n` sequential round trips of `once`, after `warmup` unmeasured ones; `gapMs` idles between them. */
async function sample(n: number, warmup: number, once: (i: number) => Promise<unknown>, gapMs = 0): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await once(-1 - i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    const t = performance.now();
    await once(i);
    out.push(performance.now() - t);
  }
  return out;
}

const input = (i: number) => ({ i, text: 'the quick brown fox jumps over the lazy dog' });

/**
 * Calls made before measuring a point-to-point case. V8 optimizes the task path over its first
 * ~2,000 calls; on 2 shared cores its background compiler then competes with libdatachannel's
 * threads and puts 2–8 ms into ~3 % of those calls (gone with `--no-opt`). The steady state is
 * measured after it; the echo's first 2,000 calls get their own row, so that cost stays visible.
 */
const WARMUP = 2000;

/** The echo and the bare echo alternate in this many blocks of n / blocks calls each. */
const INTERLEAVED_BLOCKS = 10;

/**
 * Request/response latency over an open DataChannel (echo task, mesh ping, echo on a
 * worker_threads agent as `tabmesh node` runs skills) against a bare DataChannel echo of the same
 * JSON, and the echo task on the fallback tier (no DataChannel: relayed through the server).
 */
export async function measureRoundTrips(ctx: BenchContext, url: string, n: number): Promise<{ rows: BenchRow[]; details: unknown }> {
  const warmup = WARMUP;
  const started: Mesh[] = [];
  const start = async (id: string, opts: Parameters<typeof startBenchMesh>[2] = {}) => {
    const m = await startBenchMesh(url, id, opts);
    started.push(m);
    return m;
  };
  const workerHost = await createWorkerAgentHost({ name: 'bench-worker', builtins: ['echo'], workers: 1 });
  try {
    const a = await start('rtt-a');
    await start('rtt-b');
    await start('rtt-worker', { host: workerHost });
    await allLinksOpen(a, ['rtt-b', 'rtt-worker'], 15_000);

    const pair = await connectBarePair({ bindAddress: '127.0.0.1' });
    const echoOnce = (i: number) => a.call(idFor('rtt-b'), 'echo', input(i));
    const bareOnce = (i: number) => echoRoundTrip(pair.channelA, pair.channelB, JSON.stringify(input(i)));
    ctx.log(`echo over the mesh ×${n} after ${warmup} (measured too), interleaved with a bare DataChannel echo`);
    const echoCold = await sample(warmup, 0, echoOnce);
    await sample(0, warmup, bareOnce);
    // Mesh echo and its bare baseline alternate in blocks, so drift over the run favours neither.
    const echo: number[] = [];
    const bare: number[] = [];
    for (let k = 0; k < INTERLEAVED_BLOCKS; k++) {
      echo.push(...(await sample(Math.ceil(n / INTERLEAVED_BLOCKS), 0, echoOnce)));
      bare.push(...(await sample(Math.ceil(n / INTERLEAVED_BLOCKS), 0, bareOnce)));
    }
    pair.close();
    const ping = await sample(n, warmup, () => a.ping(idFor('rtt-b')));
    const worker = await sample(n, warmup, (i) => a.call(idFor('rtt-worker'), 'echo', input(i)));

    ctx.log(`fallback tier echo ×${n}`);
    const fa = await start('rtt-fallback-a', { p2p: false });
    await start('rtt-fallback-b', { p2p: false });
    await seesPeer(fa, 'rtt-fallback-b');
    const viaServer = (i: number) => fa.call(idFor('rtt-fallback-b'), 'echo', input(i)).then((r) => {
      if (r.tier !== 'fallback') throw new Error(`expected the fallback tier, got ${r.tier}`);
    });
    // Spaced below the per-socket rate limit: latency. Back to back: the client's pacing sets the pace.
    const fallback = await sample(Math.min(n, 200), 50, viaServer, 20);
    const fallbackBusy = await sample(Math.min(n, 300), 0, viaServer);

    const baseline = summarize(bare).p50;
    const e = summarize(echo);
    const f = summarize(fallback);
    return {
      rows: [
        latencyRow(`echo task round trip over the mesh (in-process skill), after ${warmup.toLocaleString('en')} calls`, echo, { baseline, target: { text: 'p50/p99 < 2 ms', ok: e.p50 < 2 && e.p99 < 2 } }),
        latencyRow(`  same, its first ${warmup.toLocaleString('en')} calls (V8 still optimizing the task path)`, echoCold, { baseline, extra: `${echoCold.filter((v) => v > 2).length} over 2 ms` }),
        latencyRow('mesh ping/pong', ping, { baseline }),
        latencyRow('echo task on a worker_threads agent (as tabmesh node)', worker, { baseline }),
        latencyRow('baseline: bare node-datachannel echo, same JSON', bare),
        latencyRow('echo task on the fallback tier (server relay), one call per 20 ms', fallback, { baseline, target: { text: 'p50/p99 < 500 ms', ok: f.p50 < 500 && f.p99 < 500 } }),
        latencyRow('  same, back to back (paced at 80 % of 100 frames/s per socket)', fallbackBusy, { baseline }),
      ],
      details: { warmup, echoCold, echo, ping, worker, bare, fallback, fallbackBusy },
    };
  } finally {
    await Promise.all(started.map((m) => m.stop()));
    await workerHost.close();
  }
}
