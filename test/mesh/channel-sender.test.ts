import { describe, expect, it } from 'vitest';
import { createChannelSender } from '../../web/mesh/channel/channel-sender.ts';
import { createReassembler } from '../../web/mesh/channel/framing.ts';
import type { Clock } from '../../web/mesh/platform.ts';

/**
 * A DataChannel stand-in that copies what it is sent (as RTCDataChannel.send does) and fills its
 * buffer until drained by hand, so two senders' bulk messages go out frame by frame, interleaved.
 */
function fakeChannel() {
  const frames: Uint8Array[] = [];
  const listeners: Array<() => void> = [];
  const dc = {
    readyState: 'open',
    bufferedAmount: 0,
    bufferedAmountLowThreshold: 0,
    addEventListener: (_: string, fn: () => void) => void listeners.push(fn),
    send(data: Uint8Array) {
      frames.push(data.slice());
      dc.bufferedAmount += data.length;
    },
  };
  /** The channel sent its buffer: `bufferedamountlow` fires, and the sender feeds the next frames. */
  const drain = () => ((dc.bufferedAmount = 0), listeners.forEach((fn) => fn()));
  return { dc: dc as unknown as RTCDataChannel, frames, drain };
}

const clock: Clock = { now: () => 0, elapsed: () => 0, set: () => undefined, clear: () => undefined };

describe('channel sender', () => {
  it('keeps every channel\'s frames intact while the senders build them in one shared buffer', async () => {
    const a = fakeChannel();
    const b = fakeChannel();
    let id = 0;
    // A high-water mark of one frame: each drain lets one more bulk frame out on that channel.
    const opts = { highWaterMark: 1, lowWaterMark: 0, controlHeadroom: 1 };
    const sa = createChannelSender(a.dc, clock, () => ++id, opts);
    const sb = createChannelSender(b.dc, clock, () => ++id, opts);
    const bulkA = new Uint8Array(100_000).map((_, i) => i % 251);
    const bulkB = new Uint8Array(70_000).map((_, i) => 255 - (i % 241));
    const small = new Uint8Array([7, 7, 7]);
    const sent = [sa.send(bulkA), sb.send(bulkB), sa.send(small)];
    for (let i = 0; i < 20; i++) (a.drain(), b.drain());
    await Promise.all(sent);

    const messages = (frames: Uint8Array[]) => {
      const r = createReassembler();
      return frames.flatMap((f) => {
        const out = r.push(f);
        expect(out.ok, 'frame accepted').toBe(true);
        return out.ok && out.message ? [out.message] : [];
      });
    };
    expect(a.frames.length).toBeGreaterThan(5);
    expect(b.frames.length).toBeGreaterThan(4);
    // The one-frame message takes the control lane, ahead of the bulk message's later frames.
    expect(messages(a.frames)).toEqual([small, bulkA]);
    expect(messages(b.frames)).toEqual([bulkB]);
  });
});
