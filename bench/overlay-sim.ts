import { loadavg } from 'node:os';
import type { PeerKind } from '../web/mesh/link/link-budget.ts';
import type { BenchContext, BenchResult, BenchRow } from './lib/bench-types.ts';
import { seeded } from './lib/seeded.ts';
import { bfsSources, drawMaxLinks, maxLinksByPeer, OverlayModel, type OverlayStats } from './overlay-sim/overlay-model.ts';
import { recordServer, type ServerLog } from './overlay-sim/server-log.ts';
import type { CoreRun } from './overlay-sim/core-sim.ts';
import type { RoutingRun } from './overlay-sim/routing-replay.ts';
import { startNodeChild } from './lib/child-process.ts';

/**
 * The overlay at 1,000 / 5,000 / 10,000 peers without a network (issue 18). The server half is
 * real: an in-process server takes the joins (hello → welcome) and a tenth of the peers leaving
 * at once, and every frame it sends is logged (server-log.ts). The peers' half replays that log
 * on a graph with the mesh's own link-cap and repair functions (overlay-model.ts says exactly
 * what is modelled). Both mixes replay the same server log: the server does not know `maxLinks`.
 */

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** The mix the mesh core runs with (the model runs every mix). */
const CORE_MIX = { label: 'phones 50 %, tabs 40 %, Node 10 %', mix: { phone: 0.5, desktop: 0.4, node: 0.1 } };

const MIXES: Array<{ label: string; mix: Record<PeerKind, number> }> = [
  { label: 'all Node (64 links)', mix: { node: 1, phone: 0, desktop: 0 } },
  { label: 'phones 50 %, tabs 40 %, Node 10 %', mix: { phone: 0.5, desktop: 0.4, node: 0.1 } },
];

function replay(log: ServerLog, mix: Record<PeerKind, number>, seed: number): { joined: OverlayStats; churned: OverlayStats; afterJoins: { evictions: number; refused: number; linksMade: number; repairOffers: number }; model: OverlayModel } {
  const rand = seeded(seed);
  const maxLinks = maxLinksByPeer(log.ids, mix, rand);
  const model = new OverlayModel((id) => maxLinks.get(id)!, rand);
  const sources = bfsSources(log.ids.length);
  let joined: OverlayStats | undefined;
  let afterJoins = { evictions: 0, refused: 0, linksMade: 0, repairOffers: 0 };
  for (const e of log.events) {
    if (e.t === 'phase') {
      joined = model.stats(sources);
      afterJoins = { evictions: model.evictions, refused: model.refused, linksMade: model.linksMade, repairOffers: model.repairOffers };
    } else model.apply(e);
  }
  return { joined: joined!, churned: model.stats(sources), afterJoins, model };
}

/** Heap allowed per mesh core, MB (`--max-old-space-size` of the child: 2,048 + this × cores). */
const HEAP_MB_PER_CORE = 10;

/** The mesh core itself (core-sim.ts) for `n` peers of `mix`, in a child process with a heap to match. */
async function runCore(n: number, mix: Record<PeerKind, number>, ctx: BenchContext): Promise<CoreRun> {
  const rand = seeded(n + 2);
  const caps = Array.from({ length: n }, () => drawMaxLinks(mix, rand));
  const leavers = caps.flatMap((_, i) => (rand() < 0.1 ? [i] : []));
  // About 0.6 MB of heap per mesh core before routing over peers (5,000 took 3.1 GB); with it
  // 1,000 unpaced cores peaked at 4.5 GB of RSS (about 4.5 MB per core, garbage included).
  const { child } = await startNodeChild({ script: 'dist/bench/overlay-sim/core-child.js', nodeArgs: [`--max-old-space-size=${2048 + HEAP_MB_PER_CORE * n}`, '--expose-gc'] });
  try {
    ctx.log(`${n} mesh cores (${Object.entries(mix).filter(([, v]) => v).map(([k, v]) => `${k} ${v * 100} %`).join(', ')}) joining in memory`);
    // Paced, a join takes at least a second (its welcome links wait for the distance vector), and
    // more once the process is CPU-bound: 1,000 took over 60 min on this 2-core machine, against
    // about 5 min unpaced.
    return await child.call<CoreRun>('run', { n, caps, leavers, seed: n + 3, paced: process.env.OVERLAY_SIM_PACED === '1' }, Math.max(1_800_000, n * 6000));
  } finally {
    await child.call('exit', undefined, 5000).catch(() => undefined);
    await child.stop();
  }
}

/** Routing over peers on the graph model (routing-replay.ts), in a child process with a heap to match. */
async function runRouting(log: ServerLog, mix: Record<PeerKind, number>, seed: number, ctx: BenchContext): Promise<RoutingRun> {
  const n = log.ids.length;
  const { child } = await startNodeChild({ script: 'dist/bench/overlay-sim/routing-child.js', nodeArgs: [`--max-old-space-size=${2048 + n}`, '--expose-gc'] });
  try {
    ctx.log(`${n} peers: routing over peers on the graph`);
    return await child.call<RoutingRun>('run', { log, mix, seed }, Math.max(1_800_000, n * 3000));
  } finally {
    await child.call('exit', undefined, 5000).catch(() => undefined);
    await child.stop();
  }
}

