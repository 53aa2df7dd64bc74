import type { PeerKind } from '../../web/mesh/link/link-budget.ts';
import { liveKBPer } from '../lib/live-memory.ts';
import { seeded } from '../lib/seeded.ts';
import { percentile } from '../lib/stats.ts';
import { bfsSources, maxLinksByPeer, OverlayModel } from './overlay-model.ts';
import { RoutingModel, type RoutingCounts } from './routing-model.ts';
import type { ServerLog } from './server-log.ts';

/** Routing over peers on the graph model (routing-model.ts), per join and per leave. */
export interface RoutingRun {
  /** `routes` messages, bytes and entries per join, over all joins. */
  perJoin: RoutingCounts;
  /** The same over the last tenth of the joins: what one more join costs at this size. */
  perJoinLastTenth: RoutingCounts;
  /** Per join, virtual ms from its welcome until no announcement was due (250 ms announce rounds). */
  joinQuietMs: { p50: number; p95: number; max: number };
  perLeave: RoutingCounts;
  /** Virtual ms from the burst of leaves until no announcement was due. */
  leaveQuietMs: number;
  /** Every join and leave went quiet within its round bound. */
  quiet: boolean;
  /** Heap and external memory after the joins and a full GC (needs `--expose-gc`), kB per peer: the overlay tables, announcers and graph. */
  liveKBPerPeer?: number;
  cpuSeconds: number;
}

const diff = (a: RoutingCounts, b: RoutingCounts): RoutingCounts => ({ messages: a.messages - b.messages, bytes: a.bytes - b.bytes, entries: a.entries - b.entries });
const per = (c: RoutingCounts, n: number): RoutingCounts => ({ messages: c.messages / n, bytes: c.bytes / n, entries: c.entries / n });

/**
 * Replays the server's log on the graph model with the mesh's routing on every peer: each event,
 * then every announcement it caused until quiet, before the next (as the paced mesh cores join).
 */
export async function replayRouting(log: ServerLog, mix: Record<PeerKind, number>, seed: number): Promise<RoutingRun> {
  const cpu0 = process.cpuUsage();
  const rand = seeded(seed);
  const maxLinks = maxLinksByPeer(log.ids, mix, rand);
  const routing = new RoutingModel();
  const model = new OverlayModel((id) => maxLinks.get(id)!, rand, routing);
  const joins: Array<{ counts: RoutingCounts; ms: number }> = [];
  let start: { counts: RoutingCounts; at: number } | undefined;
  let quiet = true;
  const mark = () => ({ counts: { ...routing.counts }, at: routing.time });
  const endJoin = () => start && joins.push({ counts: diff(routing.counts, start.counts), ms: routing.time - start.at });
  let afterJoins = mark();
  let liveKBPerPeer: number | undefined;
  for (const e of log.events) {
    if (e.t === 'phase') {
      endJoin();
      start = undefined;
      afterJoins = mark();
      // As the graph replay does here (overlay-sim.ts): the same draws, so the leaves repair the same graph.
      model.stats(bfsSources(log.ids.length));
      liveKBPerPeer = liveKBPer(log.ids.length);
      continue;
    }
    if (e.t === 'welcome') (endJoin(), (start = mark()));
    model.apply(e);
    if (!(await routing.drain())) quiet = false;
  }
  const sum = (xs: typeof joins) => xs.reduce((a, j) => ({ messages: a.messages + j.counts.messages, bytes: a.bytes + j.counts.bytes, entries: a.entries + j.counts.entries }), { messages: 0, bytes: 0, entries: 0 });
  const last = joins.slice(Math.floor(joins.length * 0.9));
  const ms = Float64Array.from(joins.map((j) => j.ms)).sort();
  const { user, system } = process.cpuUsage(cpu0);
  return {
    perJoin: per(sum(joins), joins.length), perJoinLastTenth: per(sum(last), last.length),
    joinQuietMs: { p50: percentile(ms, 50), p95: percentile(ms, 95), max: ms[ms.length - 1] ?? NaN },
    perLeave: per(diff(routing.counts, afterJoins.counts), log.leavers.length), leaveQuietMs: routing.time - afterJoins.at,
    quiet, liveKBPerPeer, cpuSeconds: (user + system) / 1e6,
  };
}
