import nodeDataChannel from 'node-datachannel';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, BenchResult, BenchRow } from './lib/bench-types.ts';
import { startNodeChild } from './lib/child-process.ts';
import { processCpuSeconds } from './lib/proc-stats.ts';
import { relayedByType as scrape } from './lib/server-metrics.ts';
import { MESH_BENCH_KEY } from './mesh/bench-peer.ts';
import { measureFullMesh } from './mesh/full-mesh.ts';

const ADMIN_KEY = 'bench-link-cost-admin-key-0123456789';
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const relayedByType = (url: string) => scrape(url, ADMIN_KEY);

/**
 * What one established DataChannel costs the server (issue 18): `peers` Node peers in 4
 * processes form a full mesh through a real server process; the server's relayed frames (by
 * type, from its own metrics) and its CPU time over the formation, divided by the links formed.
 * Link reports and heartbeats are not relayed frames and are not counted.
 */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  const peers = ctx.quick ? 8 : 20;
  const rounds = ctx.quick ? 1 : 3;
  const { child, match } = await startNodeChild({
    script: 'dist/server/main.node.js',
    env: {
      PORT: '0', HOST: '127.0.0.1', TABMESH_API_KEYS: `agent:${MESH_BENCH_KEY},admin:${ADMIN_KEY}`,
      TABMESH_DATA_DIR: mkdtempSync(join(tmpdir(), 'tm-bench-link-cost-')), LOG_LEVEL: 'warn',
    },
    readyPattern: /listening on https?:\/\/[^:]+:(\d+)/,
  });
  const url = `http://127.0.0.1:${match![1]}`;
  const load = loadavg().map((l) => round(l));
  try {
    const before = await relayedByType(url);
    const cpu0 = processCpuSeconds(child.pid);
    const full = await measureFullMesh(ctx, url, { peers, hosts: 4, rounds });
    const cpu = processCpuSeconds(child.pid) - cpu0;
    const after = await relayedByType(url);
    const links = rounds * (peers * (peers - 1)) / 2;
    const perType: BenchRow = {};
    let total = 0;
    for (const [type, n] of after) {
      const d = n - (before.get(type) ?? 0);
      total += d;
      if (d > 0) perType[type] = round(d / links);
    }
    if (total === 0) throw new Error('no relayed frames counted over the formation');
    return {
      rows: [
        { what: `server frames per established link (${peers} peers, full mesh, ${rounds} rounds, ${links} links)`, 'per link': round(total / links), ...perType },
        { what: 'server CPU per established link, ms (formation incl. hello/welcome, tokens, link reports)', 'per link': round((cpu * 1000) / links) },
        // The formation rows name themselves in `case`; here that is the first column.
        ...full.rows.map(({ case: what, ...rest }): BenchRow => ({ what: what ?? null, ...rest })),
      ],
      settings: [
        'server process: default configuration (`TABMESH_API_KEYS` with an agent and an admin key, fresh data dir), not pinned',
        'every mesh peer: `linkReportMs: 600_000` (link reports, normally every 5 s, effectively off); a full mesh (every peer links to every other, within the default Node `maxLinks`)',
      ],
      notes: [
        `load average at start ${load.join(' ')}, at end ${loadavg().map((l) => round(l)).join(' ')}`,
        'relayed frames from the server\'s tabmesh_frames_relayed_total; CPU from /proc/<pid>/stat over the formation rounds (tokens, welcomes and link reports included, so an upper bound)',
      ],
      details: { full: full.details, cpuSeconds: cpu, links },
    };
  } finally {
    await child.stop();
    nodeDataChannel.cleanup();
  }
}
