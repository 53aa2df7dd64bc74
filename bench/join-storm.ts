import { loadavg } from 'node:os';
import WebSocket from 'ws';
import { generateIdentity } from '../protocol/index.ts';
import { apiKeyTokenSource } from '../web/mesh/signaling/token-source.ts';
import type { BenchContext, BenchResult, BenchRow } from './lib/bench-types.ts';
import { processCpuSeconds } from './lib/proc-stats.ts';
import { median, summarize } from './lib/stats.ts';
import { startTabmesh } from './signaling/servers.ts';

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const PRESENCE = ['{"type":"peer-joined"', '{"type":"peer-left"', '{"type":"presence"'];
/** Bounds of every loop here: no storm may take longer, and presence counts as settled after this much quiet. */
const STORM_LIMIT_MS = 60_000;
const QUIET_MS = 1500;
const SETTLE_LIMIT_MS = 15_000;

interface StormClient {
  ws: WebSocket;
  welcomedAt?: number;
  welcomePeers: number;
  presenceFrames: number;
}

/** Runs `task(i)` for i < count with at most `concurrency` at once. */
async function forEachLimited(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Resolves once `done()` holds, checking on every frame tick; rejects after `limitMs`. */
function until(done: () => boolean, limitMs: number, what: string): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (done()) return resolve();
      if (Date.now() - started > limitMs) return reject(new Error(`${what} not reached within ${limitMs} ms`));
      setTimeout(check, 20);
    };
    check();
  });
}

/**
 * `n` signaling clients, key-derived ids, join one mesh of a fresh server at once (256 sockets
 * in flight), speaking the real protocol (hello → welcome). Measured: time until every client was
 * welcomed, presence frames each client got until presence went quiet, the largest welcome, and
 * the server's RSS and CPU per peer (post-GC, tokens issued by a second instance).
 */
async function storm(n: number, ctx: BenchContext): Promise<BenchRow> {
  const server = await startTabmesh({ meshes: 1, maxPeers: n + 16, fdLimit: n + 1024, separateTokenIssuer: true });
  const clients: StormClient[] = [];
  try {
    const target = server.target(n);
    if (target.kind !== 'tabmesh') throw new Error('expected a tabmesh target');
    const tokens: string[] = [];
    await forEachLimited(n, 32, async (i) => {
      const { identity } = await generateIdentity();
      tokens[i] = await apiKeyTokenSource({ url: target.tokenUrl, key: target.apiKeys[0]!, peerId: identity.peerId, identity, fetch })();
    });
    const wsUrl = `${target.url.replace(/^http/, 'ws')}/ws`;
    const before = median((await server.memory()).map((s) => s.rss));
    const cpuBefore = processCpuSeconds(server.pid);
    const load = loadavg()[0]!;
    ctx.log(`${n} clients: tokens ready, storming`);
    let lastPresence = performance.now();
    const started = performance.now();
    await forEachLimited(n, 256, (i) => new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
      const c: StormClient = { ws, welcomePeers: 0, presenceFrames: 0 };
      clients[i] = c;
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (c.welcomedAt === undefined && text.startsWith('{"type":"welcome"')) {
          c.welcomedAt = performance.now();
          c.welcomePeers = (JSON.parse(text) as { peers: unknown[] }).peers.length;
          return resolve();
        }
        if (PRESENCE.some((p) => text.startsWith(p))) (c.presenceFrames++, (lastPresence = performance.now()));
      });
      ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', token: tokens[i] })));
      ws.once('error', reject);
      ws.once('close', (code) => c.welcomedAt === undefined && reject(new Error(`client ${i} closed ${code} before welcome`)));
    }));
    await until(() => clients.every((c) => c.welcomedAt !== undefined), STORM_LIMIT_MS, 'every welcome');
    const allWelcomedMs = Math.max(...clients.map((c) => c.welcomedAt!)) - started;
    await until(() => performance.now() - lastPresence > QUIET_MS, SETTLE_LIMIT_MS, 'quiet presence');
    const cpu = processCpuSeconds(server.pid) - cpuBefore;
    const after = median((await server.memory()).map((s) => s.rss));
    const frames = summarize(clients.map((c) => c.presenceFrames));
    const total = clients.reduce((sum, c) => sum + c.presenceFrames, 0);
    ctx.log(`${n} clients: all welcomed in ${(allWelcomedMs / 1000).toFixed(2)} s, presence frames/peer p50 ${frames.p50} max ${frames.max}`);
    return {
      peers: n,
      'all welcomed s': round(allWelcomedMs / 1000),
      'presence frames/peer mean': round(total / n, 1),
      'presence frames/peer p99': frames.p99,
      'presence frames/peer max': frames.max,
      'presence frames total': total,
      'welcome peers max': Math.max(...clients.map((c) => c.welcomePeers)),
      'server CPU s': round(cpu),
      'server RSS/peer KB': round((after - before) / n / 1024, 1),
      'load avg (1 min) at start': round(load),
    };
  } finally {
    for (const c of clients) c?.ws.terminate();
    await server.stop();
  }
}

/** Join storms of growing size into one mesh: presence must stay flat per peer (issue 18). */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  const counts = ctx.quick ? [100, 500] : [100, 500, 1000, 2000];
  const rows: BenchRow[] = [];
  for (const n of counts) rows.push(await storm(n, ctx));
  return {
    rows,
    settings: [
      'server process per row: `TABMESH_MAX_PEERS_PER_MESH` = peers + 16 (default 256), `TABMESH_RATE_LIMIT_PER_SEC=1000000` (default 100), `TABMESH_TOKEN_TTL_SECONDS=3600`, open-file limit raised to peers + 1024, pinned to CPU 0',
      'tokens issued beforehand by a second server process on the same data dir, so token issue is not in the storm',
      'raw signaling clients (hello only, no offers, no link reports), not mesh peers',
    ],
    notes: [
      'one fresh server per row (Node entry, presence interval 500 ms, rate limit lifted); clients in the benchmark process, 256 handshakes in flight',
      'presence frames: peer-joined, peer-left and presence frames a client got from its hello until presence was quiet for 1.5 s',
      `server RSS/peer: post-GC RSS after the storm minus before, over peers (tokens from a second instance); load average at the end ${loadavg().map((l) => round(l)).join(' ')}`,
    ],
  };
}
