import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_KEY, linksOpen, startPeer, useMeshServer, type TestPeer } from './harness.ts';
import { idFor } from '../helpers/test-identity.ts';

const MB = 1024 * 1024;
const FIXTURE = new URL('./fixtures/peer-process.mjs', import.meta.url).pathname;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const randomBytes = (n: number) => new Uint8Array(nodeRandomBytes(n));

const env = useMeshServer();

describe('large messages over a DataChannel', () => {
  let a: TestPeer;
  let receiver: ChildProcess;

  beforeAll(async () => {
    a = await startPeer(env.server, 'sender');
    // The receiver runs in its own process so each side's memory is measured alone.
    receiver = spawn(process.execPath, [FIXTURE, env.server.url, AGENT_KEY, 'receiver'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await linksOpen(a.mesh, [idFor('receiver')], 'direct', 20_000);
  });
  afterAll(() => void receiver?.kill('SIGKILL'));

  /**
   * Calls `skill` on the receiver with `payload` while pinging it, and measures both sides' peak
   * RSS growth (MiB) over the transfer. Control messages must interleave with the bulk frames
   * instead of queueing behind 50 MB, so every ping has to finish before the call does.
   */
  async function bulkWithPings(skill: string, payload: string | Uint8Array) {
    const farBefore = ((await a.mesh.call(idFor('receiver'), 'memory', 'reset')).output as { rss: number }).rss;
    gc();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const t0 = performance.now();
    let bigDone = false;
    const big = a.mesh.call(idFor('receiver'), skill, payload, { timeoutMs: 120_000 }).then((r) => ((bigDone = true), r));
    const pings: Array<{ rtt: number; duringBulk: boolean }> = [];
    for (let i = 0; i < 5; i++) {
      const p = await a.mesh.ping(idFor('receiver'));
      pings.push({ rtt: p.rttMs, duringBulk: !bigDone });
    }
    const { output } = await big;
    const ms = performance.now() - t0;
    clearInterval(sampler);
    expect(pings.every((p) => p.duringBulk)).toBe(true);
    const far = (await a.mesh.call(idFor('receiver'), 'memory', null)).output as { peak: number };
    const link = a.mesh.links().find((l) => l.peerId === idFor('receiver'))!;
    const senderGrowth = (peak - before) / MB;
    const receiverGrowth = (far.peak - farBefore) / MB;
    console.log(
      `50 MB (${typeof payload === 'string' ? 'string' : 'bytes'}) one way in ${ms.toFixed(0)} ms (${(payload.length / 1000 / ms).toFixed(1)} MB/s); ` +
      `pings during the transfer ${pings.map((p) => p.rtt.toFixed(1)).join('/')} ms; ` +
      `peak RSS growth: sender ${senderGrowth.toFixed(0)} MiB, receiver ${receiverGrowth.toFixed(0)} MiB; ` +
      `max bufferedAmount ${(link.maxBufferedAmount / 1024).toFixed(0)} KiB`,
    );
    return { output, link, senderGrowth, receiverGrowth };
  }

  it('moves 50 MB of bytes with memory bounded by one copy while pings keep flowing', async () => {
    const size = 50 * 1000 * 1000;
    const payload = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) payload[i] = i & 255;
    // First, before the string transfer leaves freed pages behind: the growth shows this message alone.
    const r = await bulkWithPings('digest', payload);
    expect(r.output).toBe(sha256(payload));
    // Sender: no copy of the message (its bytes are read in place) and no garbage per frame (one
    // scratch frame). Receiver: the reassembled message, handed to the skill as is, plus the
    // channel's incoming frames not yet collected. As JSON (an object of 50 M indices) it would
    // take gigabytes.
    expect(r.senderGrowth).toBeLessThan(0.5 * 48);
    expect(r.receiverGrowth).toBeLessThan(2.5 * 48);
  });

  it('moves 50 MB with bounded buffers and memory while pings keep flowing', async () => {
    const size = 50 * 1000 * 1000;
    const r = await bulkWithPings('size', 'z'.repeat(size));
    expect(r.output).toBe(size);
    expect(r.link.bytesSent).toBeGreaterThan(size);
    // The channel never buffered more than the high-water mark (256 KiB) + control headroom + a frame.
    expect(r.link.maxBufferedAmount).toBeLessThanOrEqual(256 * 1024 + 256 * 1024 + 16 * 1024);
    // Sender: the caller's string flattened and its UTF-8 copy (~2 x 48 MiB); receiver: the
    // reassembled message and the decoded string (~2 x 48 MiB). Bounded by the message, not the
    // transfer: an extra full copy per frame queued (say) would cross 4.5 x 48 MiB.
    expect(r.senderGrowth).toBeLessThan(4.5 * 48);
    expect(r.receiverGrowth).toBeLessThan(4.5 * 48);
  });

  it('round-trips bytes exactly as input and output, types kept', async () => {
    const bytes = randomBytes(3 * MB + 17);
    const buffer = randomBytes(1000).buffer;
    const long = 'ü€'.repeat(100_000);
    const input = { name: 'blob', bytes, parts: [buffer, { long }], n: 1 };
    expect((await a.mesh.call(idFor('receiver'), 'digest', bytes)).output).toBe(sha256(bytes));
    const out = (await a.mesh.call(idFor('receiver'), 'echo', input)).output as typeof input;
    expect(out.bytes).toBeInstanceOf(Uint8Array);
    expect(sha256(out.bytes)).toBe(sha256(bytes));
    expect(out.parts[0]).toBeInstanceOf(ArrayBuffer);
    expect(sha256(new Uint8Array(out.parts[0] as ArrayBuffer))).toBe(sha256(new Uint8Array(buffer)));
    expect(out.parts[1]).toEqual({ long });
    expect([out.name, out.n]).toEqual(['blob', 1]);
    // The caller's value is untouched (read in place, never detached).
    expect(input.bytes.length).toBe(3 * MB + 17);
  });

  it('refuses a malformed attachment with a clear error reply, and keeps serving', async () => {
    // A toJSON that hides the placeholder: the envelope then names a place that is not there.
    const input = { data: new Uint8Array([1, 2, 3]), toJSON: () => ({}) };
    await expect(a.mesh.call(idFor('receiver'), 'echo', input, { timeoutMs: 10_000 })).rejects.toMatchObject({
      code: 'bad-message', remote: true, message: expect.stringMatching(/att\[0\]\.at: payload\.input\.data does not exist/),
    });
    expect((await a.mesh.call(idFor('receiver'), 'size', new Uint8Array(10))).output).toBe(10);
  });

  it('refuses a message over the size limit with a clear error', async () => {
    const small = await startPeer(env.server, 'small-limit', { maxMessageBytes: 64 * 1024 });
    await linksOpen(small.mesh, [idFor('receiver')], 'direct');
    await expect(small.mesh.call(idFor('receiver'), 'size', 'q'.repeat(100 * 1024))).rejects.toMatchObject({ code: 'too-large' });
    expect((await small.mesh.call(idFor('receiver'), 'size', 'q'.repeat(1000))).output).toBe(1000);
    await expect(small.mesh.call(idFor('receiver'), 'size', new Uint8Array(100 * 1024))).rejects.toMatchObject({ code: 'too-large' });
  });
});
