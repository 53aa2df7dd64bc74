import nodeDataChannel from 'node-datachannel';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, BenchResult, BenchRow } from './lib/bench-types.ts';
import { callRows, summarizeCalls, type CallOutcome } from './lib/call-outcomes.ts';
import { sumCounts } from './lib/counts.ts';
import { startNodeChild, type NodeChild } from './lib/child-process.ts';
import { processCpuSeconds } from './lib/proc-stats.ts';
import { randomPairs, seeded } from './lib/seeded.ts';
import { summarize } from './lib/stats.ts';
import { MESH_BENCH_KEY } from './mesh/bench-peer.ts';

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const load = () => loadavg().map((l) => round(l)).join(' ');

interface Activity { linkEvents: number; errors: number; errorCodes: Record<string, number>; openLinks: number[]; known: number[] }

/** Polls the hosts until no link changed for `quietMs` (or `maxMs` passed); returns the last reading. */
async function settle(hosts: NodeChild[], quietMs: number, maxMs: number): Promise<{ activity: Activity; settled: boolean }> {
  const t0 = performance.now();
  let last = -1;
  let since = performance.now();
  for (;;) {
    const all = await Promise.all(hosts.map((h) => h.call<Activity>('activity')));
    const activity: Activity = {
      linkEvents: all.reduce((a, x) => a + x.linkEvents, 0), errors: all.reduce((a, x) => a + x.errors, 0),
      errorCodes: sumCounts(all.map((x) => x.errorCodes)),
      openLinks: all.flatMap((x) => x.openLinks), known: all.flatMap((x) => x.known),
    };
    if (activity.linkEvents !== last) (last = activity.linkEvents, (since = performance.now()));
    if (performance.now() - since >= quietMs) return { activity, settled: true };
    if (performance.now() - t0 >= maxMs) return { activity, settled: false };
    await new Promise((r) => setTimeout(r, 250));
  }
}

const linkRow = (what: string, a: Activity): BenchRow => {
  const s = summarize(a.openLinks);
  const k = summarize(a.known);
  return { what, n: a.openLinks.length, p50: s.p50, min: Math.min(...a.openLinks), max: s.max, unit: 'links', notes: `peers known to each: p50 ${k.p50}, min ${Math.min(...a.known)}` };
};

