import type { BenchRow } from '../lib/bench-types.ts';
import { sumCounts } from '../lib/counts.ts';
import { summarize } from '../lib/stats.ts';
import type { GrowRound } from './grow-round.ts';

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const sum = (rs: GrowRound[], f: (r: GrowRound) => number) => rs.reduce((a, r) => a + f(r), 0);
const addUp = (rs: GrowRound[], f: (r: GrowRound) => Record<string, number>) => sumCounts(rs.map(f));
const byType = (frames: Record<string, number>, per: number) => Object.entries(frames).map(([t, n]) => `${t} ${round(n / Math.max(1, per))}`).join(', ') || 'none';

/** The growing-mesh rows of `link-cpu` (grow-round.ts), tabmesh against peerjs over all rounds. */
export function growRows(T: GrowRound[], P: GrowRound[], peers: number, label?: string): BenchRow[] {
  const links = (rs: GrowRound[]) => sum(rs, (r) => r.links);
  const attempted = (rs: GrowRound[]) => sum(rs, (r) => r.links + r.failed);
  const perLink = (rs: GrowRound[]) => (sum(rs, (r) => r.cpuS) * 1000) / Math.max(1, links(rs));
  const negotiation = (rs: GrowRound[], f: (r: GrowRound) => Record<string, number>) => Object.values(addUp(rs, f)).reduce((a, b) => a + b, 0);
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const row = (metric: string, a: number | string, b: number | string, extra: BenchRow = {}): BenchRow => ({
    metric: `grow ${peers}${label ? ` ${label}` : ''}: ${metric}`, tabmesh: a, peerjs: b, 'tabmesh/peerjs': typeof a === 'number' && typeof b === 'number' && b > 0 ? ratio(a, b) : '', ...extra,
  });
  const linksOnly = (rs: GrowRound[]) => (sum(rs, (r) => r.cpuS - r.phaseCpuS.join) * 1000) / Math.max(1, links(rs));
  const linksNet = (rs: GrowRound[]) => (sum(rs, (r) => r.cpuS - r.phaseCpuS.join - r.idleRate * r.linkWindowS) * 1000) / Math.max(1, links(rs));
  const phase = (rs: GrowRound[], k: keyof GrowRound['phaseCpuS']) => round((sum(rs, (r) => r.phaseCpuS[k]) * 1000) / Math.max(1, rs.length), 1);
  const phases = (rs: GrowRound[]) => `${phase(rs, 'join')} / ${phase(rs, 'first')} / ${phase(rs, 'wait')} / ${phase(rs, 'later')}`;
  const laterT = sum(T, (r) => r.laterLinks + r.failed);
  const laterP = sum(P, (r) => r.laterLinks + r.failed);
  const openT = summarize(T.flatMap((r) => r.laterOpenMs));
  const openP = summarize(P.flatMap((r) => r.laterOpenMs));
  return [
    row('server CPU per established link (first links, the routed wait, later links, link reports), ms', round(linksOnly(T), 3), round(linksOnly(P), 3), {
      target: '≤ 0.3x peerjs', result: linksOnly(T) / linksOnly(P) <= 0.3 ? 'pass' : 'FAIL',
      notes: `${peers} peers joined, ${sum(T, (r) => r.firstLinks) / Math.max(1, T.length)} first links through the server, the rest over peers; joins apart (next rows)`,
    }),
    row('  the same, idle CPU subtracted, ms', round(linksNet(T), 3), round(linksNet(P), 3), {
      notes: `what the link work added to what the server spends anyway with the peers connected (idle: tabmesh ${round((sum(T, (r) => r.idleRate) * 1000) / Math.max(1, T.length), 2)}, peerjs ${round((sum(P, (r) => r.idleRate) * 1000) / Math.max(1, P.length), 2)} ms/s, measured 1 s before the first link, times the link phases' length)`,
    }),
    row('  the same, joins included (whole round), ms', round(perLink(T), 3), round(perLink(P), 3)),
    row('server CPU per join, ms', round((sum(T, (r) => r.phaseCpuS.join) * 1000) / Math.max(1, peers * T.length), 3), round((sum(P, (r) => r.phaseCpuS.join) * 1000) / Math.max(1, peers * P.length), 3), {
      notes: 'tabmesh: nonce, token with key proof, WebSocket, hello/welcome, agent heartbeat, presence until all see all; peerjs: a WebSocket with the id in its URL',
    }),
    row('server CPU by phase, ms per round', phases(T), phases(P), { notes: 'join (token, hello, presence until all see all) / first links / wait for the routed tier / later links' }),
    row('server negotiation frames per link, whole round', round(negotiation(T, (r) => r.frames) / Math.max(1, attempted(T))), round(negotiation(P, (r) => r.frames) / Math.max(1, attempted(P))), {
      notes: `tabmesh: ${byType(addUp(T, (r) => r.frames), attempted(T))}; peerjs: ${byType(addUp(P, (r) => r.frames), attempted(P))}`,
    }),
    row('server negotiation frames per later link (phase 2)', round(negotiation(T, (r) => r.laterFrames) / Math.max(1, laterT)), round(negotiation(P, (r) => r.laterFrames) / Math.max(1, laterP)), {
      notes: `tabmesh: ${byType(addUp(T, (r) => r.laterFrames), laterT)}; peerjs: ${byType(addUp(P, (r) => r.laterFrames), laterP)}`,
    }),
    row('all server frames per link, whole round', round(sum(T, (r) => r.allFrames) / Math.max(1, attempted(T))), round(sum(P, (r) => r.allFrames) / Math.max(1, attempted(P))), {
      notes: 'tabmesh: every frame the server handled (hello, offers, link reports, …); peerjs: every frame its peers sent, heartbeats included',
    }),
    row('links established / attempted', `${links(T)}/${attempted(T)}`, `${links(P)}/${attempted(P)}`),
    row('pair ends not on the routed tier at the timeout', `${sum(T, (r) => r.routedMissing)}/${sum(T, (r) => r.routedEnds)}`, '—'),
    row('rounds, s (all rounds)', round(sum(T, (r) => r.windowS), 1), round(sum(P, (r) => r.windowS), 1)),
    row('later link open p50 ms', round(openT.p50), round(openP.p50)),
    row('later link open p99 ms', round(openT.p99), round(openP.p99)),
  ];
}
