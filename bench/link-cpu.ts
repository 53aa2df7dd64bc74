import nodeDataChannel from 'node-datachannel';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, BenchResult, BenchRow } from './lib/bench-types.ts';
import { startNodeChild, type NodeChild } from './lib/child-process.ts';
import { cpuSampler, idleRate } from './link-cpu/cpu-sampler.ts';
import { growPairs, growRound, introducerFanout, type GrowRound } from './link-cpu/grow-round.ts';
import { growRows } from './link-cpu/grow-rows.ts';
import { relayedByType, relayedSince } from './lib/server-metrics.ts';
import { summarize } from './lib/stats.ts';
import { MESH_BENCH_KEY } from './mesh/bench-peer.ts';
import { PINNED_CPUS } from './signaling/servers.ts';

const ADMIN_KEY = 'bench-link-cpu-admin-key-0123456789';
// A second mesh whose topology is read (watched rounds): its own agent and reader keys.
const WATCHED = { key: 'bench-link-cpu-watched-agent-0123456789', readerKey: 'bench-link-cpu-watched-reader-0123456789' };
const LISTENING = /listening on https?:\/\/[^:\s]+:(\d+)/;
// As in the signaling benchmark: BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles both servers.
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
// Longer than V8's memory-reducer delay (8 s) plus its follow-up GCs.
const WARM_UP_REST_MS = 10_000;
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const load = () => loadavg().map((l) => round(l)).join(' ');
type Kind = 'tabmesh' | 'peerjs';

interface ConnectResult { openMs: number[]; failed: string[]; sent: Record<string, number>; lastOpenAt: number }

/** Totals per server over its rounds. */
interface Tally { links: number; failed: number; cpuS: number; idleS: number; windowS: number; frames: Record<string, number>; heartbeats: number; openMs: number[]; failures: string[] }

const emptyTally = (): Tally => ({ links: 0, failed: 0, cpuS: 0, idleS: 0, windowS: 0, frames: {}, heartbeats: 0, openMs: [], failures: [] });

