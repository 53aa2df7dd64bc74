import { loadConfig } from '../../server/config.ts';
import { createTabmeshServer } from '../../server/create-server.ts';
import { createLogger } from '../../server/ops/logger.ts';
import { generateIdentity } from '../../protocol/index.ts';
import { createMesh, type Mesh } from '../../web/mesh/mesh.ts';
import { apiKeyTokenSource } from '../../web/mesh/signaling/token-source.ts';
import { liveKBPer } from '../lib/live-memory.ts';
import { percentile } from '../lib/stats.ts';
import { benchHost } from '../mesh/bench-peer.ts';
import { createMemoryNet } from './memory-platform.ts';
import { bfsSources } from './overlay-model.ts';

/**
 * The mesh core itself at scale: `n` real `createMesh` peers and a real in-process server, joined
 * one after another over the in-memory platform (memory-platform.ts: no ICE, DTLS or timing),
 * then a tenth leaving at once. What is measured is what the peers' own code built: their open
 * links, the server frames and DataChannel messages it took.
 */
export interface CoreStats {
  connected: boolean;
  diameterAtLeast: number;
  meanHops: number;
  links: { min: number; p50: number; max: number };
}

export interface CoreRun {
  joined: CoreStats;
  churned: CoreStats;
  joinSeconds: number;
  /** Server frames sent per join (welcome, presence, relayed negotiation), DataChannel messages per join. */
  perJoin: { serverFrames: number; channelMessages: number; byType: Record<string, number>; channelByType: Record<string, number>; channelBytes: number };
  perLeave: { serverFrames: number; channelMessages: number };
  leavers: number;
  /** This process (all mesh cores and the server): CPU seconds until the joins were quiet; its largest RSS, sampled each second until the leaves were quiet, MB. */
  joinCpuSeconds: number;
  peakRssMB: number;
  /** Heap and external memory still held once the joins were quiet, after a full GC (needs `--expose-gc`), kB per mesh core (the server's share included). */
  liveKBPerCore?: number;
  /** Mesh `error` events by code. */
  errors: Record<string, number>;
  /**
   * From a joiner's `welcome` until a DataChannel to every peer it links to from the welcome list
   * (the first `maxLinks` listed) is open, ms; `missing`: joiners for which some never opened.
   */
  welcomeLinks: { p50: number; p95: number; max: number; missing: number };
}

const KEY = 'bench-overlay-core-agent-key-0123456789';

function graphStats(meshes: Mesh[], rand: () => number, sources: number): CoreStats {
  const adj = new Map<string, Set<string>>();
  for (const m of meshes) adj.set(m.peerId!, new Set());
  for (const m of meshes) {
    for (const l of m.links()) {
      if (l.state !== 'open' || l.tier === 'fallback' || l.tier === 'routed' || !adj.has(l.peerId)) continue;
      adj.get(m.peerId!)!.add(l.peerId);
      adj.get(l.peerId)!.add(m.peerId!);
    }
  }
  const ids = [...adj.keys()];
  let worst = 0;
  let sum = 0;
  let pairs = 0;
  let connected = true;
  for (let s = 0; s < sources; s++) {
    const start = ids[Math.floor(rand() * ids.length)]!;
    const dist = new Map([[start, 0]]);
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      const d = dist.get(queue[i]!)!;
      for (const n of adj.get(queue[i]!)!) if (!dist.has(n)) (dist.set(n, d + 1), queue.push(n));
    }
    if (dist.size < ids.length) connected = false;
    for (const d of dist.values()) (worst = Math.max(worst, d), (sum += d), pairs++);
  }
  const counts = ids.map((id) => adj.get(id)!.size).sort((a, b) => a - b);
  return { connected, diameterAtLeast: worst, meanHops: sum / Math.max(1, pairs - sources), links: { min: counts[0] ?? 0, p50: counts[Math.ceil(counts.length / 2) - 1] ?? 0, max: counts[counts.length - 1] ?? 0 } };
}

/** Resolves once `activity()` has not changed for `quietMs` (checked every 200 ms), or after `maxMs`. */
async function quiet(activity: () => number, quietMs: number, maxMs: number): Promise<boolean> {
  const t0 = performance.now();
  let last = activity();
  let since = performance.now();
  while (performance.now() - since < quietMs) {
    if (performance.now() - t0 > maxMs) return false;
    await new Promise((r) => setTimeout(r, 200));
    const now = activity();
    if (now !== last) (last = now, (since = performance.now()));
  }
  return true;
}

