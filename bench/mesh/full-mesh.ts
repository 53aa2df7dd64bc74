import type { BenchContext, BenchRow } from '../lib/bench-types.ts';
import { startNodeChild, type NodeChild } from '../lib/child-process.ts';
import { latencyRow, stallsOver } from './mesh-rows.ts';

interface JoinResult {
  elapsedMs: number;
  doneAt: number;
  openMs: number[];
  sessions: number[];
}

/**
 * `peers` Node peers in `hosts` child processes start at the same moment (every one offers to
 * the peers in its welcome, so joins race and glare is common); the round ends when every peer
 * has a DataChannel to every other one. Time = last peer done − the start command.
 */
export async function measureFullMesh(
  ctx: BenchContext, url: string, o: { peers: number; hosts: number; rounds: number; label?: string },
): Promise<{ rows: BenchRow[]; details: unknown }> {
  const children: NodeChild[] = [];
  try {
    for (let h = 0; h < o.hosts; h++) children.push((await startNodeChild({ script: 'dist/bench/mesh/peer-host.js' })).child);
    const formation: number[] = [];
    const openMs: number[] = [];
    let extraSessions = 0;
    for (let r = 0; r < o.rounds; r++) {
      ctx.log(`full mesh of ${o.peers} peers in ${o.hosts} processes, round ${r + 1}/${o.rounds}`);
      const all = Array.from({ length: o.peers }, (_, i) => `mesh${r}-peer${String(i).padStart(2, '0')}`);
      const t0 = Date.now();
      const results = await Promise.all(children.map((c, h) => c.call<JoinResult>('join', {
        url, all, ids: all.filter((_, i) => i % o.hosts === h), timeoutMs: 30_000,
      }, 60_000)));
      formation.push(Math.max(...results.map((x) => x.doneAt)) - t0);
      openMs.push(...results.flatMap((x) => x.openMs));
      extraSessions += results.flatMap((x) => x.sessions).filter((s) => s > 1).length;
      await Promise.all(children.map((c) => c.call('leave')));
    }
    const worst = Math.max(...formation);
    return {
      rows: [
        latencyRow(`${o.peers} Node peers (${o.hosts} processes) form a full mesh${o.label ?? ''}`, formation, { target: { text: '< 3 s', ok: worst < 3000 } }),
        latencyRow('  its DataChannels: open time per link end', openMs, {
          extra: `${stallsOver(openMs)} of ${openMs.length} over 500 ms; ${extraSessions} link ends needed a second connection`,
        }),
      ],
      details: { formation, openMs, extraSessions },
    };
  } finally {
    await Promise.all(children.map((c) => c.call('exit', undefined, 5000).catch(() => undefined).then(() => c.stop())));
  }
}
