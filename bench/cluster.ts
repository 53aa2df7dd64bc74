import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterConnectArgs } from './cluster/load-client.ts';
import type { BenchContext, BenchResult, BenchRow } from './lib/bench-types.ts';
import { startNodeChild, type NodeChild } from './lib/child-process.ts';
import { processCpuSeconds } from './lib/proc-stats.ts';
import { startRedis } from './lib/redis-server.ts';
import type { RelayResult } from './signaling/load-types.ts';
import { BENCH_RATE_LIMIT, PINNED_CPUS } from './signaling/servers.ts';

/** Where the relaying clients sit. */
interface Layout {
  name: string;
  /** Instances client i joins: urls[i % length]. */
  instances: Array<'memory' | 'a' | 'b'>;
  /** Processes doing server-side work in this layout (CPU is summed over them). */
  busy: Array<'memory' | 'a' | 'b' | 'redis'>;
}

const LAYOUTS: Layout[] = [
  { name: 'one instance, in-memory store (no Redis)', instances: ['memory'], busy: ['memory'] },
  { name: 'one instance of a Redis cluster', instances: ['a'], busy: ['a', 'redis'] },
  { name: 'pairs spread over two instances (Redis pub/sub)', instances: ['a', 'b'], busy: ['a', 'b', 'redis'] },
];

/** Two loads: one pair, one frame in flight (latency); 16 clients, 8 in flight each (throughput). */
const LOADS = [
  { name: 'latency', clients: 2, window: 1 },
  { name: 'throughput', clients: 16, window: 8 },
];

interface Measured {
  layout: string;
  load: string;
  relay: RelayResult;
  /** User+system CPU of every server-side process of the layout over the whole relay call, %. */
  serverSideCpuPercent: number;
  /** The same, per process (instance name or `redis`). */
  cpuPercentByProcess: Record<string, number>;
  framesPerServerSideCpuSecond: number;
}

const LISTENING = /listening on https?:\/\/[^:\s]+:(\d+)/;

/**
 * Signaling relay with peers spread over two instances sharing a Redis vs one instance (with and
 * without Redis configured), measured in the same run with the load from a separate process.
 */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  const plan = ctx.quick ? { rounds: 1, warmupMs: 300, durationMs: 1000 } : { rounds: 3, warmupMs: 500, durationMs: 3000 };
  const apiKey = `bench-${randomBytes(12).toString('hex')}`;
  const env = {
    HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn',
    TABMESH_API_KEYS: `agent:${apiKey}`, TABMESH_JWT_SECRET: randomBytes(32).toString('hex'),
    TABMESH_TOKEN_TTL_SECONDS: '3600', TABMESH_RATE_LIMIT_PER_SEC: String(BENCH_RATE_LIMIT),
  };
  const redis = await startRedis();
  const started: NodeChild[] = [];
  const launch = async (extra: Record<string, string>) => {
    const { child, match } = await startNodeChild({
      script: 'dist/server/main.node.js', readyPattern: LISTENING, cpu: PINNED_CPUS?.server,
      // e.g. BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof', as for the signaling benchmark.
      nodeArgs: (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
      env: { ...env, TABMESH_DATA_DIR: mkdtempSync(join(tmpdir(), 'tm-bench-cluster-')), ...extra },
    });
    started.push(child);
    return { pid: child.pid, url: `http://127.0.0.1:${match![1]}` };
  };
  try {
    // Every server-side process shares one core, the load gets the other: the layouts compare the
    // cost of the cross-instance hop at equal CPU, not scale-out (two cores cannot show that).
    if (PINNED_CPUS) spawnSync('taskset', ['-pc', String(PINNED_CPUS.server), String(redis.proc.pid)]);
    const servers = {
      memory: await launch({}),
      a: await launch({ TABMESH_REDIS_URL: redis.url }),
      b: await launch({ TABMESH_REDIS_URL: redis.url }),
      redis: { pid: redis.proc.pid!, url: redis.url },
    };
    const { child: loader } = await startNodeChild({ script: 'dist/bench/cluster/load-client.js', cpu: PINNED_CPUS?.load });
    started.push(loader);
    const results: Measured[] = [];
    let runId = 0;
    for (let round = 0; round < plan.rounds; round++) {
      for (const load of LOADS) {
        // Alternating order per round, so drifting background load hits every layout alike.
        for (const layout of round % 2 ? [...LAYOUTS].reverse() : LAYOUTS) {
          const urls = layout.instances.map((i) => servers[i].url);
          await loader.call('connect', { urls, tokenUrl: urls[0]!, apiKey, count: load.clients, idPrefix: `c${runId++}` } satisfies ClusterConnectArgs);
          const cpu0 = layout.busy.map((p) => processCpuSeconds(servers[p].pid));
          const t0 = performance.now();
          const relay = await loader.call<RelayResult>('relay', {
            window: load.window, warmupMs: plan.warmupMs, durationMs: plan.durationMs, serverPid: servers[layout.instances[0]!].pid,
          });
          const wall = (performance.now() - t0) / 1000;
          const used = layout.busy.map((p, i) => processCpuSeconds(servers[p].pid) - cpu0[i]!);
          const cpu = used.reduce((a, b) => a + b, 0);
          await loader.call('disconnect');
          const m: Measured = {
            layout: layout.name, load: load.name, relay,
            serverSideCpuPercent: (cpu / wall) * 100,
            cpuPercentByProcess: Object.fromEntries(layout.busy.map((p, i) => [p, Math.round((used[i]! / wall) * 1000) / 10])),
            framesPerServerSideCpuSecond: (relay.framesPerSec * wall) / Math.max(cpu, 0.01),
          };
          results.push(m);
          ctx.log(`${load.name} / ${layout.name}: ${Math.round(relay.framesPerSec)} frames/s, p50 ${relay.latencyMs.p50.toFixed(3)} ms, ` +
            `p99 ${relay.latencyMs.p99.toFixed(3)} ms, server-side CPU % ${JSON.stringify(m.cpuPercentByProcess)}`);
        }
      }
    }
    const settings = [
      `every instance: \`TABMESH_RATE_LIMIT_PER_SEC=${BENCH_RATE_LIMIT}\` (default 100; the load must not be throttled), \`TABMESH_TOKEN_TTL_SECONDS=3600\``,
      'server-side processes pinned to CPU 0, load process to CPU 1 (`taskset`)',
    ];
    return { rows: rows(results), settings, notes: notes(plan), details: { plan, layouts: LAYOUTS, loads: LOADS, results } };
  } finally {
    await Promise.all(started.map((c) => c.stop()));
    await redis.stop();
  }
}