export async function simulateCore(n: number, maxLinksOf: (i: number) => number, leaving: (i: number) => boolean, rand: () => number, log: (m: string) => void, paced = false): Promise<CoreRun> {
  const config = loadConfig({ TABMESH_API_KEYS: `agent:${KEY}`, TABMESH_MAX_PEERS_PER_MESH: String(n + 10), TABMESH_TOKEN_TTL_SECONDS: '3600', LOG_LEVEL: 'error' });
  const server = await createTabmeshServer({
    config, secrets: { apiKeys: config.apiKeys, jwtSecret: 'bench-overlay-core-secret-0123456789abcdef' },
    logger: createLogger('error'), sweepIntervalMs: 0,
  });
  server.setReadiness('ready');
  const viaApp = ((input: string, init?: RequestInit) => server.app.request(input, init)) as typeof fetch;
  const net = createMemoryNet(server, viaApp);
  const meshes: Mesh[] = [];
  const errors = new Map<string, number>();
  let linkEvents = 0;
  const activity = () => linkEvents + [...net.counts.serverFrames.values()].reduce((a, b) => a + b, 0);
  const welcomeMs: number[] = [];
  const waiting: Array<Set<string>> = [];
  const total = () => ({ serverFrames: [...net.counts.serverFrames.values()].reduce((a, b) => a + b, 0), channelMessages: net.counts.channelMessages });
  const cpu0 = process.cpuUsage();
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => void (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 1000);
  try {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const { identity } = await generateIdentity();
      const mesh = createMesh({
        url: 'http://in-process', platform: net.platform, identity,
        getToken: apiKeyTokenSource({ url: 'http://in-process', key: KEY, fetch: viaApp, identity }),
        host: benchHost, maxLinks: maxLinksOf(i), linkReportMs: 600_000,
      });
      const want = new Set<string>();
      let welcomedAt = 0;
      let linked = () => undefined as void;
      mesh.on('link', (l) => {
        linkEvents++;
        if (l.state !== 'open' || l.tier === 'routed' || l.tier === 'fallback' || !want.delete(l.peerId)) return;
        if (want.size === 0) (welcomeMs.push(performance.now() - welcomedAt), linked());
      });
      mesh.on('error', (e) => void errors.set(e.code, (errors.get(e.code) ?? 0) + 1));
      const welcome = await mesh.start();
      welcomedAt = performance.now();
      for (const p of welcome.peers.slice(0, maxLinksOf(i))) want.add(p);
      waiting.push(want);
      meshes.push(mesh);
      // Paced: the next peer joins once this one's welcome links are open (or after 15 s), so a
      // join is measured on its own rather than in a storm of joins in one busy process.
      if (paced && want.size) await new Promise<void>((resolve) => ((linked = resolve), setTimeout(resolve, 15_000)));
      if ((i + 1) % 100 === 0) log(`${i + 1}/${n} mesh cores joined (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
    if (!(await quiet(activity, 2000, 120_000))) log('joins: still active after 120 s');
    const joinSeconds = (performance.now() - t0) / 1000 - 2;
    const joinedTotals = total();
    const { user, system } = process.cpuUsage(cpu0);
    const joinCpuSeconds = (user + system) / 1e6;
    const liveKBPerCore = liveKBPer(n);
    const perPeer = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]).map(([t, c]) => [t, Math.round((c / n) * 100) / 100]));
    const byType = perPeer(net.counts.serverFrames);
    const channelByType = perPeer(net.counts.channelByType);
    const channelBytes = net.counts.channelBytes / n;
    const joined = graphStats(meshes, rand, bfsSources(n));
    const sortedMs = Float64Array.from(welcomeMs).sort();
    const welcomeLinks = { p50: percentile(sortedMs, 50), p95: percentile(sortedMs, 95), max: sortedMs[sortedMs.length - 1] ?? NaN, missing: waiting.filter((w) => w.size > 0).length };
    const leavers = meshes.filter((_, i) => leaving(i));
    await Promise.all(leavers.map((m) => m.stop()));
    const staying = meshes.filter((_, i) => !leaving(i));
    if (!(await quiet(activity, 2000, 120_000))) log('leaves: still active after 120 s');
    const after = total();
    return {
      joined, churned: graphStats(staying, rand, bfsSources(n)), joinSeconds,
      perJoin: { serverFrames: joinedTotals.serverFrames / n, channelMessages: joinedTotals.channelMessages / n, byType, channelByType, channelBytes },
      perLeave: { serverFrames: (after.serverFrames - joinedTotals.serverFrames) / leavers.length, channelMessages: (after.channelMessages - joinedTotals.channelMessages) / leavers.length },
      leavers: leavers.length, errors: Object.fromEntries(errors), welcomeLinks,
      joinCpuSeconds, liveKBPerCore, peakRssMB: Math.max(peakRss, process.memoryUsage().rss) / 1e6,
    };
  } finally {
    clearInterval(rssTimer);
    await Promise.all(meshes.map((m) => m.stop()));
    await server.shutdown();
  }
}
