import type { BenchContext, BenchResult, BenchRow } from './lib/bench-types.ts';
import { startNodeChild } from './lib/child-process.ts';
import { measureIdleMemory, type IdleMemoryResult } from './signaling/memory-bench.ts';
import { FULL_PLAN, QUICK_PLAN, windowFor, type SignalingPlan } from './signaling/plan.ts';
import { measureRelay, RELAY_KINDS, SERVER_KINDS, type RelayResults } from './signaling/relay-bench.ts';
import { BENCH_RATE_LIMIT, PINNED_CPUS, type ServerKind } from './signaling/servers.ts';

/** Targets from issue 3: relay throughput vs peerjs-server, and memory per idle connection. */
const THROUGHPUT_RATIO_TARGET = 2;
const IDLE_KB_TARGET = 20;

/**
 * Signaling relay (throughput, latency) and idle-connection memory of the tabmesh server against
 * peerjs-server measured in the same run. Load comes from a separate process.
 */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  const plan = ctx.quick ? QUICK_PLAN : FULL_PLAN;
  const { child: loader } = await startNodeChild({
    script: 'dist/bench/signaling/load-client.js', fdLimit: plan.idleConnections + 1024, cpu: PINNED_CPUS?.load,
  });
  try {
    const relay = await measureRelay(loader, plan, ctx.log);
    const memory = {} as Record<ServerKind, IdleMemoryResult>;
    for (const kind of SERVER_KINDS) memory[kind] = await measureIdleMemory(loader, kind, plan, ctx.log);
    const settings = [
      `tabmesh: \`TABMESH_RATE_LIMIT_PER_SEC=${BENCH_RATE_LIMIT}\` (default 100; the maximum, so the load is never throttled), \`TABMESH_MAX_PEERS_PER_MESH\` raised to the client count, \`TABMESH_TOKEN_TTL_SECONDS=3600\``,
      'peerjs: `PeerServer()` from the library (no per-connection console logging), `concurrent_limit` raised to the client count',
      'both servers: `--expose-gc` and a preloaded memory probe; server pinned to CPU 0, load to CPU 1 (`taskset`)',
    ];
    return { rows: rows(plan, relay, memory), settings, notes: notes(plan, relay), details: { plan, relay, memory } };
  } finally {
    await loader.stop();
  }
}

const verdict = (ok: boolean) => (ok ? 'pass' : 'FAIL');

function rows(plan: SignalingPlan, relay: RelayResults, memory: Record<ServerKind, IdleMemoryResult>): BenchRow[] {
  const out: BenchRow[] = [];
  for (const clients of plan.clientCounts) {
    const t = relay.tabmesh[clients]!.best;
    const p = relay.peerjs[clients]!.best;
    const b = relay.bare[clients]!.best;
    const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}x`;
    const row = (metric: string, pick: (r: typeof t) => number, target: string | null = null, result: string | null = null): BenchRow => ({
      metric, clients, tabmesh: pick(t), peerjs: pick(p), 'tabmesh/peerjs': ratio(pick(t), pick(p)),
      'bare ws': pick(b), 'bare/peerjs': ratio(pick(b), pick(p)), target, result,
    });
    out.push(
      row('relay frames/s', (r) => r.framesPerSec, `>= ${THROUGHPUT_RATIO_TARGET}x peerjs`, verdict(t.framesPerSec >= THROUGHPUT_RATIO_TARGET * p.framesPerSec)),
      row('latency p50 ms', (r) => r.latencyMs.p50),
      row('latency p99 ms', (r) => r.latencyMs.p99),
      row('server CPU %', (r) => r.serverCpuPercent),
      row('frames per server CPU-s', (r) => r.framesPerServerCpuSecond),
    );
  }
  const kb = (k: ServerKind) => memory[k].rssPerConnection / 1024;
  const heapKb = (k: ServerKind) => memory[k].heapPerConnection / 1024;
  out.push(
    {
      metric: 'KB per idle connection (RSS)', clients: memory.tabmesh.connections, tabmesh: kb('tabmesh'), peerjs: kb('peerjs'),
      'tabmesh/peerjs': `${(kb('tabmesh') / kb('peerjs')).toFixed(2)}x`, 'bare ws': null, 'bare/peerjs': null,
      target: `< ${IDLE_KB_TARGET} KB`, result: verdict(kb('tabmesh') < IDLE_KB_TARGET),
    },
    {
      metric: 'KB per idle connection (JS heap)', clients: memory.tabmesh.connections, tabmesh: heapKb('tabmesh'), peerjs: heapKb('peerjs'),
      'tabmesh/peerjs': `${(heapKb('tabmesh') / heapKb('peerjs')).toFixed(2)}x`, 'bare ws': null, 'bare/peerjs': null, target: null, result: null,
    },
  );
  return out;
}

function notes(plan: SignalingPlan, relay: RelayResults): string[] {
  const where = (test: (r: RelayResults[ServerKind][number]['best']) => boolean) =>
    RELAY_KINDS.flatMap((k) => plan.clientCounts.filter((c) => test(relay[k][c]!.best)).map((c) => `${k}/${c}`));
  const loadBound = where((r) => r.loaderCpuPercent > 90);
  const starved = where((r) => r.serverCpuPercent < 85);
  const bytes = (k: ServerKind) => Math.round(relay[k][plan.clientCounts[0]!]!.best.meanFrameBytes);
  return [
    `tabmesh runs with TABMESH_RATE_LIMIT_PER_SEC=${BENCH_RATE_LIMIT} (its maximum) so the per-socket rate limit never throttles the load; all validation stays on.`,
    `Relay: client pairs signal each other (1 SDP offer per 4 ICE candidates, mean frame ${bytes('tabmesh')} B tabmesh / ${bytes('peerjs')} B peerjs envelope); ` +
      `each client keeps ${plan.clientCounts.map((c) => `${windowFor(plan, c)} (${c} clients)`).join(', ')} frames in flight; ` +
      `${plan.warmupMs} ms warm-up, ${plan.durationMs} ms measured, best of ${plan.rounds} alternating rounds (background load only slows a round; all rounds are in the JSON).`,
    'bare ws (bench/signaling/bare-relay-entry.ts) is the floor for any relay on Node + ws: it finds "to" in the raw bytes and appends "from", with no token, parse, validation, rate gate or metrics. ' +
      'bare/peerjs is therefore the most any Node + ws relay could reach against peerjs here.',
    `Load comes from one separate Node process${PINNED_CPUS ? ` (server pinned to CPU ${PINNED_CPUS.server}, load to CPU ${PINNED_CPUS.load})` : ''}; ` +
      'latency is one-way send-to-receive on its clock. Server CPU is user+system of the server process over the measured window.',
    `Idle memory: ${plan.idleConnections} accepted sockets (tabmesh in meshes of ${plan.idlePeersPerMesh}), RSS and heap after forced GC (median of 5), minus a post-warm-up baseline.`,
    ...(loadBound.length ? [`Load process above 90 % CPU for ${loadBound.join(', ')}: those throughputs are bounded by the load generator as well.`] : []),
    ...(starved.length ? [`Server below 85 % CPU even in its best round for ${starved.join(', ')}: other work shared the cores, so compare frames per server CPU-s there, not frames/s.`] : []),
  ];
}
