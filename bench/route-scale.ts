import { loadavg } from 'node:os';
import { loadConfig } from '../server/config.ts';
import { createTabmeshServer, type TabmeshServer } from '../server/create-server.ts';
import { createLogger } from '../server/ops/logger.ts';
import { generateIdentity } from '../protocol/index.ts';
import { apiKeyTokenSource } from '../web/mesh/signaling/token-source.ts';
import type { BenchContext, BenchResult, BenchRow } from './lib/bench-types.ts';
import { interleave } from './lib/interleave.ts';
import { summarize } from './lib/stats.ts';

const KEY = 'bench-route-scale-agent-key-0123456789';
const SKILLS = 100;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** Runs `task(i)` for i < count with at most `concurrency` at once. */
async function forEachLimited(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** A peer on the hub without a network socket: hello, then wait for welcome. */
function attach(server: TabmeshServer, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const conn = server.relay.accept({
      send: (d) => (d.startsWith('{"type":"welcome"') ? resolve() : undefined),
      close: (code, reason) => reject(new Error(`closed ${code} ${reason}`)),
      bufferedAmount: 0,
    }, { remoteAddress: '127.0.0.1' });
    const hello = JSON.stringify({ type: 'hello', token });
    conn.message(hello, hello.length);
  });
}

/** One request to `path`; milliseconds. */
async function timeRequest(server: TabmeshServer, path: string, token: string): Promise<number> {
  const t0 = performance.now();
  const res = await server.app.request(path, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return performance.now() - t0;
}

/**
 * Skill routing and membership at mesh scale (issue 18: `/api/route` stays fast at 10,000 peers):
 * an in-process server (memory store) with `n` connected peers (key-derived ids, real tokens,
 * in-process sockets), each with one registered agent offering `echo` and one of 100 other
 * skills; then sequential `GET /api/route` and `GET /api/peers` through the app, interleaved.
 */
async function measure(n: number, calls: number, ctx: BenchContext): Promise<BenchRow[]> {
  const config = loadConfig({ TABMESH_API_KEYS: `agent:${KEY}`, TABMESH_MAX_PEERS_PER_MESH: String(n + 10), LOG_LEVEL: 'error' });
  const server = await createTabmeshServer({
    config, secrets: { apiKeys: config.apiKeys, jwtSecret: 'bench-route-scale-secret-0123456789abcdef' },
    logger: createLogger('error'), sweepIntervalMs: 0,
  });
  server.setReadiness('ready');
  const viaApp = ((input: string, init?: RequestInit) => server.app.request(input, init)) as typeof fetch;
  try {
    const tokens: string[] = [];
    await forEachLimited(n, 64, async (i) => {
      const { identity } = await generateIdentity();
      tokens[i] = await apiKeyTokenSource({ url: 'http://in-process', key: KEY, peerId: identity.peerId, identity, fetch: viaApp })();
      await attach(server, tokens[i]!);
      await server.registry.register('default', identity.peerId, { name: 'bench', skills: [{ name: 'echo' }, { name: `skill-${i % SKILLS}` }], capabilities: [], platform: 'node' });
    });
    ctx.log(`${n} peers connected and registered`);
    // The three requests take turns (order reversed every other round), so drift favours none.
    const step = (path: string) => ({ n: calls, sample: () => timeRequest(server, path, tokens[0]!) });
    const t = await interleave({
      route: step('/api/route?skill=skill-7'), routeCommon: step('/api/route?skill=echo'), peers: step('/api/peers?limit=1000'),
    });
    const [route, routeCommon, peers] = [summarize(t.route), summarize(t.routeCommon), summarize(t.peers)];
    const row = (what: string, s: ReturnType<typeof summarize>): BenchRow => ({ peers: n, what, calls: s.count, 'p50 ms': round(s.p50), 'p99 ms': round(s.p99) });
    return [
      row(`GET /api/route, a skill ${n / SKILLS} agents offer`, route),
      row(`GET /api/route, a skill all ${n} offer`, routeCommon),
      row('GET /api/peers?limit=1000 (one page)', peers),
    ];
  } finally {
    await server.shutdown();
  }
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  const sizes = ctx.quick ? [1000] : [1000, 10_000];
  const calls = ctx.quick ? 50 : 200;
  const load = loadavg().map((l) => round(l));
  const rows: BenchRow[] = [];
  for (const n of sizes) rows.push(...(await measure(n, calls, ctx)));
  return {
    rows,
    settings: [
      'the server runs in the benchmark process (createTabmeshServer, requests through `app.request`, no network), in-memory store (`npm start` uses the embedded store), TTL sweeping off (`sweepIntervalMs: 0`), `TABMESH_MAX_PEERS_PER_MESH` = peers + 10 (default 256)',
      'peers attach through in-process sockets (hello → welcome) and register one agent each directly in the registry',
    ],
    notes: [
      `load average at start ${load.join(' ')}, at end ${loadavg().map((l) => round(l)).join(' ')}`,
      'sequential requests, the three kinds interleaved: the route handler\'s own cost, no network',
    ],
  };
}
