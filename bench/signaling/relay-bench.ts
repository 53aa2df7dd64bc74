import type { NodeChild } from '../lib/child-process.ts';
import type { ConnectResult, RelayResult } from './load-types.ts';
import { windowFor, type SignalingPlan } from './plan.ts';
import { startServer, type ServerKind, type ServerUnderTest } from './servers.ts';

/** The servers measured for idle memory: the product and its baseline. */
export const SERVER_KINDS: ServerKind[] = ['tabmesh', 'peerjs'];
/** Relay also measures the bare ws relay: the floor any Node + ws relay pays per frame. */
export const RELAY_KINDS: ServerKind[] = [...SERVER_KINDS, 'bare'];

/** Per server and client count: every round's result and the best (highest-throughput) one. */
export type RelayResults = Record<ServerKind, Record<number, { best: RelayResult; rounds: RelayResult[] }>>;

/**
 * Relay throughput and latency for every client count against both servers, alternating which
 * server goes first each round so drifting background load on the shared cores hits both alike.
 */
export async function measureRelay(loader: NodeChild, plan: SignalingPlan, log: (m: string) => void): Promise<RelayResults> {
  const maxClients = Math.max(...plan.clientCounts);
  const servers: ServerUnderTest[] = [];
  const runs = new Map<string, RelayResult[]>();
  try {
    for (const kind of RELAY_KINDS) servers.push(await startServer(kind, { meshes: 1, maxPeers: maxClients, fdLimit: maxClients + 1024 }));
    for (let round = 0; round < plan.rounds; round++) {
      for (const clients of plan.clientCounts) {
        for (const server of round % 2 ? [...servers].reverse() : servers) {
          await loader.call('prepare', { target: server.target(clients), count: clients, idPrefix: `r${round}-${clients}` });
          const connected = await loader.call<ConnectResult>('connect');
          const result = await loader.call<RelayResult>('relay', {
            window: windowFor(plan, clients), warmupMs: plan.warmupMs, durationMs: plan.durationMs, serverPid: server.pid,
          });
          await loader.call('disconnect');
          log(`relay ${server.kind} ${clients} clients (connected in ${connected.seconds.toFixed(1)} s): ` +
            `${Math.round(result.framesPerSec)} frames/s, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms, ` +
            `server CPU ${Math.round(result.serverCpuPercent)} %, load CPU ${Math.round(result.loaderCpuPercent)} %`);
          const key = `${server.kind}/${clients}`;
          runs.set(key, [...(runs.get(key) ?? []), result]);
        }
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  const out = {} as RelayResults;
  for (const kind of RELAY_KINDS) {
    out[kind] = {};
    for (const clients of plan.clientCounts) {
      const rounds = runs.get(`${kind}/${clients}`)!;
      // Other work on a shared machine only ever slows a round down, so the best round is the
      // closest estimate of what the server can do; every round stays in the JSON.
      const best = rounds.reduce((a, b) => (b.framesPerSec > a.framesPerSec ? b : a));
      out[kind][clients] = { best, rounds };
    }
  }
  return out;
}
