import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, startNodeChild, type NodeChild } from '../lib/child-process.ts';
import type { MemorySample } from '../lib/memory-probe.ts';
import type { ServerTarget } from './load-types.ts';

export type ServerKind = 'tabmesh' | 'peerjs' | 'bare';

/** A server process under test, with the memory probe preloaded. */
export interface ServerUnderTest {
  kind: ServerKind;
  pid: number;
  /** How the load process reaches it; tabmesh spreads clients over its meshes `peersPerMesh` at a time. */
  target(peersPerMesh: number): ServerTarget;
  /** Post-GC memory readings from inside the server. */
  memory(samples?: number): Promise<MemorySample[]>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** tabmesh: one agent API key per mesh. */
  meshes: number;
  /** tabmesh: TABMESH_MAX_PEERS_PER_MESH; peerjs: concurrent_limit (its whole-server cap). */
  maxPeers: number;
  fdLimit: number;
  /**
   * tabmesh: issue tokens from a second instance sharing the JWT secret and keys, so the measured
   * process only ever holds sockets (its heap is not pre-grown by HTTP work before a memory baseline).
   */
  separateTokenIssuer?: boolean;
}

/** The tabmesh per-socket rate limit during benchmarks: its maximum, so it never throttles the load. */
export const BENCH_RATE_LIMIT = 1_000_000;

const LISTENING = /listening on https?:\/\/[^:\s]+:(\d+)/;
// BENCH_SERVER_NODE_ARGS adds node flags to both servers, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
const PROBE_ARGS = [
  '--expose-gc', '--import', pathToFileURL(join(ROOT, 'dist/bench/lib/memory-probe.js')).href,
  ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
];

/** With two or more cores the measured server and the load process each get their own. */
export const PINNED_CPUS = cpus().length >= 2 ? { server: 0, load: 1 } : undefined;

/** Starts a Node server script (probed and pinned unless `helper`) and returns its loopback base URL. */
async function launch(script: string, env: Record<string, string>, fdLimit: number, helper = false): Promise<{ child: NodeChild; url: string }> {
  const { child, match } = await startNodeChild({
    script, env, fdLimit, readyPattern: LISTENING,
    nodeArgs: helper ? [] : PROBE_ARGS,
    ...(helper ? {} : { cpu: PINNED_CPUS?.server }),
  });
  return { child, url: `http://127.0.0.1:${match![1]}` };
}

const probeOf = (child: NodeChild) => (samples?: number) => child.call<MemorySample[]>('memory', { samples }, 60_000);

/** A tabmesh configuration for a benchmark: fresh data dir, one agent key per mesh, no rate limit in the way. */
export function tabmeshBenchConfig(opts: Pick<ServerOptions, 'meshes' | 'maxPeers'>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tabmesh-bench-'));
  const keys = Array.from({ length: opts.meshes }, (_, i) => ({ key: `bench-${i}-${randomBytes(12).toString('hex')}`, mesh: `bench-${i}` }));
  const env = {
    HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', TABMESH_DATA_DIR: dataDir,
    TABMESH_API_KEYS: keys.map((k) => `agent:${k.key}:${k.mesh}`).join(','),
    TABMESH_JWT_SECRET: randomBytes(32).toString('hex'),
    TABMESH_TOKEN_TTL_SECONDS: '3600',
    TABMESH_RATE_LIMIT_PER_SEC: String(BENCH_RATE_LIMIT),
    TABMESH_MAX_PEERS_PER_MESH: String(opts.maxPeers),
  };
  return { env, apiKeys: keys.map((k) => k.key), removeDataDir: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/** Starts the compiled Node entry (dist/server/main.node.js) on a random loopback port. */
export async function startTabmesh(opts: ServerOptions): Promise<ServerUnderTest> {
  const { env, apiKeys, removeDataDir } = tabmeshBenchConfig(opts);
  const main = await launch('dist/server/main.node.js', env, opts.fdLimit);
  const issuer = opts.separateTokenIssuer ? await launch('dist/server/main.node.js', env, 1024, true) : main;
  return {
    kind: 'tabmesh', pid: main.child.pid, memory: probeOf(main.child),
    target: (peersPerMesh) => ({ kind: 'tabmesh', url: main.url, tokenUrl: issuer.url, apiKeys, peersPerKey: peersPerMesh }),
    async stop() {
      await Promise.all([main.child.stop(), issuer.child.stop()]);
      removeDataDir();
    },
  };
}

/** Starts peerjs-server (npm `peer`, bench/signaling/peerjs-entry.ts) on a random loopback port. */
export async function startPeerjs(opts: ServerOptions): Promise<ServerUnderTest> {
  const { child, url } = await launch('dist/bench/signaling/peerjs-entry.js', { PORT: '0', PEERJS_CONCURRENT_LIMIT: String(opts.maxPeers) }, opts.fdLimit);
  return { kind: 'peerjs', pid: child.pid, memory: probeOf(child), target: () => ({ kind: 'peerjs', url }), stop: () => child.stop() };
}

/** Starts the bare ws relay (bench/signaling/bare-relay-entry.ts), the floor for any Node + ws relay. */
export async function startBare(opts: ServerOptions): Promise<ServerUnderTest> {
  const { child, url } = await launch('dist/bench/signaling/bare-relay-entry.js', { PORT: '0' }, opts.fdLimit);
  return { kind: 'bare', pid: child.pid, memory: probeOf(child), target: () => ({ kind: 'bare', url }), stop: () => child.stop() };
}

const STARTERS: Record<ServerKind, (opts: ServerOptions) => Promise<ServerUnderTest>> = { tabmesh: startTabmesh, peerjs: startPeerjs, bare: startBare };

/** Starts a server of `kind`. */
export const startServer = (kind: ServerKind, opts: ServerOptions) => STARTERS[kind](opts);