/**
 * `npm run bench -- link-cpu` (issue 18): server CPU per established DataChannel, tabmesh against
 * peerjs-server brokering the same negotiation in the same run. Each round `peers` peers join one
 * server and then open a full mesh of DataChannels at once (node-datachannel on 127.0.0.1): tabmesh
 * with the real mesh core (`mesh.connect`), peerjs with the PeerJS client's envelopes
 * (bench/link-cpu/peerjs-peer.ts). Server CPU (/proc schedstat of all its threads, sampled every 20 ms) is taken
 * over the formation window only, which ends when the last link that opened did; the same server's idle CPU over 2 s just before, scaled to the window, is shown
 * subtracted too. Rounds alternate between the servers, the order reversed every other round.
 */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  const peers = ctx.quick ? 8 : 20;
  // 8: the growing mesh's ratio sits near its target, so run-to-run noise (a GC landing in one round) matters.
  const rounds = ctx.quick ? 1 : 8;
  const hostsN = 2;
  const loadStart = load();
  const servers: NodeChild[] = [];
  const hosts: NodeChild[] = [];
  try {
    const tm = await startNodeChild({
      script: 'dist/server/main.node.js', readyPattern: LISTENING, nodeArgs: SERVER_NODE_ARGS, ...(PINNED_CPUS ? { cpu: PINNED_CPUS.server } : {}),
      env: {
        PORT: '0', HOST: '127.0.0.1', TABMESH_API_KEYS: `agent:${MESH_BENCH_KEY},admin:${ADMIN_KEY},agent:${WATCHED.key}:watched,admin:${WATCHED.readerKey}:watched`,
        TABMESH_DATA_DIR: mkdtempSync(join(tmpdir(), 'tm-bench-link-cpu-')), LOG_LEVEL: 'warn',
      },
    });
    servers.push(tm.child);
    const pj = await startNodeChild({ script: 'dist/bench/signaling/peerjs-entry.js', readyPattern: LISTENING, nodeArgs: SERVER_NODE_ARGS, env: { PORT: '0' }, ...(PINNED_CPUS ? { cpu: PINNED_CPUS.server } : {}) });
    servers.push(pj.child);
    const target: Record<Kind, { url: string; pid: number }> = {
      tabmesh: { url: `http://127.0.0.1:${tm.match![1]}`, pid: tm.child.pid },
      peerjs: { url: `http://127.0.0.1:${pj.match![1]}`, pid: pj.child.pid },
    };
    for (let h = 0; h < hostsN; h++) {
      hosts.push((await startNodeChild({ script: 'dist/bench/link-cpu/link-host.js', ...(PINNED_CPUS ? { cpu: PINNED_CPUS.load } : {}) })).child);
    }
    const tally: Record<Kind, Tally> = { tabmesh: emptyTally(), peerjs: emptyTally() };
    const windows: Array<{ kind: Kind; fromUs: number; toUs: number }> = [];
    // The growing mesh at two sizes: one introduction per peer is shared by more links in a larger mesh.
    const growSizes = ctx.quick ? [peers] : [peers, 32];
    const grow = new Map(growSizes.map((n) => [n, { tabmesh: [] as GrowRound[], peerjs: [] as GrowRound[] }]));
    // Steady state, the same for both servers: one uncounted growing round each, at each size, so
    // the JIT has compiled what a link takes; then V8's memory reducer, which runs about 8 s after
    // a young process's first full GC (docs/development.md), is let run before the counted rounds.
    for (const size of ctx.quick ? [] : growSizes) {
      for (const kind of ['tabmesh', 'peerjs'] as Kind[]) {
        const names = Array.from({ length: size }, (_, i) => `lu-${kind}-${size}-${String(i).padStart(2, '0')}`);
        await growRound(hosts, { kind, url: target[kind].url, pid: target[kind].pid, adminKey: ADMIN_KEY }, names);
      }
    }
    if (!ctx.quick) await new Promise((r) => setTimeout(r, WARM_UP_REST_MS));
    for (let r = 0; r < rounds; r++) {
      // The growing mesh first (fresh peers each round), then the full mesh from nothing.
      for (const [size, kind] of growSizes.flatMap((n) => ((r % 2 ? ['peerjs', 'tabmesh'] : ['tabmesh', 'peerjs']) as Kind[]).map((k) => [n, k] as const))) {
        const names = Array.from({ length: size }, (_, i) => `lg-${kind}-${size}-${r}-${String(i).padStart(2, '0')}`);
        const g = await growRound(hosts, { kind, url: target[kind].url, pid: target[kind].pid, adminKey: ADMIN_KEY }, names);
        grow.get(size)![kind].push(g);
        ctx.log(`round ${r + 1}/${rounds} ${kind} growing ${size}: ${g.links}/${g.links + g.failed} links (${g.firstLinks} first, ${g.laterLinks} later) in ${g.windowS.toFixed(1)} s, server CPU ${(g.cpuS * 1000).toFixed(0)} ms, later-phase frames ${JSON.stringify(g.laterFrames)}${kind === 'tabmesh' ? `, routed ends missing ${g.routedMissing}/${g.routedEnds}` : ''}`);
      }
      for (const kind of (r % 2 ? ['peerjs', 'tabmesh'] : ['tabmesh', 'peerjs']) as Kind[]) {
        const t = tally[kind];
        const names = Array.from({ length: peers }, (_, i) => `lc-${kind}-${r}-${String(i).padStart(2, '0')}`);
        await Promise.all(hosts.map((h, k) => h.call('start', { kind, url: target[kind].url, names: names.filter((_, i) => i % hostsN === k), all: names }, 60_000)));
        await Promise.all(hosts.map((h) => h.call('ready', { all: names }, 30_000)));
        // Idle rate of this server with these peers connected and nothing negotiating.
        const idle = await idleRate(target[kind].pid, 2000);
        const links: Array<[string, string]> = [];
        for (let i = 0; i < peers; i++) for (let j = i + 1; j < peers; j++) links.push([names[i]!, names[j]!]);
        const before = kind === 'tabmesh' ? await relayedByType(target.tabmesh.url, ADMIN_KEY) : undefined;
        const sampler = cpuSampler(target[kind].pid);
        const hr0 = process.hrtime.bigint();
        const w0 = Date.now();
        const results = await Promise.all(hosts.map((h) => h.call<ConnectResult>('connect', { links, timeoutMs: 20_000 }, 60_000)));
        sampler.stop();
        // The window ends when the last link that opened did (a failed one's timeout is not work).
        const w1 = Math.max(...results.map((x) => x.lastOpenAt));
        const windowS = (w1 - w0) / 1000;
        // Monotonic µs (the clock --cpu-prof timestamps use), to cut a profile down to the windows.
        windows.push({ kind, fromUs: Number(hr0 / 1000n), toUs: Number(hr0 / 1000n) + (w1 - w0) * 1000 });
        const cpu = sampler.at(w1) - sampler.at(w0);
        if (before) {
          for (const [type, n] of relayedSince(before, await relayedByType(target.tabmesh.url, ADMIN_KEY))) t.frames[type] = (t.frames[type] ?? 0) + n;
        }
        for (const res of results) {
          t.links += res.openMs.length;
          t.failed += res.failed.length;
          t.openMs.push(...res.openMs);
          t.failures.push(...res.failed.slice(0, 3));
          for (const [type, n] of Object.entries(res.sent)) {
            if (type === 'HEARTBEAT') t.heartbeats += n;
            else t.frames[type] = (t.frames[type] ?? 0) + n;
          }
        }
        t.cpuS += cpu;
        t.idleS += idle * windowS;
        t.windowS += windowS;
        ctx.log(`round ${r + 1}/${rounds} ${kind}: ${results.reduce((a, x) => a + x.openMs.length, 0)}/${links.length} links in ${windowS.toFixed(1)} s, server CPU ${(cpu * 1000).toFixed(0)} ms (idle ${(idle * 1000).toFixed(1)} ms/s)`);
        await Promise.all(hosts.map((h) => h.call('stop', undefined, 20_000)));
      }
    }
    // The growing mesh again, tabmesh only, in a mesh whose topology someone reads (every link change
    // reported): after all other rounds, so no watch (60 s) is still on when an unwatched round runs.
    const watchedRounds = ctx.quick ? 1 : 4;
    const watched = new Map(growSizes.map((n) => [n, [] as GrowRound[]]));
    for (let r = 0; r < watchedRounds; r++) {
      for (const size of growSizes) {
        const names = Array.from({ length: size }, (_, i) => `lw-${size}-${r}-${String(i).padStart(2, '0')}`);
        const g = await growRound(hosts, { kind: 'tabmesh', url: target.tabmesh.url, pid: target.tabmesh.pid, adminKey: ADMIN_KEY, watch: WATCHED }, names);
        watched.get(size)!.push(g);
        ctx.log(`watched round ${r + 1}/${watchedRounds} growing ${size}: ${g.links}/${g.links + g.failed} links in ${g.windowS.toFixed(1)} s, server CPU ${(g.cpuS * 1000).toFixed(0)} ms`);
      }
    }
    const perLink = (t: Tally, net: boolean) => (((net ? t.cpuS - t.idleS : t.cpuS) * 1000) / Math.max(1, t.links));
    const framesPerLink = (t: Tally) => Object.values(t.frames).reduce((a, b) => a + b, 0) / Math.max(1, t.links + t.failed);
    const byType = (t: Tally) => Object.entries(t.frames).map(([type, n]) => `${type} ${round(n / Math.max(1, t.links + t.failed))}`).join(', ');
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    const T = tally.tabmesh;
    const P = tally.peerjs;
    const row = (metric: string, a: number | string, b: number | string, extra: BenchRow = {}): BenchRow => ({
      metric, tabmesh: a, peerjs: b, 'tabmesh/peerjs': typeof a === 'number' && typeof b === 'number' ? ratio(a, b) : '', ...extra,
    });
    const openT = summarize(T.openMs);
    const openP = summarize(P.openMs);
    return {
      rows: [
        // No target here: every link is brokered by the server on both sides (nothing to route over yet), so this compares per-frame cost.
        row('server CPU per established link, ms', round(perLink(T, false), 3), round(perLink(P, false), 3)),
        row('  the same, idle CPU subtracted, ms', round(perLink(T, true), 3), round(perLink(P, true), 3)),
        row('server frames per link (offer, answer, candidates)', round(framesPerLink(T)), round(framesPerLink(P)), { notes: `tabmesh: ${byType(T)}; peerjs: ${byType(P)}` }),
        row('links established / attempted', `${T.links}/${T.links + T.failed}`, `${P.links}/${P.links + P.failed}`),
        row('formation windows, s (all rounds)', round(T.windowS, 1), round(P.windowS, 1)),
        row('DataChannel open p50 ms', round(openT.p50), round(openP.p50)),
        row('DataChannel open p99 ms', round(openT.p99), round(openP.p99)),
        ...growSizes.flatMap((n) => growRows(grow.get(n)!.tabmesh, grow.get(n)!.peerjs, n)),
        ...growSizes.flatMap((n) => growRows(watched.get(n)!, grow.get(n)!.peerjs, n, 'topology watched')),
      ],
      settings: [
        `${peers} peers per server per round in ${hostsN} processes, a full mesh (${(peers * (peers - 1)) / 2} links) opened at once, ${rounds} rounds alternating; both servers pinned to CPU 0, the peers to CPU 1 (\`taskset\`)`,
        ...(ctx.quick ? [] : [`warm-up, not counted: one growing-mesh round per server at each size, then ${WARM_UP_REST_MS / 1000} s idle (V8's memory reducer runs about 8 s after a young process's first full GC), so the counted rounds measure servers in steady state, as a long-running one is`]),
        'tabmesh: the server process with its default configuration; mesh peers with `autoConnect: false` (links opened by `mesh.connect` in the window) and `linkReportMs: 600_000` (no periodic link reports); nobody reads these meshes\' topology, so peers report link changes only periodically (every 30 s), as in a default install with no hub open on the topology',
        ...growSizes.map((n) => `growing mesh rows ("grow ${n}:"): ${n} fresh peers per server per round join; each peer i > 0 is introduced through the server: one link to peer ⌊(i − 1)/${introducerFanout(n)}⌋, already in the mesh (${n - 1} links, a tree of diameter 4); once every remaining pair reaches each other on the \`routed\` tier (20 s timeout), the other ${growPairs(Array.from({ length: n }, (_, i) => String(i))).later.length} pairs open links at once (tabmesh: negotiated over peers; peerjs: through its server, as it always does); server CPU from the first join to the last link open, the joins' share (until the server is idle after them) apart; tabmesh peers with the default \`linkReportMs\` (10 s), nobody reading the topology`),
        ...growSizes.map((n) => `"grow ${n} topology watched:" rows: the same ${watchedRounds} times more, tabmesh only, after all other rounds, in another mesh whose topology is read once (\`GET /api/topology\`) before the first join, so its peers report every link change (at most one report per peer per 5 s), as with a hub open on the topology view; the window runs on 5.5 s past the last link open, for the reports those links trigger (that tail counted above the server's idle rate, in the later-links phase); compared with the same peerjs rounds as the rows above`),
        'peerjs: `PeerServer()` from the library (bench/signaling/peerjs-entry.ts); PeerJS-protocol peers (the browser client cannot run in Node)',
      ],
      notes: [
        `load average at start ${loadStart}, at end ${load()}`,
        'CPU: user + system of the server process over the formation window, from the command to the last link open (the sum of its threads\' /proc/<pid>/task/*/schedstat, ns resolution, sampled every 20 ms; a link that failed is counted in attempts, its timeout is not in the window); "idle subtracted" removes the same server\'s CPU rate over 2 s idle just before, times the window',
        'on 127.0.0.1 each side gathers one host candidate, so a browser\'s extra candidates (srflx, relay, tcp) are not in these frames; tabmesh batches candidates held until the SDP exchange, PeerJS trickles each',
        ...[...T.failures, ...P.failures].slice(0, 4).map((f) => `failure: ${f}`),
      ],
      details: { tally, windows, grow: Object.fromEntries(grow), watched: Object.fromEntries(watched) },
    };
  } finally {
    await Promise.all(hosts.map((h) => h.call('stop', undefined, 20_000).catch(() => undefined)));
    await Promise.all(hosts.map((h) => h.call('exit', undefined, 5000).catch(() => undefined).then(() => h.stop())));
    await Promise.all(servers.map((s) => s.stop()));
    nodeDataChannel.cleanup();
  }
}