/**
 * `npm run bench -- mesh-scale` (issue 18): a real mesh of `hosts × perHost` headless peers
 * (the mesh core on loopback node-datachannel, `maxLinks` 6) in several processes around one
 * real server process; then random-pair `echo` calls, answered/failed and latency by the tier
 * (and hop count) each call result reports, and the share the server carried.
 */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  const hostsN = ctx.quick ? 2 : 4;
  const perHost = ctx.quick ? 10 : 25;
  const callsN = ctx.quick ? 50 : 500;
  const inFlight = 8;
  const maxLinks = 6;
  const peers = hostsN * perHost;
  const loadStart = load();
  const { child: server, match } = await startNodeChild({
    script: 'dist/server/main.node.js',
    env: {
      PORT: '0', HOST: '127.0.0.1', TABMESH_API_KEYS: `agent:${MESH_BENCH_KEY}`,
      TABMESH_DATA_DIR: mkdtempSync(join(tmpdir(), 'tm-bench-mesh-scale-')), LOG_LEVEL: 'warn',
    },
    readyPattern: /listening on https?:\/\/[^:]+:(\d+)/,
  });
  const url = `http://127.0.0.1:${match![1]}`;
  const hosts: NodeChild[] = [];
  try {
    for (let h = 0; h < hostsN; h++) hosts.push((await startNodeChild({ script: 'dist/bench/mesh-scale/scale-host.js' })).child);
    const names = Array.from({ length: peers }, (_, i) => `scale-peer-${String(i).padStart(3, '0')}`);
    // Peer i lives in host i % hosts; each host starts its peers one after another, the hosts in parallel.
    const hostOf = (i: number) => hosts[i % hostsN]!;
    ctx.log(`${peers} peers joining from ${hostsN} processes (maxLinks ${maxLinks})`);
    const cpu0 = processCpuSeconds(server.pid);
    const t0 = performance.now();
    const joinMs = (await Promise.all(hosts.map((h, k) => h.call<number[]>('join', { url, names: names.filter((_, i) => i % hostsN === k), maxLinks }, 300_000)))).flat();
    const joinedS = (performance.now() - t0) / 1000;
    ctx.log(`all joined in ${joinedS.toFixed(1)} s; waiting for the overlay to be quiet`);
    const setup = await settle(hosts, 3000, 60_000);
    // The quiet period itself is not set-up time.
    const setupS = (performance.now() - t0) / 1000 - (setup.settled ? 3 : 0);
    const setupCpu = processCpuSeconds(server.pid) - cpu0;
    ctx.log(`overlay ${setup.settled ? 'quiet' : 'still changing'} after ${setupS.toFixed(1)} s (load ${load()})`);

    const pairs = randomPairs(peers, callsN, seeded(peers));
    const outcomes: CallOutcome[] = [];
    const cpu1 = processCpuSeconds(server.pid);
    const tCalls = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < pairs.length) {
        const [a, b] = pairs[next++]!;
        outcomes.push(await hostOf(a).call<CallOutcome>('call', { from: names[a], to: names[b], timeoutMs: 20_000 }, 30_000));
        if (outcomes.length % 100 === 0) ctx.log(`${outcomes.length}/${pairs.length} calls`);
      }
    }));
    const callsS = (performance.now() - tCalls) / 1000;
    const callCpu = processCpuSeconds(server.pid) - cpu1;
    const after = await settle(hosts, 1000, 10_000);
    const summary = summarizeCalls(outcomes);
    const joins = summarize(joinMs);
    return {
      rows: [
        {
          what: `set-up: ${peers} peers (${hostsN} processes) join until the overlay is quiet`, n: peers, max: round(setupS, 1), unit: 's',
          notes: `all welcomed after ${round(joinedS, 1)} s; ${setup.settled ? 'quiet' : 'STILL CHANGING after 60 s'}; server CPU ${round(setupCpu)} s; ${setup.activity.errors} mesh errors${setup.activity.errors ? ` (${Object.entries(setup.activity.errorCodes).map(([c, n]) => `${c} ×${n}`).join(', ')})` : ''}`,
        },
        { what: '  each join (start → welcome, a host\'s peers one after another)', n: joins.count, p50: round(joins.p50), p99: round(joins.p99), max: round(joins.max), unit: 'ms' },
        linkRow('open DataChannels per peer after set-up', setup.activity),
        ...callRows(summary, `${callsN} random-pair echo calls (${inFlight} in flight)`),
        { what: '  all calls: wall time', n: callsN, max: round(callsS, 1), unit: 's', notes: `server CPU ${round(callCpu)} s` },
        linkRow('open DataChannels per peer after the calls', after.activity),
      ],
      settings: [
        `every mesh peer: \`maxLinks: ${maxLinks}\` (default for Node: 64), \`linkReportMs: 600_000\` (link reports effectively off); ${peers} peers in ${hostsN} processes, one real server process with its default configuration`,
      ],
      notes: [
        `load average at start ${loadStart}, at end ${load()}`,
        'latency: from mesh.call() to its result in the calling process, by the tier (and hop count, when the result carries one) the call result reported; "needed the server" = answered calls on the fallback tier',
        'a call to a peer without an open link first opens one (or falls back): that set-up is in its latency',
      ],
      details: { joinMs, outcomes, setup: setup.activity, after: after.activity, summary },
    };
  } finally {
    await Promise.all(hosts.map((h) => h.call('leave', undefined, 20_000).catch(() => undefined)));
    await Promise.all(hosts.map((h) => h.call('exit', undefined, 5000).catch(() => undefined).then(() => h.stop())));
    await server.stop();
    nodeDataChannel.cleanup();
  }
}
