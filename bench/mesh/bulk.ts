import type { BenchContext, BenchRow } from '../lib/bench-types.ts';
import { connectBarePair, type BarePair } from '../lib/bare-rtc-pair.ts';
import { summarize } from '../lib/stats.ts';
import { idFor } from '../../test/helpers/test-identity.ts';
import { allLinksOpen, startBenchMesh } from './bench-peer.ts';
import { rateRow } from './mesh-rows.ts';

const CHUNK = 16 * 1024;
const HIGH = 256 * 1024;
const LOW = 64 * 1024;

/**
 * Raw node-datachannel at its best: `bytes` as 16 KiB binary messages (the mesh's frame size),
 * paused at 256 KiB buffered and resumed on `bufferedamountlow` at 64 KiB (the mesh's marks).
 * With `json`, the sender first encodes `{ input: string }` as JSON + UTF-8 and the receiver
 * collects, decodes and parses it: the serialization any message protocol pays, without the mesh.
 * Resolves with the ms until the receiver has every byte (and, with `json`, the parsed value).
 */
function bareBulk(pair: BarePair, bytes: number, json?: string): Promise<number> {
  const { channelA: tx, channelB: rx } = pair;
  tx.bufferedAmountLowThreshold = LOW;
  const raw = json === undefined;
  const chunk = new Uint8Array(CHUNK).fill(122);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const body = raw ? undefined : new TextEncoder().encode(JSON.stringify({ input: json }));
    const total = body?.length ?? bytes;
    const inbox = raw ? undefined : new Uint8Array(total);
    let received = 0;
    rx.onmessage = (e: MessageEvent) => {
      const part = new Uint8Array(e.data as ArrayBuffer);
      inbox?.set(part, received);
      received += part.length;
      if (received < total) return;
      if (inbox && (JSON.parse(new TextDecoder().decode(inbox)) as { input: string }).input.length !== json!.length) reject(new Error('bad bulk echo'));
      resolve(performance.now() - started);
    };
    void (async () => {
      for (let sent = 0; sent < total; sent += CHUNK) {
        if (tx.bufferedAmount >= HIGH) await new Promise<void>((r) => (tx.onbufferedamountlow = () => r()));
        tx.send(body ? body.subarray(sent, sent + CHUNK) : chunk);
      }
    })().catch(reject);
  });
}

/**
 * One-way bulk transfer: a `size` call carrying `bytes` as a Uint8Array and as a string over the
 * mesh (framing, backpressure, reassembly; the string also UTF-8 encode/decode) against the bare
 * channel above, rounds interleaved.
 */
export async function measureBulk(ctx: BenchContext, url: string, bytes: number, rounds: number): Promise<{ rows: BenchRow[]; details: unknown }> {
  const a = await startBenchMesh(url, 'bulk-a');
  const b = await startBenchMesh(url, 'bulk-b');
  const pair = await connectBarePair({ bindAddress: '127.0.0.1' });
  pair.channelB.binaryType = 'arraybuffer';
  try {
    await allLinksOpen(a, ['bulk-b'], 15_000);
    const text = 'z'.repeat(bytes);
    const binary = new Uint8Array(bytes).fill(122);
    const mb = bytes / 1e6;
    const viaMesh = async (input: string | Uint8Array) => {
      const t = performance.now();
      const res = await a.call(idFor('bulk-b'), 'size', input, { timeoutMs: 120_000 });
      if (res.output !== bytes || res.tier !== 'direct') throw new Error(`bulk call returned ${String(res.output)} on ${res.tier}`);
      return mb / ((performance.now() - t) / 1000);
    };
    const meshBytes: number[] = [];
    const mesh: number[] = [];
    const bare: number[] = [];
    const bareJson: number[] = [];
    for (let r = 0; r < rounds; r++) {
      ctx.log(`bulk ${mb} MB round ${r + 1}/${rounds}`);
      bare.push(mb / ((await bareBulk(pair, bytes)) / 1000));
      meshBytes.push(await viaMesh(binary));
      bareJson.push(mb / ((await bareBulk(pair, bytes, text)) / 1000));
      mesh.push(await viaMesh(text));
    }
    const baseline = summarize(bare).p50;
    const ratio = summarize(meshBytes).p50 / baseline;
    const ofJson = Math.round((summarize(mesh).p50 / summarize(bareJson).p50) * 100);
    return {
      rows: [
        rateRow(`bulk ${mb} MB one way over the mesh (call with a Uint8Array input)`, meshBytes, {
          baseline, target: { text: '≥ 80 % of bare', ok: ratio >= 0.8 }, extra: `link maxBufferedAmount ${Math.round((a.links()[0]?.maxBufferedAmount ?? 0) / 1024)} KiB`,
        }),
        rateRow(`bulk ${mb} MB one way over the mesh (call with a string input)`, mesh, { baseline, extra: `${ofJson} % of bare + JSON` }),
        rateRow(`baseline: bare node-datachannel, ${mb} MB as 16 KiB messages`, bare),
        rateRow('bare + JSON/UTF-8 encode and decode of the same string message', bareJson, { baseline }),
      ],
      details: { bytes, meshBytes, mesh, bare, bareJson },
    };
  } finally {
    pair.close();
    await Promise.all([a.stop(), b.stop()]);
  }
}