export async function run(ctx: BenchContext): Promise<BenchResult> {
  // OVERLAY_SIM_SIZES=300,1000: other sizes for a quick comparison (the mesh cores with routing
  // over peers take about 5 minutes for 1,000 unpaced on a 2-core machine). OVERLAY_SIM_PACED=1: each mesh
  // core joins once the previous one's welcome links are open (or after 15 s), not at once.
  // The mesh cores stop at 1,000 by default (OVERLAY_SIM_CORE_SIZES for others): their cost per
  // join grows with the mesh, so a run grows faster than its square (2,000 unpaced had not
  // finished after 40 min here, against 4 min for 1,000); the graph model goes on to 10,000.
  const list = (v: string | undefined) => v?.split(',').map(Number);
  const sizes = list(process.env.OVERLAY_SIM_SIZES) ?? (ctx.quick ? [1000] : [1000, 2000, 5000, 10_000]);
  // The routing model (routing-replay.ts) costs about what the mesh cores do per join: up to 2,000 by default.
  const routingSizes = new Set(list(process.env.OVERLAY_SIM_ROUTING_SIZES) ?? sizes.filter((n) => n <= 2000));
  const coreSizes = new Set(list(process.env.OVERLAY_SIM_CORE_SIZES) ?? sizes.filter((n) => n <= 1000));
  const loadStart = loadavg().map((l) => round(l)).join(' ');
  const rows: BenchRow[] = [];
  for (const n of sizes) {
    const pick = seeded(n + 1);
    const log = await recordServer(n, () => pick() < 0.1, ctx.log);
    const leaves = log.leavers.length;
    for (const { label, mix } of MIXES) {
      const t0 = performance.now();
      const r = replay(log, mix, n);
      ctx.log(`${label} ${n}: replayed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      // The same seed: the routing replay builds this very graph, and adds the mesh's routing on it.
      const routed = label === CORE_MIX.label && routingSizes.has(n) ? await runRouting(log, mix, n, ctx) : undefined;
      const row = (phase: string, s: OverlayStats, extra: BenchRow): BenchRow => ({
        peers: n, mix: label, phase, connected: s.connected, 'diameter ≥': s.diameterAtLeast, 'mean hops': round(s.meanHops),
        'links/peer min': s.links.min, 'links/peer p50': s.links.p50, 'links/peer max': s.links.max, ...extra,
      });
      rows.push(
        row('after joins', r.joined, {
          'server frames/join': round(log.frames.joins / n, 1), 'presence entries/join': round(log.entries.joins / n, 1),
          'links made/join': round(r.afterJoins.linksMade / n, 1), evictions: r.afterJoins.evictions, 'refused (cap)': r.afterJoins.refused, 'repair offers': r.afterJoins.repairOffers,
          ...(routed && {
            'routes messages/join': round(routed.perJoin.messages, 0), 'routes messages/join, last tenth': round(routed.perJoinLastTenth.messages, 0),
            'routes kB/join': round(routed.perJoin.bytes / 1000, 0), 'routes entries/join': round(routed.perJoin.entries, 0),
            'live kB/peer': routed.liveKBPerPeer === undefined ? '' : round(routed.liveKBPerPeer, 0),
            notes: `routing model: a join's announcements quiet after ${routed.joinQuietMs.p50.toLocaleString('en')} ms p50, ${routed.joinQuietMs.p95.toLocaleString('en')} ms p95 (250 ms rounds, virtual time); ${round(routed.cpuSeconds / n, 3)} CPU s per join to compute${routed.quiet ? '' : '; some joins did not go quiet within 1,000 rounds'}`,
          }),
        }),
        row(`after ${leaves} leave at once`, r.churned, {
          'server frames/join': '', 'presence entries/join': '',
          'server frames/leave': round(log.frames.leaves / leaves, 1), 'presence entries/leave': round(log.entries.leaves / leaves, 1),
          'links made/leave': round((r.model.linksMade - r.afterJoins.linksMade) / leaves, 1),
          evictions: r.model.evictions - r.afterJoins.evictions, 'refused (cap)': r.model.refused - r.afterJoins.refused, 'repair offers': r.model.repairOffers - r.afterJoins.repairOffers,
          ...(routed && { 'routes messages/leave': round(routed.perLeave.messages, 0) }),
        }),
      );
    }
    if (!coreSizes.has(n)) continue;
    const core = await runCore(n, CORE_MIX.mix, ctx);
    ctx.log(`${n} mesh cores: joined in ${core.joinSeconds.toFixed(1)} s`);
    const coreRow = (phase: string, s: CoreRun['joined'], extra: BenchRow): BenchRow => ({
      peers: n, mix: CORE_MIX.label, phase, connected: s.connected, 'diameter ≥': s.diameterAtLeast, 'mean hops': round(s.meanHops),
      'links/peer min': s.links.min, 'links/peer p50': s.links.p50, 'links/peer max': s.links.max, ...extra,
    });
    rows.push(
      coreRow('after joins (mesh core)', core.joined, {
        'server frames/join': round(core.perJoin.serverFrames, 1), 'DataChannel messages/join': round(core.perJoin.channelMessages, 1), 'DataChannel kB/join': round(core.perJoin.channelBytes / 1000, 1),
        'welcome links open p50 ms': round(core.welcomeLinks.p50, 0), 'welcome links open p95 ms': round(core.welcomeLinks.p95, 0),
        'joiners missing a welcome link': core.welcomeLinks.missing,
        'routes messages/join': round(core.perJoin.channelByType.routes ?? 0, 0),
        'mesh cores CPU s/join': round(core.joinCpuSeconds / n, 3), 'mesh cores RSS MB peak': round(core.peakRssMB, 0),
        'live kB/peer': core.liveKBPerCore === undefined ? '' : round(core.liveKBPerCore, 0),
        notes: `server frames per join by type: ${Object.entries(core.perJoin.byType).map(([t, c]) => `${t} ${c}`).join(', ')}; DataChannel messages per join by type: ${Object.entries(core.perJoin.channelByType).map(([t, c]) => `${t} ${c}`).join(', ')}; all joined and quiet after ${round(core.joinSeconds, 1)} s; mesh errors: ${Object.entries(core.errors).map(([c, k]) => `${c} ×${k}`).join(', ') || 'none'}`,
      }),
      coreRow(`after ${core.leavers} leave at once (mesh core)`, core.churned, {
        'server frames/leave': round(core.perLeave.serverFrames, 1), 'DataChannel messages/leave': round(core.perLeave.channelMessages, 1),
      }),
    );
  }
  return {
    rows,
    settings: [
      'the server runs in the benchmark process (createTabmeshServer, memory store, default presence interval 500 ms), peers attach through in-process sockets (real tokens, hello → welcome) one after another; `TABMESH_MAX_PEERS_PER_MESH` = peers + 10 (default 256); a seeded tenth of the peers then leave at once',
      'peers: a graph driven by the logged frames with the mesh\'s link-cap and repair functions (web/mesh/link/link-policy.ts, link-repair.ts); `maxLinks` per kind from `DEFAULT_MAX_LINKS`; links form instantly (no negotiation, timing or failures)',
      ...(process.env.OVERLAY_SIM_PACED === '1' ? ['mesh cores paced (OVERLAY_SIM_PACED=1): each joins once the previous one\'s welcome links are open (or after 15 s); the run may take 6 s per mesh core (at least 30 min) before it is called failed'] : []),
      `mesh cores run in a child process with --max-old-space-size = 2,048 + ${HEAP_MB_PER_CORE} × cores MB and --expose-gc ("live kB/peer" of the mesh core rows: heap and external memory once the joins were quiet, after a full GC, divided by the cores; the in-process server's share included)`,
      'routing model (the columns "routes …" and "live kB/peer" of the graph rows of the phone-heavy mix, up to 2,000 peers; OVERLAY_SIM_ROUTING_SIZES for others): every peer of that graph runs the mesh\'s own routing over peers (`createPeerOverlay`: overlay table, route announcer, deltas, the 256-entry cap), its links up and down as the graph makes and loses them, `routes` messages JSON-encoded and decoded in memory; each join (and each leave) is followed by announce rounds until none is due before the next, in virtual time (bench/overlay-sim/routing-model.ts), in a child process with --max-old-space-size = 2,048 + 1 MB × peers and --expose-gc; "last tenth": per join over the last 10 % of the joins, what one more join costs at that size',
      '"mesh core" rows: real `createMesh` peers (`linkReportMs: 600_000`, link reports effectively off) and a real in-process server (`TABMESH_TOKEN_TTL_SECONDS=3600`) in one child process, joined one after another over an in-memory platform (bench/overlay-sim/memory-platform.ts: WebSockets into the server\'s relay, stand-in RTCPeerConnections that connect once descriptions and a candidate crossed; no ICE, DTLS or timing)',
    ],
    notes: [
      `load average at start ${loadStart}, at end ${loadavg().map((l) => round(l)).join(' ')} (the figures do not depend on time)`,
      'server frames: every frame the server sent (welcome, peer-joined, peer-left, presence) per join / per leave; presence entries: peers named in them',
      'welcome links open: from a mesh core\'s `welcome` until a DataChannel to each of the first `maxLinks` peers it lists is open (wall time in one busy process, the other cores joining meanwhile: compare runs, not with a network); joiners missing a welcome link: some never opened (evicted or refused at the other end\'s cap)',
      'diameter: BFS from 32 (over 2,000 peers) or 64 random peers, a lower bound; links made: links the model formed (each costs the server an offer, an answer and the candidate frames: `link-cost`)',
    ],
  };
}