/** Best round per (load, layout): other work on shared cores only ever slows a round down. */
function rows(results: Measured[]): BenchRow[] {
  const out: BenchRow[] = [];
  for (const load of LOADS) {
    const best = LAYOUTS.map((l) => results.filter((r) => r.load === load.name && r.layout === l.name)
      .reduce((a, b) => (b.relay.framesPerSec > a.relay.framesPerSec ? b : a)));
    const base = best[0]!.relay.framesPerSec;
    for (const m of best) {
      out.push({
        load: `${load.name} (${load.clients} clients × ${load.window} in flight)`,
        layout: m.layout,
        'frames/s': m.relay.framesPerSec,
        'vs one instance': `${(m.relay.framesPerSec / base).toFixed(2)}x`,
        'p50 ms': +m.relay.latencyMs.p50.toFixed(3),
        'p99 ms': +m.relay.latencyMs.p99.toFixed(3),
        'server-side CPU %': m.serverSideCpuPercent,
        'frames per server-side CPU-s': m.framesPerServerSideCpuSecond,
      });
    }
  }
  return out;
}

function notes(plan: { rounds: number; warmupMs: number; durationMs: number }): string[] {
  return [
    'Closed-loop signaling relay (offer/candidate frames) between client pairs, as in the signaling benchmark; in the spread layout every pair has one client on each instance, so every frame crosses Redis pub/sub.',
    `${plan.warmupMs} ms warm-up, ${plan.durationMs} ms measured, best of ${plan.rounds} alternating rounds (all rounds in the JSON); latency is one-way send-to-receive on the load process's clock.`,
    PINNED_CPUS
      ? `All server-side processes (instances and redis-server) pinned to CPU ${PINNED_CPUS.server}, the load process to CPU ${PINNED_CPUS.load}: the layouts compare cost at equal server CPU, not scale-out.`
      : 'Processes not pinned (fewer than two cores).',
    'Server-side CPU is user+system of the layout’s instances plus redis-server over the whole relay call (warm-up and drain included); frames per server-side CPU-s assumes the measured rate over that call.',
  ];
}
