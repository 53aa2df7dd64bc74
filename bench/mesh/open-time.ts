import type { BenchContext, BenchRow } from '../lib/bench-types.ts';
import { connectBarePair } from '../lib/bare-rtc-pair.ts';
import { summarize } from '../lib/stats.ts';
import { allLinksOpen, startBenchMesh } from './bench-peer.ts';
import { latencyRow, stallsOver } from './mesh-rows.ts';

/**
 * DataChannel open time node↔node: a fresh pair of mesh peers per round (the newcomer offers,
 * signaling through the real server), against a bare node-datachannel pair signaled in memory,
 * rounds interleaved so background load hits both alike.
 */
export async function measureOpenTime(ctx: BenchContext, url: string, rounds: number): Promise<{ rows: BenchRow[]; details: unknown }> {
  const offering: number[] = [];
  const answering: number[] = [];
  const joinToOpen: number[] = [];
  /** DataChannel open → the peer's link proof verified (peer identity), both sides. */
  const verify: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 10 === 0) ctx.log(`open time ${i}/${rounds}`);
    const plain = await connectBarePair({ bindAddress: '127.0.0.1' });
    bare.push(plain.openMs);
    plain.close();

    const a = await startBenchMesh(url, `open-a-${i}`);
    const t0 = performance.now();
    const b = await startBenchMesh(url, `open-b-${i}`);
    await Promise.all([allLinksOpen(b, [a.peerId!], 15_000), allLinksOpen(a, [b.peerId!], 15_000)]);
    joinToOpen.push(performance.now() - t0);
    offering.push(b.links()[0]!.openMs!);
    answering.push(a.links()[0]!.openMs!);
    for (const m of [a, b]) verify.push(m.links()[0]!.verifyMs!);
    await Promise.all([a.stop(), b.stop()]);
  }
  const baseline = summarize(bare).p50;
  const p50 = summarize(offering).p50;
  const p99 = summarize(offering).p99;
  const stalls = (v: number[]) => `${stallsOver(v)} of ${v.length} over 500 ms`;
  return {
    rows: [
      latencyRow('DataChannel open node↔node, offering side (newcomer)', offering, {
        baseline, target: { text: 'p50/p99 < 50 ms', ok: p50 < 50 && p99 < 50 }, extra: stalls(offering),
      }),
      latencyRow('DataChannel open node↔node, answering side', answering, { baseline, extra: stalls(answering) }),
      latencyRow('join (token, WebSocket, welcome) → DataChannel open', joinToOpen, { baseline }),
      latencyRow('identity check added: DataChannel open → peer verified (both sides)', verify, {
        baseline: p50, target: { text: 'p50 < 5 ms', ok: summarize(verify).p50 < 5 },
        extra: 'link proof exchange: sign, send, verify; "vs baseline" = share of the offering open time',
      }),
      latencyRow('baseline: bare node-datachannel pair, in-memory signaling', bare, { extra: stalls(bare) }),
    ],
    details: { offering, answering, joinToOpen, verify, bare },
  };
}
