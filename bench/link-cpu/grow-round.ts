import type { NodeChild } from '../lib/child-process.ts';
import { sumCounts } from '../lib/counts.ts';
import { framesHandled, getWithKey, relayedByType, relayedSince } from '../lib/server-metrics.ts';
import { processCpuSecondsPrecise } from '../lib/proc-stats.ts';
import { cpuSampler, idleRate } from './cpu-sampler.ts';
import { REPORT_GAP_MS } from '../../web/mesh/link/link-reporter.ts';

/**
 * Each peer after the first is introduced by the server to one peer already in the mesh: peer i
 * links to peer ⌊(i − 1) / f⌋ through the server, with f the smallest fan-out that keeps the tree
 * at depth 2 (1 + f + f² ≥ n: 4 for 20 peers), so its diameter is 4, what routes over peers
 * reach, and every other pair can reach each other on the routed tier. This is the join a
 * server that only introduces needs: one brokered link per peer.
 */
export function introducerFanout(n: number): number {
  let f = 2;
  while (1 + f + f * f < n) f++;
  return f;
}

interface ConnectResult { openMs: number[]; failed: string[]; sent: Record<string, number>; lastOpenAt: number }

/** One round of the growing mesh, on one server. `frames`: relayed negotiation frames by type (peerjs: sent by its peers, heartbeats apart). */
export interface GrowRound {
  links: number; failed: number; firstLinks: number; laterLinks: number; cpuS: number; windowS: number;
  /** The server's CPU rate (s per s) with these peers joined and nothing negotiating, and how long the link phases lasted (s). */
  idleRate: number; linkWindowS: number;
  phaseCpuS: { join: number; first: number; wait: number; later: number };
  frames: Record<string, number>; laterFrames: Record<string, number>; allFrames: number; heartbeats: number;
  routedEnds: number; routedMissing: number; openMs: number[]; laterOpenMs: number[]; failures: string[];
  /** Phase boundaries on the monotonic clock in µs (the clock --cpu-prof uses), to cut a server profile by phase. */
  marksUs: { start: number; joined: number; firstEnd: number; waited: number; end: number };
}

// Epoch ms → monotonic µs, for profiles.
const hr0 = Number(process.hrtime.bigint() / 1000n);
const epoch0 = Date.now();
const monoUs = (epochMs: number) => hr0 + (epochMs - epoch0) * 1000;

/**
 * `watch`: the round runs in another mesh (agent key `key`) whose topology someone reads: one
 * `GET /api/topology` with `readerKey` before the first join, so every peer reports each link
 * change (a hub open on the topology view), against the default where nobody reads it.
 */
export interface GrowTarget { kind: 'tabmesh' | 'peerjs'; url: string; pid: number; adminKey: string; watch?: { key: string; readerKey: string } }

const sumSent = (results: ConnectResult[]) => sumCounts(results.map((r) => r.sent));

/**
 * The growing mesh (issue 18): `names` join; each is introduced through the server (one link
 * to a peer already in the mesh); once every remaining pair reaches each other over peers (tabmesh: the `routed` tier,
 * waited for with a timeout), the remaining pairs open DataChannels (`mesh.connect`; tabmesh
 * negotiates them over peers). Server CPU is taken over the whole round: from the first join to
 * the last link open (joins, both phases, the wait, link reports at the default interval), less
 * the time first-phase connects spent waiting for a link that failed.
 */
export async function growRound(hosts: NodeChild[], t: GrowTarget, names: string[]): Promise<GrowRound> {
  const { first, later } = growPairs(names);
  const tabmesh = t.kind === 'tabmesh';
  const before = tabmesh ? { relayed: await relayedByType(t.url, t.adminKey), all: await framesHandled(t.url, t.adminKey) } : undefined;
  // Outside the measured window: the watch it starts outlasts the round (60 s).
  if (t.watch) await readTopology(t.url, t.watch.readerKey);
  const sampler = cpuSampler(t.pid);
  const w0 = Date.now();
  // The default link-report interval (10 s), as a default install runs.
  await Promise.all(hosts.map((h, k) => h.call('start', {
    kind: t.kind, url: t.url, names: names.filter((_, i) => i % hosts.length === k), all: names, linkReportMs: 10_000, ...(t.watch ? { key: t.watch.key } : {}),
  }, 60_000)));
  await Promise.all(hosts.map((h) => h.call('ready', { all: names }, 30_000)));
  // The joins' trailing work (deferred store writes, garbage) is join work: let the server settle
  // before the first link, or it lands in the link phases (same rule for both servers).
  await settle(t.pid);
  // What this server spends anyway with these peers connected (heartbeats, sweeps, pings): 1 s idle.
  const idle = await idleRate(t.pid, 1000);
  const joined = Date.now();
  const r1 = await Promise.all(hosts.map((h) => h.call<ConnectResult>('connect', { links: first, timeoutMs: 20_000 }, 60_000)));
  const firstDone = Date.now();
  let routedEnds = 0;
  let routedMissing = 0;
  if (tabmesh) {
    for (const r of await Promise.all(hosts.map((h) => h.call<{ ends: number; missing: number }>('routed', { pairs: later, timeoutMs: 20_000 }, 60_000)))) {
      routedEnds += r.ends;
      routedMissing += r.missing;
    }
  }
  // The benchmark's own /metrics read is server work inside the wait: measured and taken out.
  const readCpu0 = processCpuSecondsPrecise(t.pid);
  const mid = tabmesh ? await relayedByType(t.url, t.adminKey) : undefined;
  const readCpuS = processCpuSecondsPrecise(t.pid) - readCpu0;
  const waited = Date.now();
  const r2 = await Promise.all(hosts.map((h) => h.call<ConnectResult>('connect', { links: later, timeoutMs: 20_000, direct: true }, 60_000)));
  const w1 = Math.max(waited, ...r2.map((x) => x.lastOpenAt));
  // Watched, the last links' reports come up to REPORT_GAP_MS after them: that tail is link work too.
  if (t.watch) await new Promise((r) => setTimeout(r, Math.max(0, w1 + REPORT_GAP_MS + 500 - Date.now())));
  const tailEnd = t.watch ? Date.now() : w1;
  sampler.stop();
  // As in the from-nothing rounds, a failed link's timeout is not work: the first phase ends when its last link opened.
  const firstEnd = Math.max(joined, ...r1.map((x) => x.lastOpenAt));
  const cpu = (a: number, b: number) => sampler.at(b) - sampler.at(a);
  const phaseCpuS = {
    join: cpu(w0, joined), first: cpu(joined, firstEnd), wait: Math.max(0, cpu(firstDone, waited) - readCpuS),
    // The tail counts only what it adds to the server's idle rate.
    later: cpu(waited, w1) + Math.max(0, cpu(w1, tailEnd) - idle * ((tailEnd - w1) / 1000)),
  };
  const out: GrowRound = {
    links: 0, failed: 0, firstLinks: 0, laterLinks: 0, cpuS: phaseCpuS.join + phaseCpuS.first + phaseCpuS.wait + phaseCpuS.later,
    windowS: (w1 - w0 - (firstDone - firstEnd)) / 1000, phaseCpuS,
    idleRate: idle, linkWindowS: ((firstEnd - joined) + (w1 - firstDone)) / 1000,
    frames: {}, laterFrames: {}, allFrames: 0, heartbeats: 0, routedEnds, routedMissing, openMs: [], laterOpenMs: [], failures: [],
    marksUs: { start: monoUs(w0), joined: monoUs(joined), firstEnd: monoUs(firstEnd), waited: monoUs(waited), end: monoUs(w1) },
  };
  for (const [i, res] of [...r1, ...r2].entries()) {
    out.links += res.openMs.length;
    out.failed += res.failed.length;
    if (i < r1.length) out.firstLinks += res.openMs.length;
    else (out.laterLinks += res.openMs.length, out.laterOpenMs.push(...res.openMs));
    out.openMs.push(...res.openMs);
    out.failures.push(...res.failed.slice(0, 3));
  }
  if (before && mid) {
    const after = await relayedByType(t.url, t.adminKey);
    out.frames = Object.fromEntries(relayedSince(before.relayed, after));
    out.laterFrames = Object.fromEntries(relayedSince(mid, after));
    out.allFrames = (await framesHandled(t.url, t.adminKey)) - before.all;
  } else {
    // A peer's `sent` counts accumulate over the round: the second reading holds both phases.
    const s1 = sumSent(r1);
    const s2 = sumSent(r2);
    out.heartbeats = s2.HEARTBEAT ?? 0;
    for (const [type, v] of Object.entries(s2)) {
      out.allFrames += v;
      if (type === 'HEARTBEAT') continue;
      out.frames[type] = v;
      if (v - (s1[type] ?? 0) > 0) out.laterFrames[type] = v - (s1[type] ?? 0);
    }
  }
  await Promise.all(hosts.map((h) => h.call('stop', undefined, 20_000)));
  return out;
}

async function readTopology(url: string, key: string): Promise<void> {
  const res = await getWithKey(url, key, '/api/topology');
  if (!res.ok) throw new Error(`GET /api/topology: ${res.status}`);
  await res.arrayBuffer();
}

/** Waits until the server spends under 1 % of a core over 200 ms (at most 3 s). */
async function settle(pid: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    const c0 = processCpuSecondsPrecise(pid);
    await new Promise((r) => setTimeout(r, 200));
    if (processCpuSecondsPrecise(pid) - c0 < 0.002) return;
  }
}

/** The first links (each peer's introduction, through the server: see introducerFanout) and the later ones (every other pair). */
export function growPairs(names: string[]): { first: Array<[string, string]>; later: Array<[string, string]> } {
  const n = names.length;
  const first: Array<[string, string]> = [];
  const linked = new Set<string>();
  const f = introducerFanout(n);
  for (let i = 1; i < n; i++) {
    const pair: [string, string] = [names[i]!, names[Math.floor((i - 1) / f)]!];
    linked.add([...pair].sort().join(' '));
    first.push(pair);
  }
  const later: Array<[string, string]> = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (!linked.has([names[i]!, names[j]!].sort().join(' '))) later.push([names[i]!, names[j]!]);
  return { first, later };
}
